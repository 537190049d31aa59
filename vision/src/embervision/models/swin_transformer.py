"""Swin Transformer V1 (Liu et al., 2021) and V2 (Liu et al., 2022): tiny, small, base."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import ember
from ember import nn
from ember.nn import functional as F

from ..ops.misc import MLP, Permute, StochasticDepth
from ..transforms.functional import InterpolationMode
from ._api import WeightsEnum, load_weights, overwrite_named_param, register_model, weights_param
from ._weights import classification_weights as _w

__all__ = ["SwinTransformer", "Swin_T_Weights", "Swin_S_Weights", "Swin_B_Weights",
           "Swin_V2_T_Weights", "Swin_V2_S_Weights", "Swin_V2_B_Weights", "swin_t", "swin_s",
           "swin_b", "swin_v2_t", "swin_v2_s", "swin_v2_b"]


def _patch_merging_pad(x: ember.Tensor) -> ember.Tensor:
    """(..., H, W, C) -> (..., ceil(H/2), ceil(W/2), 4C): each 2x2 neighbourhood's four
    pixels side by side (odd sizes padded with zeros)."""
    h, w = x.shape[-3], x.shape[-2]
    if h % 2 or w % 2:
        x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
    return ember.cat([x[..., 0::2, 0::2, :], x[..., 1::2, 0::2, :],
                      x[..., 0::2, 1::2, :], x[..., 1::2, 1::2, :]], -1)


class PatchMerging(nn.Module):
    """Halve H and W, double C: concatenate 2x2 neighbours, LayerNorm(4C), Linear(4C, 2C).

    Example:
        >>> PatchMerging(8)(ember.rand(1, 5, 6, 8)).shape
        ember.Size([1, 3, 3, 16])
    """

    def __init__(self, dim: int, norm_layer: Callable[..., nn.Module] = nn.LayerNorm) -> None:
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(4 * dim)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        return self.reduction(self.norm(_patch_merging_pad(x)))


class PatchMergingV2(nn.Module):
    """Swin V2's patch merging: the LayerNorm comes after the reduction, over 2C channels."""

    def __init__(self, dim: int, norm_layer: Callable[..., nn.Module] = nn.LayerNorm) -> None:
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(2 * dim)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        return self.norm(self.reduction(_patch_merging_pad(x)))


def _get_relative_position_bias(table: ember.Tensor, index: ember.Tensor,
                                window_size: list[int]) -> ember.Tensor:
    """Gather the (N*N, heads) bias of every token pair of a window into (1, heads, N, N)."""
    n = window_size[0] * window_size[1]
    return table[index].view(n, n, -1).permute(2, 0, 1).unsqueeze(0)


def _shift_mask(pad_h: int, pad_w: int, window_size: list[int], shift_size: list[int],
                device: Any, dtype: ember.dtype) -> ember.Tensor:
    """(windows, N, N) additive mask: after the cyclic shift a window may hold pixels from up to
    four regions that were not neighbours in the image; pairs from different regions get -100."""
    region = ember.zeros((pad_h, pad_w), dtype=dtype, device=device)
    count = 0
    for h0, h1 in ((0, -window_size[0]), (-window_size[0], -shift_size[0]), (-shift_size[0], None)):
        for w0, w1 in ((0, -window_size[1]), (-window_size[1], -shift_size[1]),
                       (-shift_size[1], None)):
            region[h0:h1, w0:w1] = count
            count += 1
    region = region.view(pad_h // window_size[0], window_size[0], pad_w // window_size[1],
                         window_size[1])
    region = region.permute(0, 2, 1, 3).reshape(-1, window_size[0] * window_size[1])
    diff = region.unsqueeze(1) - region.unsqueeze(2)
    return diff.masked_fill(diff != 0, -100.0)


