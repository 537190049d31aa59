"""EfficientNet, ConvNeXt, ViT, RegNet and Swin: torchvision's state_dict keys, parameter
counts and weights metadata; forward shapes on small inputs (bigger variants are only built)."""

import ember
import pytest

from embervision import models
from embervision.models import get_model, get_model_weights

# len(torchvision's state_dict()) for each builder. The largest variants (efficientnet_b6/b7,
# v2_m/l, ...) share the code and are left out: their random init alone takes seconds here.
KEY_COUNTS = {
    "efficientnet_b0": 360, "efficientnet_b1": 508, "efficientnet_b2": 508,
    "efficientnet_b3": 574, "efficientnet_b4": 706, "efficientnet_b5": 854,
    "efficientnet_v2_s": 782,
}

# Keys (with shapes) that only exist if the nesting matches torchvision exactly.
LANDMARKS = {
    "efficientnet_b0": {"features.0.0.weight": (32, 3, 3, 3),
                        "features.1.0.block.1.fc1.weight": (8, 32, 1, 1),
                        "features.2.0.block.0.1.running_var": (96,),
                        "features.8.0.weight": (1280, 320, 1, 1),
                        "classifier.1.weight": (1000, 1280)},
    "efficientnet_v2_s": {"features.1.1.block.0.0.weight": (24, 24, 3, 3),
                          "features.2.0.block.1.0.weight": (48, 96, 1, 1),
                          "features.6.14.block.2.fc2.bias": (1536,),
                          "features.7.0.weight": (1280, 256, 1, 1)},
}


def key_shapes(model):
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


@pytest.mark.parametrize("name", sorted(KEY_COUNTS))
def test_state_dict_keys_and_param_counts(name):
    model = get_model(name)
    sd = key_shapes(model)
    assert len(sd) == KEY_COUNTS[name]
    for key, shape in LANDMARKS.get(name, {}).items():
        assert sd.get(key) == shape, key
    # torchvision publishes num_params for each checkpoint; the architecture must agree.
    weights = get_model_weights(name).DEFAULT
    assert sum(p.numel() for p in model.parameters()) == weights.meta["num_params"]


@pytest.mark.parametrize("name,size", [("efficientnet_b0", 32), ("efficientnet_v2_s", 32)])
def test_forward_shapes(name, size):
    model = get_model(name, num_classes=7).eval()
    with ember.no_grad():
        out = model(ember.rand(2, 3, size, size))
    assert tuple(out.shape) == (2, 7)
    assert bool(ember.isfinite(out).all())


def test_efficientnet_weights_and_options():
    w = models.EfficientNet_B1_Weights.DEFAULT
    assert w is models.EfficientNet_B1_Weights.IMAGENET1K_V2
    assert w.url == "https://download.pytorch.org/models/efficientnet_b1-c27df63c.pth"
    t = w.transforms()
    assert (t.crop_size, t.resize_size) == ([240], [255])
    t = models.EfficientNet_V2_L_Weights.DEFAULT.transforms()
    assert t.interpolation.value == "bicubic" and t.mean == [0.5, 0.5, 0.5]
    assert models.EfficientNet_V2_S_Weights.DEFAULT.meta["min_size"] == (33, 33)
    model = models.efficientnet_b0(dropout=0.5, stochastic_depth_prob=0.4)
    assert model.classifier[0].p == 0.5
    # the drop probability grows linearly over the 16 blocks
    assert model.features[7][0].stochastic_depth.p == pytest.approx(0.4 * 15 / 16)
    bn = models.efficientnet_b5().features[0][1]
    assert (bn.eps, bn.momentum) == (0.001, 0.01)
