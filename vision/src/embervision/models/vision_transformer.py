"""Vision Transformer ViT-B/16, B/32, L/16, L/32, H/14 (Dosovitskiy et al., 2021)."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import ember
from ember import nn

from ..ops.misc import MLP, Conv2dNormActivation
from ..transforms.functional import InterpolationMode
from ._api import WeightsEnum, load_weights, overwrite_named_param, register_model, weights_param
from ._weights import classification_weights as _w

__all__ = ["VisionTransformer", "ViT_B_16_Weights", "ViT_B_32_Weights", "ViT_L_16_Weights",
           "ViT_L_32_Weights", "ViT_H_14_Weights", "vit_b_16", "vit_b_32", "vit_l_16",
           "vit_l_32", "vit_h_14"]


class ConvStemConfig(NamedTuple):
    """One conv-norm-activation layer of an optional convolutional stem (Xiao et al., 2021)."""

    out_channels: int
    kernel_size: int
    stride: int
    norm_layer: Callable[..., nn.Module] = nn.BatchNorm2d
    activation_layer: Callable[..., nn.Module] = nn.ReLU


class MLPBlock(MLP):
    """The transformer's feed-forward block: Linear, GELU, Dropout, Linear, Dropout."""

    def __init__(self, in_dim: int, mlp_dim: int, dropout: float) -> None:
        super().__init__(in_dim, [mlp_dim, in_dim], activation_layer=nn.GELU, inplace=None,
                         dropout=dropout)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)


def _check_3d(input: ember.Tensor) -> None:
    if input.dim() != 3:
        raise RuntimeError(f"Expected (batch_size, seq_length, hidden_dim) got {input.shape}")


class EncoderBlock(nn.Module):
    """Pre-norm transformer layer: x + attention(ln_1(x)), then y + mlp(ln_2(y))."""

    def __init__(self, num_heads: int, hidden_dim: int, mlp_dim: int, dropout: float,
                 attention_dropout: float,
                 norm_layer: Callable[..., nn.Module] = partial(nn.LayerNorm, eps=1e-6)) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads,
                                                    dropout=attention_dropout, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input: ember.Tensor) -> ember.Tensor:
        _check_3d(input)
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x) + input
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    """Learned positional embedding, ``num_layers`` encoder blocks, a final LayerNorm."""

    def __init__(self, seq_length: int, num_layers: int, num_heads: int, hidden_dim: int,
                 mlp_dim: int, dropout: float, attention_dropout: float,
                 norm_layer: Callable[..., nn.Module] = partial(nn.LayerNorm, eps=1e-6)) -> None:
        super().__init__()
        # batch first: (1, seq_length, hidden_dim); BERT's init
        self.pos_embedding = nn.Parameter(ember.empty(1, seq_length, hidden_dim).normal_(std=0.02))
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.Sequential(OrderedDict(
            (f"encoder_layer_{i}", EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout,
                                                attention_dropout, norm_layer))
            for i in range(num_layers)))
        self.ln = norm_layer(hidden_dim)

    def forward(self, input: ember.Tensor) -> ember.Tensor:
        _check_3d(input)
        return self.ln(self.layers(self.dropout(input + self.pos_embedding)))