def shifted_window_attention(input: ember.Tensor, qkv_weight: ember.Tensor,
                             proj_weight: ember.Tensor, relative_position_bias: ember.Tensor,
                             window_size: list[int], num_heads: int, shift_size: list[int],
                             attention_dropout: float = 0.0, dropout: float = 0.0,
                             qkv_bias: ember.Tensor | None = None,
                             proj_bias: ember.Tensor | None = None,
                             logit_scale: ember.Tensor | None = None,
                             training: bool = True) -> ember.Tensor:
    """Multi-head self-attention inside (shifted) windows of an (N, H, W, C) map, plus the
    relative position bias; with ``logit_scale`` it is V2's scaled cosine attention.

    The map is padded to a multiple of the window, cyclically shifted by ``-shift_size``
    (shifted windows see across the previous layer's window borders), attended per window
    with a mask keeping the wrapped-around regions apart, then shifted back and cropped.

    Example:
        >>> x = ember.rand(1, 5, 5, 4)
        >>> bias = ember.zeros(1, 2, 9, 9)
        >>> shifted_window_attention(x, ember.rand(12, 4), ember.rand(4, 4), bias, [3, 3], 2,
        ...                          [1, 1], training=False).shape
        ember.Size([1, 5, 5, 4])
    """
    b, h, w, c = input.shape
    pad_r = (window_size[1] - w % window_size[1]) % window_size[1]
    pad_b = (window_size[0] - h % window_size[0]) % window_size[0]
    x = F.pad(input, (0, 0, 0, pad_r, 0, pad_b)) if pad_r or pad_b else input
    pad_h, pad_w = x.shape[1], x.shape[2]

    # a window covering the whole map needs no shift
    shift_size = [0 if window_size[i] >= (pad_h, pad_w)[i] else shift_size[i] for i in range(2)]
    shifted = sum(shift_size) > 0
    if shifted:
        x = ember.roll(x, shifts=(-shift_size[0], -shift_size[1]), dims=(1, 2))

    # partition into windows: (B * windows, tokens per window, C)
    num_windows = (pad_h // window_size[0]) * (pad_w // window_size[1])
    tokens = window_size[0] * window_size[1]
    x = x.view(b, pad_h // window_size[0], window_size[0], pad_w // window_size[1],
               window_size[1], c)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(b * num_windows, tokens, c)

    if logit_scale is not None and qkv_bias is not None:
        # V2 has no key bias: the checkpoint's middle third is ignored (and gets no gradient)
        length = qkv_bias.numel() // 3
        qkv_bias = ember.cat([qkv_bias[:length], ember.zeros_like(qkv_bias[length:2 * length]),
                              qkv_bias[2 * length:]])
    qkv = F.linear(x, qkv_weight, qkv_bias)
    qkv = qkv.reshape(x.shape[0], tokens, 3, num_heads, c // num_heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    if logit_scale is not None:
        attn = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        attn = attn * ember.clamp(logit_scale, max=math.log(100.0)).exp()
    else:
        attn = (q * (c // num_heads) ** -0.5).matmul(k.transpose(-2, -1))
    attn = attn + relative_position_bias

    if shifted:
        mask = _shift_mask(pad_h, pad_w, window_size, shift_size, x.device, x.dtype)
        attn = attn.view(b, num_windows, num_heads, tokens, tokens) + mask.unsqueeze(1)
        attn = attn.view(-1, num_heads, tokens, tokens)

    attn = F.dropout(F.softmax(attn, dim=-1), p=attention_dropout, training=training)
    x = attn.matmul(v).transpose(1, 2).reshape(x.shape[0], tokens, c)
    x = F.dropout(F.linear(x, proj_weight, proj_bias), p=dropout, training=training)

    # merge the windows back into the map, undo the shift and the padding
    x = x.view(b, pad_h // window_size[0], pad_w // window_size[1], window_size[0],
               window_size[1], c)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(b, pad_h, pad_w, c)
    if shifted:
        x = ember.roll(x, shifts=(shift_size[0], shift_size[1]), dims=(1, 2))
    return x[:, :h, :w, :].contiguous()


class ShiftedWindowAttention(nn.Module):
    """Window attention with a learned bias per head and relative offset inside the window
    (``relative_position_bias_table``, gathered through the ``relative_position_index``
    buffer). See :func:`shifted_window_attention`."""

    def __init__(self, dim: int, window_size: list[int], shift_size: list[int], num_heads: int,
                 qkv_bias: bool = True, proj_bias: bool = True, attention_dropout: float = 0.0,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if len(window_size) != 2 or len(shift_size) != 2:
            raise ValueError("window_size and shift_size must be of length 2")
        self.window_size = window_size
        self.shift_size = shift_size
        self.num_heads = num_heads
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)
        self.define_relative_position_bias_table()
        self.define_relative_position_index()

    def define_relative_position_bias_table(self) -> None:
        """One learned bias per head for each of the (2Wh-1)(2Ww-1) relative offsets."""
        wh, ww = self.window_size
        self.relative_position_bias_table = nn.Parameter(
            ember.zeros((2 * wh - 1) * (2 * ww - 1), self.num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def define_relative_position_index(self) -> None:
        """For each token pair (i, j) of a window, the row of the table for offset i - j."""
        wh, ww = self.window_size
        coords = ember.stack(ember.meshgrid(ember.arange(wh), ember.arange(ww), indexing="ij"))
        coords = coords.flatten(1)  # (2, Wh*Ww)
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)  # (N, N, 2)
        # shift each offset to start at 0, then row-major over (2Wh-1, 2Ww-1)
        index = (rel[..., 0] + (wh - 1)) * (2 * ww - 1) + (rel[..., 1] + (ww - 1))
        self.register_buffer("relative_position_index", index.flatten())

    def get_relative_position_bias(self) -> ember.Tensor:
        return _get_relative_position_bias(self.relative_position_bias_table,
                                           self.relative_position_index, self.window_size)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        """(B, H, W, C) -> (B, H, W, C)."""
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, self.get_relative_position_bias(),
            self.window_size, self.num_heads, shift_size=self.shift_size,
            attention_dropout=self.attention_dropout, dropout=self.dropout,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, training=self.training)


class ShiftedWindowAttentionV2(ShiftedWindowAttention):
    """V2's window attention: cosine similarity times a learned, clamped ``logit_scale``, and a
    continuous position bias from a small MLP (``cpb_mlp``) over log-spaced relative offsets."""

    def __init__(self, dim: int, window_size: list[int], shift_size: list[int], num_heads: int,
                 qkv_bias: bool = True, proj_bias: bool = True, attention_dropout: float = 0.0,
                 dropout: float = 0.0) -> None:
        super().__init__(dim, window_size, shift_size, num_heads, qkv_bias=qkv_bias,
                         proj_bias=proj_bias, attention_dropout=attention_dropout,
                         dropout=dropout)
        self.logit_scale = nn.Parameter(ember.log(10 * ember.ones((num_heads, 1, 1))))
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 512, bias=True), nn.ReLU(inplace=True),
                                     nn.Linear(512, num_heads, bias=False))
        if qkv_bias:
            length = self.qkv.bias.numel() // 3
            with ember.no_grad():
                self.qkv.bias[length:2 * length].zero_()

    def define_relative_position_bias_table(self) -> None:
        """The relative offsets scaled to [-8, 8] and log-spaced: sign(t) log2(|t| + 1) / 3."""
        wh, ww = self.window_size
        rh = ember.arange(-(wh - 1), wh, dtype=ember.float32)
        rw = ember.arange(-(ww - 1), ww, dtype=ember.float32)
        table = ember.stack(ember.meshgrid(rh, rw, indexing="ij")).permute(1, 2, 0)
        # (1, 2Wh-1, 2Ww-1, 2); a window of size 1 divides 0 by 0 as torchvision does
        table = (table / ember.tensor([wh - 1.0, ww - 1.0]) * 8).unsqueeze(0).contiguous()
        table = ember.sign(table) * ember.log2(ember.abs(table) + 1.0) / 3.0
        self.register_buffer("relative_coords_table", table)

    def get_relative_position_bias(self) -> ember.Tensor:
        bias = _get_relative_position_bias(
            self.cpb_mlp(self.relative_coords_table).view(-1, self.num_heads),
            self.relative_position_index, self.window_size)
        return 16 * ember.sigmoid(bias)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        """(B, H, W, C) -> (B, H, W, C)."""
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, self.get_relative_position_bias(),
            self.window_size, self.num_heads, shift_size=self.shift_size,
            attention_dropout=self.attention_dropout, dropout=self.dropout,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, logit_scale=self.logit_scale,
            training=self.training)


class SwinTransformerBlock(nn.Module):
    """Pre-norm block: x + attn(norm1(x)), then x + mlp(norm2(x)), each through stochastic
    depth."""

    def __init__(self, dim: int, num_heads: int, window_size: list[int], shift_size: list[int],
                 mlp_ratio: float = 4.0, dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.0,
                 norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
                 attn_layer: Callable[..., nn.Module] = ShiftedWindowAttention) -> None:
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = attn_layer(dim, window_size, shift_size, num_heads,
                               attention_dropout=attention_dropout, dropout=dropout)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.norm2 = norm_layer(dim)
        self.mlp = MLP(dim, [int(dim * mlp_ratio), dim], activation_layer=nn.GELU, inplace=None,
                       dropout=dropout)
        for m in self.mlp.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        x = x + self.stochastic_depth(self.attn(self.norm1(x)))
        return x + self.stochastic_depth(self.mlp(self.norm2(x)))


class SwinTransformerBlockV2(SwinTransformerBlock):
    """Post-norm block (V2): x + norm1(attn(x)), then x + norm2(mlp(x))."""

    def __init__(self, dim: int, num_heads: int, window_size: list[int], shift_size: list[int],
                 mlp_ratio: float = 4.0, dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.0,
                 norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
                 attn_layer: Callable[..., nn.Module] = ShiftedWindowAttentionV2) -> None:
        super().__init__(dim, num_heads, window_size, shift_size, mlp_ratio=mlp_ratio,
                         dropout=dropout, attention_dropout=attention_dropout,
                         stochastic_depth_prob=stochastic_depth_prob, norm_layer=norm_layer,
                         attn_layer=attn_layer)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        x = x + self.stochastic_depth(self.norm1(self.attn(x)))
        return x + self.stochastic_depth(self.norm2(self.mlp(x)))


class SwinTransformer(nn.Module):
    """Patch embedding, stages of (shifted) window blocks with patch merging between them,
    LayerNorm, global average pool, linear head. Works channels-last (B, H, W, C) inside.

    Example:
        >>> model = SwinTransformer([4, 4], 8, [2, 1], [1, 2], [3, 3], num_classes=3)
        >>> model.eval()(ember.rand(1, 3, 32, 32)).shape
        ember.Size([1, 3])
    """

    def __init__(self, patch_size: list[int], embed_dim: int, depths: list[int],
                 num_heads: list[int], window_size: list[int], mlp_ratio: float = 4.0,
                 dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.1, num_classes: int = 1000,
                 norm_layer: Callable[..., nn.Module] | None = None,
                 block: Callable[..., nn.Module] | None = None,
                 downsample_layer: Callable[..., nn.Module] = PatchMerging) -> None:
        super().__init__()
        self.num_classes = num_classes
        block = block or SwinTransformerBlock
        norm_layer = norm_layer or partial(nn.LayerNorm, eps=1e-5)

        layers: list[nn.Module] = [nn.Sequential(
            nn.Conv2d(3, embed_dim, kernel_size=(patch_size[0], patch_size[1]),
                      stride=(patch_size[0], patch_size[1])),
            Permute([0, 2, 3, 1]), norm_layer(embed_dim))]
        total_blocks = sum(depths)
        block_id = 0
        for i_stage, depth in enumerate(depths):
            dim = embed_dim * 2 ** i_stage
            stage: list[nn.Module] = []
            for i_layer in range(depth):
                # the drop probability grows linearly from 0 to stochastic_depth_prob
                sd_prob = stochastic_depth_prob * float(block_id) / (total_blocks - 1)
                # every second block shifts its windows by half a window
                stage.append(block(dim, num_heads[i_stage], window_size=window_size,
                                   shift_size=[0 if i_layer % 2 == 0 else w // 2
                                               for w in window_size],
                                   mlp_ratio=mlp_ratio, dropout=dropout,
                                   attention_dropout=attention_dropout,
                                   stochastic_depth_prob=sd_prob, norm_layer=norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if i_stage < len(depths) - 1:
                layers.append(downsample_layer(dim, norm_layer))
        self.features = nn.Sequential(*layers)

        num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = norm_layer(num_features)
        self.permute = Permute([0, 3, 1, 2])  # B H W C -> B C H W
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.head = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        x = self.permute(self.norm(self.features(x)))
        return self.head(self.flatten(self.avgpool(x)))


# arch: (embed_dim, depths, num_heads, window_size, default stochastic_depth_prob, v2)
_ARCHS = {
    "swin_t": (96, [2, 2, 6, 2], [3, 6, 12, 24], [7, 7], 0.2, False),
    "swin_s": (96, [2, 2, 18, 2], [3, 6, 12, 24], [7, 7], 0.3, False),
    "swin_b": (128, [2, 2, 18, 2], [4, 8, 16, 32], [7, 7], 0.5, False),
    "swin_v2_t": (96, [2, 2, 6, 2], [3, 6, 12, 24], [8, 8], 0.2, True),
    "swin_v2_s": (96, [2, 2, 18, 2], [3, 6, 12, 24], [8, 8], 0.3, True),
    "swin_v2_b": (128, [2, 2, 18, 2], [4, 8, 16, 32], [8, 8], 0.5, True),
}


def _swin_transformer(arch: str, weights: WeightsEnum | None, progress: bool,
                      **kwargs: Any) -> SwinTransformer:
    embed_dim, depths, num_heads, window_size, sd_prob, v2 = _ARCHS[arch]
    if weights is not None:
        overwrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    if v2:
        kwargs.setdefault("block", SwinTransformerBlockV2)
        kwargs.setdefault("downsample_layer", PatchMergingV2)
    model = SwinTransformer([4, 4], embed_dim, depths, num_heads, window_size,
                            stochastic_depth_prob=kwargs.pop("stochastic_depth_prob", sd_prob),
                            **kwargs)
    return load_weights(model, weights, progress)


_BICUBIC = InterpolationMode.BICUBIC
_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#swintransformer"
_RECIPE_V2 = _RECIPE + "-v2"
_DOCS = "These weights reproduce closely the results of the paper using a similar training recipe."


class Swin_T_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("swin_t-704ceda3.pth", 28288354, 81.474, 95.776, _RECIPE, crop_size=224,
        resize=232, interpolation=_BICUBIC, min_size=(224, 224), _ops=4.491, _file_size=108.19,
        _docs=_DOCS)
    DEFAULT = IMAGENET1K_V1


class Swin_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("swin_s-5e29d889.pth", 49606258, 83.196, 96.360, _RECIPE, crop_size=224,
        resize=246, interpolation=_BICUBIC, min_size=(224, 224), _ops=8.741,
        _file_size=189.786, _docs=_DOCS)
    DEFAULT = IMAGENET1K_V1


class Swin_B_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("swin_b-68c6b09e.pth", 87768224, 83.582, 96.640, _RECIPE, crop_size=224,
        resize=238, interpolation=_BICUBIC, min_size=(224, 224), _ops=15.431,
        _file_size=335.364, _docs=_DOCS)
    DEFAULT = IMAGENET1K_V1


class Swin_V2_T_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("swin_v2_t-b137f0e2.pth", 28351570, 82.072, 96.132, _RECIPE_V2,
        crop_size=256, resize=260, interpolation=_BICUBIC, min_size=(256, 256), _ops=5.94,
        _file_size=108.626, _docs=_DOCS)
    DEFAULT = IMAGENET1K_V1


class Swin_V2_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("swin_v2_s-637d8ceb.pth", 49737442, 83.712, 96.816, _RECIPE_V2,
        crop_size=256, resize=260, interpolation=_BICUBIC, min_size=(256, 256), _ops=11.546,
        _file_size=190.675, _docs=_DOCS)
    DEFAULT = IMAGENET1K_V1


class Swin_V2_B_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("swin_v2_b-781e5279.pth", 87930848, 84.112, 96.864, _RECIPE_V2,
        crop_size=256, resize=272, interpolation=_BICUBIC, min_size=(256, 256), _ops=20.325,
        _file_size=336.372, _docs=_DOCS)
    DEFAULT = IMAGENET1K_V1


@register_model()
@weights_param(Swin_T_Weights, "IMAGENET1K_V1")
def swin_t(*, weights: Swin_T_Weights | None = None, progress: bool = True,
           **kwargs: Any) -> SwinTransformer:
    """Swin-T (``kwargs`` go to :class:`SwinTransformer`)."""
    return _swin_transformer("swin_t", Swin_T_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(Swin_S_Weights, "IMAGENET1K_V1")
def swin_s(*, weights: Swin_S_Weights | None = None, progress: bool = True,
           **kwargs: Any) -> SwinTransformer:
    """Swin-S (``kwargs`` go to :class:`SwinTransformer`)."""
    return _swin_transformer("swin_s", Swin_S_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(Swin_B_Weights, "IMAGENET1K_V1")
def swin_b(*, weights: Swin_B_Weights | None = None, progress: bool = True,
           **kwargs: Any) -> SwinTransformer:
    """Swin-B (``kwargs`` go to :class:`SwinTransformer`)."""
    return _swin_transformer("swin_b", Swin_B_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(Swin_V2_T_Weights, "IMAGENET1K_V1")
def swin_v2_t(*, weights: Swin_V2_T_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> SwinTransformer:
    """Swin-V2-T (``kwargs`` go to :class:`SwinTransformer`)."""
    return _swin_transformer("swin_v2_t", Swin_V2_T_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(Swin_V2_S_Weights, "IMAGENET1K_V1")
def swin_v2_s(*, weights: Swin_V2_S_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> SwinTransformer:
    """Swin-V2-S (``kwargs`` go to :class:`SwinTransformer`)."""
    return _swin_transformer("swin_v2_s", Swin_V2_S_Weights.verify(weights), progress, **kwargs)


@register_model()
@weights_param(Swin_V2_B_Weights, "IMAGENET1K_V1")
def swin_v2_b(*, weights: Swin_V2_B_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> SwinTransformer:
    """Swin-V2-B (``kwargs`` go to :class:`SwinTransformer`)."""
    return _swin_transformer("swin_v2_b", Swin_V2_B_Weights.verify(weights), progress, **kwargs)
