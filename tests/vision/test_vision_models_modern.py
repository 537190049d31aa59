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
    "efficientnet_v2_s": 782, "convnext_tiny": 182, "vit_b_16": 152, "regnet_y_400mf": 384,
    "regnet_x_400mf": 428, "regnet_y_800mf": 340, "regnet_x_800mf": 320,
    "swin_t": 185, "swin_b": 353, "swin_v2_t": 233,
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
    "convnext_tiny": {"features.0.1.weight": (96,), "features.1.2.layer_scale": (96, 1, 1),
                      "features.1.0.block.0.weight": (96, 1, 7, 7),
                      "features.1.0.block.3.weight": (384, 96),
                      "features.6.1.weight": (768, 384, 2, 2), "classifier.0.bias": (768,),
                      "classifier.2.weight": (1000, 768)},
    "vit_b_16": {"class_token": (1, 1, 768), "conv_proj.weight": (768, 3, 16, 16),
                 "encoder.pos_embedding": (1, 197, 768),
                 "encoder.layers.encoder_layer_11.self_attention.in_proj_weight": (2304, 768),
                 "encoder.layers.encoder_layer_0.self_attention.out_proj.bias": (768,),
                 "encoder.layers.encoder_layer_3.mlp.3.weight": (768, 3072),
                 "encoder.ln.weight": (768,), "heads.head.weight": (1000, 768)},
    "regnet_y_400mf": {"stem.0.weight": (32, 3, 3, 3),
                       "trunk_output.block1.block1-0.proj.0.weight": (48, 32, 1, 1),
                       "trunk_output.block2.block2-2.f.b.0.weight": (104, 8, 3, 3),
                       "trunk_output.block4.block4-5.f.se.fc1.weight": (110, 440, 1, 1),
                       "fc.weight": (1000, 440)},
    "swin_t": {"features.0.0.weight": (96, 3, 4, 4), "features.0.2.weight": (96,),
               "features.1.0.attn.relative_position_bias_table": (169, 3),
               "features.1.1.attn.relative_position_index": (2401,),
               "features.2.reduction.weight": (192, 384), "features.2.norm.weight": (384,),
               "features.5.5.attn.qkv.weight": (1152, 384),
               "features.7.1.mlp.3.weight": (768, 3072), "norm.weight": (768,),
               "head.weight": (1000, 768)},
    "swin_b": {"features.1.0.attn.relative_position_bias_table": (169, 4),
               "features.5.17.attn.proj.weight": (512, 512),
               "features.6.reduction.weight": (1024, 2048), "head.weight": (1000, 1024)},
    "swin_v2_t": {"features.1.0.attn.logit_scale": (3, 1, 1),
                  "features.1.0.attn.cpb_mlp.0.weight": (512, 2),
                  "features.1.0.attn.cpb_mlp.2.weight": (3, 512),
                  "features.1.1.attn.relative_coords_table": (1, 15, 15, 2),
                  "features.3.0.attn.relative_position_index": (4096,),
                  "features.2.norm.weight": (192,), "features.6.reduction.weight": (768, 1536)},
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


@pytest.mark.parametrize("name,size", [("efficientnet_b0", 32), ("efficientnet_v2_s", 32),
                                       ("regnet_y_400mf", 32), ("regnet_x_400mf", 32),
                                       ("swin_t", 32), ("swin_v2_t", 32)])
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


def test_vision_transformer_small_config():
    from embervision.models.vision_transformer import ConvStemConfig, VisionTransformer
    model = VisionTransformer(32, 8, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32,
                              num_classes=5, representation_size=12).eval()
    assert model.seq_length == 17 and tuple(model.encoder.pos_embedding.shape) == (1, 17, 16)
    # torchvision zero-initializes the head
    assert float(model.heads.head.weight.abs().sum()) == 0.0
    ember.nn.init.normal_(model.heads.head.weight)
    x = ember.rand(3, 3, 32, 32)
    with ember.no_grad():
        out = model(x)
        # each sample's logits depend only on that sample
        single = model(x[1:2])
    assert tuple(out.shape) == (3, 5)
    assert ember.allclose(out[1:2], single, atol=1e-5)
    with pytest.raises(RuntimeError, match="Wrong image height! Expected 32 but got 16!"):
        model(ember.rand(1, 3, 16, 32))
    stem = VisionTransformer(32, 8, 1, 2, 16, 32, conv_stem_configs=[ConvStemConfig(8, 3, 2)] * 3)
    assert tuple(stem.state_dict()["conv_proj.conv_last.weight"].shape) == (16, 8, 1, 1)
    assert "conv_proj.conv_bn_relu_2.1.running_mean" in stem.state_dict()


