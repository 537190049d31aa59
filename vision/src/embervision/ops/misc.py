"""Layer blocks shared by the models (``Conv2dNormActivation``, ``SqueezeExcitation``, ``MLP``,
``StochasticDepth``), with torchvision's submodule names so state_dict keys match."""

from __future__ import annotations

from collections.abc import Callable

import ember
from ember import nn

from .losses import stochastic_depth


class Conv2dNormActivation(nn.Sequential):
    """Conv2d, then a norm layer, then an activation (indices 0, 1, 2 in the state_dict).

    Example:
        >>> block = Conv2dNormActivation(3, 8, kernel_size=3, stride=2)
        >>> block(ember.zeros(1, 3, 8, 8)).shape
        ember.Size([1, 8, 4, 4])
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 padding: int | None = None, groups: int = 1,
                 norm_layer: Callable[..., nn.Module] | None = nn.BatchNorm2d,
                 activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
                 dilation: int = 1, inplace: bool | None = True, bias: bool | None = None) -> None:
        if padding is None:
            padding = (kernel_size - 1) // 2 * dilation
        if bias is None:
            bias = norm_layer is None
        layers: list[nn.Module] = [nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                                             padding, dilation=dilation, groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            params = {} if inplace is None else {"inplace": inplace}
            layers.append(activation_layer(**params))
        super().__init__(*layers)
        self.out_channels = out_channels


class SqueezeExcitation(nn.Module):
    """Squeeze-and-Excitation (Hu et al., 2018): rescale channels by a gate computed from
    their global average (``fc1``, ``fc2`` are 1x1 convolutions, as in torchvision)."""

    def __init__(self, input_channels: int, squeeze_channels: int,
                 activation: Callable[..., nn.Module] = nn.ReLU,
                 scale_activation: Callable[..., nn.Module] = nn.Sigmoid) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def _scale(self, input: ember.Tensor) -> ember.Tensor:
        scale = self.activation(self.fc1(self.avgpool(input)))
        return self.scale_activation(self.fc2(scale))

    def forward(self, input: ember.Tensor) -> ember.Tensor:
        return self._scale(input) * input


class MLP(nn.Sequential):
    """Linear layers (with optional norm, activation, dropout) of widths ``hidden_channels``."""

    def __init__(self, in_channels: int, hidden_channels: list[int],
                 norm_layer: Callable[..., nn.Module] | None = None,
                 activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
                 inplace: bool | None = None, bias: bool = True, dropout: float = 0.0) -> None:
        params = {} if inplace is None else {"inplace": inplace}
        layers: list[nn.Module] = []
        in_dim = in_channels
        for hidden_dim in hidden_channels[:-1]:
            layers.append(nn.Linear(in_dim, hidden_dim, bias=bias))
            if norm_layer is not None:
                layers.append(norm_layer(hidden_dim))
            layers.append(activation_layer(**params))
            layers.append(nn.Dropout(dropout, **params))
            in_dim = hidden_dim
        layers.append(nn.Linear(in_dim, hidden_channels[-1], bias=bias))
        layers.append(nn.Dropout(dropout, **params))
        super().__init__(*layers)


class StochasticDepth(nn.Module):
    """Module form of ``stochastic_depth`` (active only in training mode)."""

    def __init__(self, p: float, mode: str) -> None:
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, input: ember.Tensor) -> ember.Tensor:
        return stochastic_depth(input, self.p, self.mode, self.training)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p}, mode={self.mode})"


class Permute(nn.Module):
    """``x.permute(*dims)`` as a module (ConvNeXt and Swin switch between NCHW and NHWC).

    Example:
        >>> Permute([0, 2, 3, 1])(ember.zeros(1, 3, 4, 5)).shape
        ember.Size([1, 4, 5, 3])
    """

    def __init__(self, dims: list[int]) -> None:
        super().__init__()
        self.dims = dims

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        return ember.permute(x, self.dims)
