"""ViT against torchvision: torchvision zero-initializes the classification head, so the
shared parametrization in test_vision_torchvision.py would compare zeros; here the head is
randomized and the input is small (image_size=64). Swin on a size that is no multiple of
its windows, and its gradients."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
pytestmark = pytest.mark.torchvision

import embervision  # noqa: E402


@pytest.mark.parametrize("name", ["vit_b_32"])
def test_vit_logits_match_torchvision(name, tmp_path):
    torch.manual_seed(0)
    theirs = getattr(torchvision.models, name)(weights=None, image_size=64, num_classes=10)
    with torch.no_grad():
        theirs.heads.head.weight.normal_(std=0.1)
        theirs.heads.head.bias.normal_(std=0.1)
    torch.save(theirs.state_dict(), tmp_path / "vit.pth")
    ours = getattr(embervision.models, name)(weights=None, image_size=64, num_classes=10)
    ours.load_state_dict(ember.load(tmp_path / "vit.pth"))
    x = np.random.default_rng(1).standard_normal((2, 3, 64, 64)).astype(np.float32)
    with ember.no_grad(), torch.no_grad():
        a = ours.eval()(ember.tensor(x)).numpy()
        b = theirs.eval()(torch.tensor(x)).numpy()
    assert np.abs(b).max() > 0.1
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * np.abs(b).max())


def _swin_pair(name, tmp_path, **kwargs):
    torch.manual_seed(0)
    theirs = getattr(torchvision.models, name)(weights=None, num_classes=10, **kwargs)
    torch.save(theirs.state_dict(), tmp_path / "swin.pth")
    ours = getattr(embervision.models, name)(weights=None, num_classes=10, **kwargs)
    ours.load_state_dict(ember.load(tmp_path / "swin.pth"))
    return ours, theirs


@pytest.mark.parametrize("name", ["swin_t", "swin_v2_t"])
def test_swin_logits_match_torchvision_on_padded_windows(name, tmp_path):
    # 44 px: 11x11 tokens, padded to 14 (v1) or 16 (v2) and shifted; 11 and 3 merge with a pad
    ours, theirs = _swin_pair(name, tmp_path)
    x = np.random.default_rng(1).standard_normal((2, 3, 44, 44)).astype(np.float32)
    with ember.no_grad(), torch.no_grad():
        a = ours.eval()(ember.tensor(x)).numpy()
        b = theirs.eval()(torch.tensor(x)).numpy()
    assert np.abs(b).max() > 0.1
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * np.abs(b).max())


@pytest.mark.parametrize("name", ["swin_t", "swin_v2_t"])
def test_swin_training_step_gives_same_gradients(name, tmp_path):
    ours, theirs = _swin_pair(name, tmp_path)
    # stochastic depth draws from each framework's own generator: keep it out
    for model in (ours, theirs):
        for m in model.modules():
            if type(m).__name__ == "StochasticDepth":
                m.p = 0.0
    x = np.random.default_rng(2).standard_normal((2, 3, 64, 64)).astype(np.float32)
    y = np.array([1, 5])
    loss_a = ember.nn.functional.cross_entropy(ours.train()(ember.tensor(x)), ember.tensor(y))
    loss_b = torch.nn.functional.cross_entropy(theirs.train()(torch.tensor(x)), torch.tensor(y))
    loss_a.backward()
    loss_b.backward()
    np.testing.assert_allclose(loss_a.item(), loss_b.item(), rtol=1e-4)
    grads_b = dict(theirs.named_parameters())
    for pname, p in ours.named_parameters():
        g = grads_b[pname].grad.numpy()
        np.testing.assert_allclose(p.grad.numpy(), g, rtol=1e-3,
                                   atol=1e-3 * np.abs(g).max() + 1e-7, err_msg=pname)