def test_vit_weights():
    w = models.ViT_H_14_Weights.DEFAULT
    assert w is models.ViT_H_14_Weights.IMAGENET1K_SWAG_E2E_V1
    assert w.meta["min_size"] == (518, 518) and w.transforms().crop_size == [518]
    assert w.meta["license"] == "https://github.com/facebookresearch/SWAG/blob/main/LICENSE"
    assert models.ViT_B_16_Weights.IMAGENET1K_V1.url.endswith("/vit_b_16-c867db91.pth")
    with pytest.raises(ValueError, match="No weights available for model vit_h_14"):
        models.vit_h_14(pretrained=True)


def test_convnext_small_config():
    from embervision.models.convnext import CNBlockConfig, ConvNeXt
    model = ConvNeXt([CNBlockConfig(8, 16, 2), CNBlockConfig(16, None, 1)],
                     stochastic_depth_prob=0.3, num_classes=4).eval()
    assert [b.stochastic_depth.p for b in (*model.features[1], *model.features[3])] == \
        pytest.approx([0.0, 0.15, 0.3])
    assert float(model.features[1][0].layer_scale.max()) == pytest.approx(1e-6)
    with ember.no_grad():
        out = model(ember.rand(2, 3, 32, 32))
    assert tuple(out.shape) == (2, 4) and bool(ember.isfinite(out).all())


def test_regnet_block_params():
    from embervision.models.regnet import BlockParams
    # torchvision's regnet_x_8gf: the first stage's group width shrinks to its width
    p = BlockParams.from_init_params(23, 80, 49.56, 2.88, 120)
    assert (p.widths, p.depths, p.group_widths) == ([80, 240, 720, 1920], [2, 5, 15, 1],
                                                    [80, 120, 120, 120])
    with pytest.raises(ValueError, match="Invalid RegNet settings"):
        BlockParams.from_init_params(10, 20, 1.0, 2.0, 8)
    w = models.RegNet_Y_128GF_Weights.DEFAULT
    assert w.url.endswith("/regnet_y_128gf_swag-c8ce3e52.pth") and w.meta["num_params"] == 644812894
    assert models.RegNet_X_400MF_Weights.DEFAULT.transforms().resize_size == [232]


def test_swin_relative_position_index_and_shift_mask():
    from embervision.models.swin_transformer import ShiftedWindowAttention, _shift_mask
    attn = ShiftedWindowAttention(4, [2, 2], [1, 1], num_heads=2)
    # row-major offsets (dh + 1) * 3 + (dw + 1) of each token pair of a 2x2 window
    index = attn.relative_position_index.view(4, 4).tolist()
    assert index == [[4, 3, 1, 0], [5, 4, 2, 1], [7, 6, 4, 3], [8, 7, 5, 4]]
    assert tuple(attn.get_relative_position_bias().shape) == (1, 2, 4, 4)
    # 4x4 map, 2x2 windows, shifted by 1: the first window is one region, the last holds four
    mask = _shift_mask(4, 4, [2, 2], [1, 1], None, ember.float32)
    assert tuple(mask.shape) == (4, 4, 4)
    assert float(mask[0].abs().sum()) == 0.0
    assert mask[3].tolist() == [[0.0 if i == j else -100.0 for j in range(4)] for i in range(4)]


def test_swin_small_config_and_weights():
    from embervision.models.swin_transformer import SwinTransformer
    model = SwinTransformer([4, 4], 8, [2, 2], [1, 2], [3, 3], stochastic_depth_prob=0.3,
                            num_classes=4).eval()
    blocks = [*model.features[1], *model.features[3]]
    assert [b.attn.shift_size for b in blocks] == [[0, 0], [1, 1]] * 2
    assert [b.stochastic_depth.p for b in blocks] == pytest.approx([0.0, 0.1, 0.2, 0.3])
    x = ember.rand(3, 3, 30, 26)  # 7x6 tokens: padded to 9x6 windows, merged to 4x3
    with ember.no_grad():
        out = model(x)
        single = model(x[2:3])
    assert tuple(out.shape) == (3, 4) and bool(ember.isfinite(out).all())
    assert ember.allclose(out[2:3], single, atol=1e-5)
    w = models.Swin_B_Weights.DEFAULT
    assert w is models.Swin_B_Weights.IMAGENET1K_V1
    assert w.url == "https://download.pytorch.org/models/swin_b-68c6b09e.pth"
    t = w.transforms()
    assert (t.crop_size, t.resize_size, t.interpolation.value) == ([224], [238], "bicubic")
    w = models.Swin_V2_S_Weights.DEFAULT
    assert w.meta["min_size"] == (256, 256) and w.meta["num_params"] == 49737442
    assert w.meta["_metrics"]["ImageNet-1K"]["acc@1"] == 83.712
    assert w.transforms().crop_size == [256]