class VisionTransformer(nn.Module):
    """Patchify with a strided conv, prepend a class token, encode, classify the class token.

    Example:
        >>> model = VisionTransformer(32, 16, num_layers=1, num_heads=2, hidden_dim=8,
        ...                           mlp_dim=16, num_classes=3)
        >>> model(ember.rand(2, 3, 32, 32)).shape
        ember.Size([2, 3])
    """

    def __init__(self, image_size: int, patch_size: int, num_layers: int, num_heads: int,
                 hidden_dim: int, mlp_dim: int, dropout: float = 0.0,
                 attention_dropout: float = 0.0, num_classes: int = 1000,
                 representation_size: int | None = None,
                 norm_layer: Callable[..., nn.Module] = partial(nn.LayerNorm, eps=1e-6),
                 conv_stem_configs: list[ConvStemConfig] | None = None) -> None:
        super().__init__()
        if image_size % patch_size != 0:
            raise ValueError("Input shape indivisible by patch size!")
        self.image_size = image_size
        self.patch_size = patch_size
        self.hidden_dim = hidden_dim
        self.mlp_dim = mlp_dim
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.num_classes = num_classes
        self.representation_size = representation_size
        self.norm_layer = norm_layer

        if conv_stem_configs is not None:
            stem = nn.Sequential()
            prev = 3
            for i, cfg in enumerate(conv_stem_configs):
                stem.add_module(f"conv_bn_relu_{i}", Conv2dNormActivation(
                    prev, cfg.out_channels, kernel_size=cfg.kernel_size, stride=cfg.stride,
                    norm_layer=cfg.norm_layer, activation_layer=cfg.activation_layer))
                prev = cfg.out_channels
            stem.add_module("conv_last", nn.Conv2d(prev, hidden_dim, kernel_size=1))
            self.conv_proj: nn.Module = stem
        else:
            self.conv_proj = nn.Conv2d(3, hidden_dim, kernel_size=patch_size, stride=patch_size)

        seq_length = (image_size // patch_size) ** 2 + 1  # + the class token
        self.class_token = nn.Parameter(ember.zeros(1, 1, hidden_dim))
        self.encoder = Encoder(seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout,
                               attention_dropout, norm_layer)
        self.seq_length = seq_length

        heads: OrderedDict[str, nn.Module] = OrderedDict()
        if representation_size is None:
            heads["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads["act"] = nn.Tanh()
            heads["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads)

        if isinstance(self.conv_proj, nn.Conv2d):
            k = self.conv_proj.kernel_size
            nn.init.trunc_normal_(self.conv_proj.weight,
                                  std=math.sqrt(1 / (self.conv_proj.in_channels * k[0] * k[1])))
            nn.init.zeros_(self.conv_proj.bias)
        else:
            last = self.conv_proj.conv_last
            nn.init.normal_(last.weight, mean=0.0, std=math.sqrt(2.0 / last.out_channels))
            nn.init.zeros_(last.bias)
        if representation_size is not None:
            pre = self.heads.pre_logits
            nn.init.trunc_normal_(pre.weight, std=math.sqrt(1 / pre.in_features))
            nn.init.zeros_(pre.bias)
        nn.init.zeros_(self.heads.head.weight)
        nn.init.zeros_(self.heads.head.bias)

    def _process_input(self, x: ember.Tensor) -> ember.Tensor:
        n, _, h, w = x.shape
        p = self.patch_size
        if h != self.image_size:
            raise RuntimeError(f"Wrong image height! Expected {self.image_size} but got {h}!")
        if w != self.image_size:
            raise RuntimeError(f"Wrong image width! Expected {self.image_size} but got {w}!")
        x = self.conv_proj(x)  # (n, hidden_dim, h / p, w / p)
        return x.reshape(n, self.hidden_dim, (h // p) * (w // p)).permute(0, 2, 1)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        x = self._process_input(x)
        cls = self.class_token.expand(x.shape[0], -1, -1)
        x = self.encoder(ember.cat([cls, x], dim=1))
        return self.heads(x[:, 0])


# arch: (patch_size, num_layers, num_heads, hidden_dim, mlp_dim)
_ARCHS = {"vit_b_16": (16, 12, 12, 768, 3072), "vit_b_32": (32, 12, 12, 768, 3072),
          "vit_l_16": (16, 24, 16, 1024, 4096), "vit_l_32": (32, 24, 16, 1024, 4096),
          "vit_h_14": (14, 32, 16, 1280, 5120)}


def _vision_transformer(arch: str, weights: WeightsEnum | None, progress: bool,
                        **kwargs: Any) -> VisionTransformer:
    patch_size, num_layers, num_heads, hidden_dim, mlp_dim = _ARCHS[arch]
    if weights is not None:
        overwrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
        # the positional embedding fixes the input size the checkpoint was trained at
        overwrite_named_param(kwargs, "image_size", weights.meta["min_size"][0])
    model = VisionTransformer(kwargs.pop("image_size", 224), patch_size, num_layers, num_heads,
                              hidden_dim, mlp_dim, **kwargs)
    return load_weights(model, weights, progress)


_SWAG_LICENSE = "https://github.com/facebookresearch/SWAG/blob/main/LICENSE"
_BICUBIC = InterpolationMode.BICUBIC
_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#vit_b_16"
_RECIPE1 = "https://github.com/facebookresearch/SWAG"
_RECIPE2 = "https://github.com/pytorch/vision/pull/5793"
_RECIPE3 = "https://github.com/pytorch/vision/tree/main/references/classification#vit_b_32"
_RECIPE4 = "https://github.com/pytorch/vision/tree/main/references/classification#vit_l_16"
_RECIPE5 = "https://github.com/pytorch/vision/tree/main/references/classification#vit_l_32"


class ViT_B_16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vit_b_16-c867db91.pth", 86567656, 81.072, 95.318, _RECIPE, crop_size=224,
        min_size=(224, 224))
    IMAGENET1K_SWAG_E2E_V1 = _w("vit_b_16_swag-9ac1b537.pth", 86859496, 85.304, 97.65, _RECIPE1,
        crop_size=384, resize=384, interpolation=_BICUBIC, min_size=(384, 384),
        license=_SWAG_LICENSE)
    IMAGENET1K_SWAG_LINEAR_V1 = _w("vit_b_16_lc_swag-4e70ced5.pth", 86567656, 81.886, 96.18,
        _RECIPE2, crop_size=224, resize=224, interpolation=_BICUBIC,
        min_size=(224, 224), license=_SWAG_LICENSE)
    DEFAULT = IMAGENET1K_V1


class ViT_B_32_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vit_b_32-d86f8d99.pth", 88224232, 75.912, 92.466, _RECIPE3, crop_size=224,
        min_size=(224, 224))
    DEFAULT = IMAGENET1K_V1


class ViT_L_16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vit_l_16-852ce7e3.pth", 304326632, 79.662, 94.638, _RECIPE4, crop_size=224,
        resize=242, min_size=(224, 224))
    IMAGENET1K_SWAG_E2E_V1 = _w("vit_l_16_swag-4f3808c9.pth", 305174504, 88.064, 98.512, _RECIPE1,
        crop_size=512, resize=512, interpolation=_BICUBIC, min_size=(512, 512),
        license=_SWAG_LICENSE)
    IMAGENET1K_SWAG_LINEAR_V1 = _w("vit_l_16_lc_swag-4d563306.pth", 304326632, 85.146, 97.422,
        _RECIPE2, crop_size=224, resize=224, interpolation=_BICUBIC,
        min_size=(224, 224), license=_SWAG_LICENSE)
    DEFAULT = IMAGENET1K_V1


class ViT_L_32_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vit_l_32-c7638314.pth", 306535400, 76.972, 93.07, _RECIPE5, crop_size=224,
        min_size=(224, 224))
    DEFAULT = IMAGENET1K_V1


class ViT_H_14_Weights(WeightsEnum):
    IMAGENET1K_SWAG_E2E_V1 = _w("vit_h_14_swag-80465313.pth", 633470440, 88.552, 98.694, _RECIPE1,
        crop_size=518, resize=518, interpolation=_BICUBIC, min_size=(518, 518),
        license=_SWAG_LICENSE)
    IMAGENET1K_SWAG_LINEAR_V1 = _w("vit_h_14_lc_swag-c1eb923e.pth", 632045800, 85.708, 97.73,
        _RECIPE2, crop_size=224, resize=224, interpolation=_BICUBIC,
        min_size=(224, 224), license=_SWAG_LICENSE)
    DEFAULT = IMAGENET1K_SWAG_E2E_V1


@register_model()
@weights_param(ViT_B_16_Weights, "IMAGENET1K_V1")
def vit_b_16(*, weights: ViT_B_16_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    """ViT-B/16 (``image_size=224`` unless given)."""
    return _vision_transformer("vit_b_16", ViT_B_16_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(ViT_B_32_Weights, "IMAGENET1K_V1")
def vit_b_32(*, weights: ViT_B_32_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    """ViT-B/32 (``image_size=224`` unless given)."""
    return _vision_transformer("vit_b_32", ViT_B_32_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(ViT_L_16_Weights, "IMAGENET1K_V1")
def vit_l_16(*, weights: ViT_L_16_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    """ViT-L/16 (``image_size=224`` unless given)."""
    return _vision_transformer("vit_l_16", ViT_L_16_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(ViT_L_32_Weights, "IMAGENET1K_V1")
def vit_l_32(*, weights: ViT_L_32_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    """ViT-L/32 (``image_size=224`` unless given)."""
    return _vision_transformer("vit_l_32", ViT_L_32_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(ViT_H_14_Weights, None)
def vit_h_14(*, weights: ViT_H_14_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    """ViT-H/14 (``image_size=224`` unless given)."""
    return _vision_transformer("vit_h_14", ViT_H_14_Weights.verify(weights), progress, **kwargs)
