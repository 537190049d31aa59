"""The real LeNet checkpoints in ../shared/data/weights, loaded by ember.load into an
ember.nn model and by torch.load into the same architecture in torch: same logits."""

from collections import OrderedDict

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle


def _lenet_fyh620(m):
    nn = m.nn

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(1, 6, 5), nn.Conv2d(6, 16, 5)
            self.fc1, self.fc2, self.fc3 = nn.Linear(256, 120), nn.Linear(120, 84), \
                nn.Linear(84, 10)

        def forward(self, x):
            F = nn.functional
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2(x), 2))
            x = F.relu(self.fc1(x.view(-1, 256)))
            return self.fc3(F.relu(self.fc2(x)))

    return LeNet()


def _lenet_khushbujpatel(m):
    nn = m.nn

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.convnet = nn.Sequential(
                nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                nn.MaxPool2d(2), nn.Conv2d(16, 120, 5), nn.ReLU())
            self.fc = nn.Sequential(nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
                                    nn.LogSoftmax(dim=-1))
            # the checkpoint names the layers c1, c3, c5 and f6, f7
            self.convnet = nn.Sequential(OrderedDict(zip(
                ["c1", "relu1", "s2", "c3", "relu3", "s4", "c5", "relu5"], self.convnet)))
            self.fc = nn.Sequential(OrderedDict(zip(["f6", "relu6", "f7", "sig7"], self.fc)))

        def forward(self, x):
            return self.fc(self.convnet(x).flatten(1))

    return LeNet()


@pytest.mark.parametrize("name,build,size", [
    ("lenet5_mnist_FYH620.pth", _lenet_fyh620, 28),
    ("lenet5_mnist_khushbujpatel_legacy.pt", _lenet_khushbujpatel, 32),
])
def test_real_lenet_checkpoint_gives_torchs_logits(shared_data, name, build, size):
    path = shared_data / "weights" / name
    e_model, t_model = build(ember), build(torch)
    state = ember.load(path, map_location="cpu")
    e_model.load_state_dict(state)
    t_model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    x = np.random.default_rng(0).random((8, 1, size, size)).astype(np.float32)
    with ember.no_grad(), torch.no_grad():
        ours = e_model.eval()(ember.tensor(x)).numpy()
        theirs = t_model.eval()(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
