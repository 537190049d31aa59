"""ViT against torchvision: torchvision zero-initializes the classification head, so the
shared parametrization in test_vision_torchvision.py would compare zeros; here the head is
randomized and the input is small (image_size=64)."""

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
