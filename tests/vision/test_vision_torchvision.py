"""embervision's models against torchvision's: a state_dict saved by torchvision
(random init) loads into embervision's model of the same name and gives the same
logits; a training step gives the same gradients.

Needs torchvision, which needs a newer torch than the oracle env pins (about 5.5 GB):
it runs in its own tox env, `tox -e torchvision`.
"""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
pytestmark = pytest.mark.torchvision

import embervision  # noqa: E402

MODELS = ["resnet18", "resnet50", "resnext50_32x4d", "wide_resnet50_2", "alexnet", "vgg11",
          "vgg11_bn", "squeezenet1_0", "squeezenet1_1", "mobilenet_v2", "mobilenet_v3_small",
          "mobilenet_v3_large", "densenet121", "densenet161", "densenet169", "densenet201",
          "googlenet", "inception_v3", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0",
          "shufflenet_v2_x1_5", "shufflenet_v2_x2_0", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0",
          "mnasnet1_3"]
# ViT (zero-initialized head) is checked in test_vision_models_modern_torchvision.py
MODELS += ["efficientnet_b0", "efficientnet_v2_s", "convnext_tiny"]


def _pair(name, tmp_path):
    torch.manual_seed(0)
    theirs = getattr(torchvision.models, name)(weights=None)
    path = tmp_path / f"{name}.pth"
    torch.save(theirs.state_dict(), path)
    ours = getattr(embervision.models, name)(weights=None)
    ours.load_state_dict(ember.load(path))
    return ours, theirs


@pytest.mark.parametrize("name", MODELS)
def test_torchvision_state_dict_gives_same_logits(name, tmp_path):
    ours, theirs = _pair(name, tmp_path)
    size = 224 if name in ("alexnet", "vgg11", "vgg11_bn") else 96
    x = np.random.default_rng(1).standard_normal((2, 3, size, size)).astype(np.float32)
    with ember.no_grad(), torch.no_grad():
        a = ours.eval()(ember.tensor(x)).numpy()
        b = theirs.eval()(torch.tensor(x)).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * np.abs(b).max())


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small"])
def test_training_step_gives_same_gradients(name, tmp_path):
    ours, theirs = _pair(name, tmp_path)
    x = np.random.default_rng(2).standard_normal((4, 3, 64, 64)).astype(np.float32)
    y = np.array([1, 5, 7, 9])
    ours.train()
    theirs.train()
    # dropout draws from each framework's own generator: keep it out of the comparison
    for model, dropout in ((ours, ember.nn.Dropout), (theirs, torch.nn.Dropout)):
        for m in model.modules():
            if isinstance(m, dropout):
                m.eval()
    loss_a = ember.nn.functional.cross_entropy(ours(ember.tensor(x)), ember.tensor(y))
    loss_b = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
    loss_a.backward()
    loss_b.backward()
    np.testing.assert_allclose(loss_a.item(), loss_b.item(), rtol=1e-4)
    grads_b = dict(theirs.named_parameters())
    for pname, p in ours.named_parameters():
        g = grads_b[pname].grad.numpy()
        np.testing.assert_allclose(p.grad.numpy(), g, rtol=1e-3, atol=1e-4 * np.abs(g).max() + 1e-7,
                                   err_msg=pname)


def test_tensor_transforms_match_torchvision():
    import embervision.transforms.functional as F
    import torchvision.transforms.functional as tvF
    a = np.random.default_rng(0).random((3, 10, 14)).astype(np.float32)
    e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    for name, args in [("adjust_hue", (0.2,)), ("adjust_saturation", (1.7,)),
                       ("adjust_contrast", (0.4,)), ("gaussian_blur", ([5, 3], [1.1, 0.7])),
                       ("autocontrast", ()), ("affine", (15.0, [1, -2], 1.1, [5.0, 3.0]))]:
        ours = getattr(F, name)(e, *args)
        ref = getattr(tvF, name)(t, *args)
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), atol=1e-5, err_msg=name)
