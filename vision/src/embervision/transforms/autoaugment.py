"""Automatic augmentation policies with torchvision's API: ``AutoAugment`` (learned
IMAGENET/CIFAR10/SVHN policies), ``RandAugment``, ``TrivialAugmentWide`` and ``AugMix``.

Each applies ops of ``_apply_op`` (shear, translate, rotate, colour, posterize, ...) with
magnitudes from torchvision's tables, on PIL images or uint8 tensors (..., 1 or 3, H, W).
Random choices draw from ember's global generator (``ember.manual_seed``).

Example:
    >>> import ember
    >>> img = ember.randint(0, 256, (3, 16, 16), dtype=ember.uint8)
    >>> RandAugment(num_ops=2, magnitude=9)(img).shape
    ember.Size([3, 16, 16])
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Any

import ember

from . import functional as F
from .functional import InterpolationMode, _interp
from .transforms import Transform

__all__ = ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"]


def _apply_op(img: Any, op_name: str, magnitude: float, interpolation: InterpolationMode,
              fill: list[float] | None) -> Any:
    """Apply one named augmentation op at ``magnitude`` (its meaning depends on the op)."""
    if op_name == "ShearX":
        # Shears are about the top-left corner, as in the papers' PIL implementations.
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0,
                        shear=[math.degrees(math.atan(magnitude)), 0.0],
                        interpolation=interpolation, fill=fill, center=[0, 0])
    if op_name == "ShearY":
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0,
                        shear=[0.0, math.degrees(math.atan(magnitude))],
                        interpolation=interpolation, fill=fill, center=[0, 0])
    if op_name == "TranslateX":
        return F.affine(img, angle=0.0, translate=[int(magnitude), 0], scale=1.0,
                        interpolation=interpolation, shear=[0.0, 0.0], fill=fill)
    if op_name == "TranslateY":
        return F.affine(img, angle=0.0, translate=[0, int(magnitude)], scale=1.0,
                        interpolation=interpolation, shear=[0.0, 0.0], fill=fill)
    if op_name == "Rotate":
        return F.rotate(img, magnitude, interpolation=interpolation, fill=fill)
    if op_name == "Brightness":
        return F.adjust_brightness(img, 1.0 + magnitude)
    if op_name == "Color":
        return F.adjust_saturation(img, 1.0 + magnitude)
    if op_name == "Contrast":
        return F.adjust_contrast(img, 1.0 + magnitude)
    if op_name == "Sharpness":
        return F.adjust_sharpness(img, 1.0 + magnitude)
    if op_name == "Posterize":
        return F.posterize(img, int(magnitude))
    if op_name == "Solarize":
        return F.solarize(img, magnitude)
    if op_name == "AutoContrast":
        return F.autocontrast(img)
    if op_name == "Equalize":
        return F.equalize(img)
    if op_name == "Invert":
        return F.invert(img)
    if op_name == "Identity":
        return img
    raise ValueError(f"The provided operator {op_name} is not recognized.")


def _tensor_fill(img: Any, fill: Any) -> list[float] | None:
    if not isinstance(img, ember.Tensor):
        return fill
    if isinstance(fill, (int, float)):
        return [float(fill)] * F.get_dimensions(img)[0]
    return None if fill is None else [float(f) for f in fill]


def _randint(high: int) -> int:
    return int(ember.randint(high, (1,)).item())


def _posterize_bits(top: int, num_bins: int, spread: int) -> ember.Tensor:
    return top - (ember.arange(num_bins) / ((num_bins - 1) / spread)).round().int()


class AutoAugmentPolicy(Enum):
    """AutoAugment policies learned on ImageNet, CIFAR10 and SVHN."""

    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


# Each sub-policy: two (op name, probability, magnitude bin or None) steps (Cubuk et al., 2019).
_POLICIES = {
    AutoAugmentPolicy.IMAGENET: [
        (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
        (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
        (("Solarize", 0.6, 3), ("Equalize", 0.6, None)),
        (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
        (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)),
        (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
        (("Rotate", 0.8, 8), ("Color", 0.4, 0)),
        (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
        (("Equalize", 0.0, None), ("Equalize", 0.8, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
        (("Color", 0.8, 8), ("Solarize", 0.8, 7)),
        (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
        (("ShearX", 0.6, 5), ("Equalize", 1.0, None)),
        (("Color", 0.4, 0), ("Equalize", 0.6, None)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
    ],
    AutoAugmentPolicy.CIFAR10: [
        (("Invert", 0.1, None), ("Contrast", 0.2, 6)),
        (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
        (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)),
        (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.5, None), ("Equalize", 0.9, None)),
        (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
        (("Color", 0.4, 3), ("Brightness", 0.6, 7)),
        (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
        (("Equalize", 0.6, None), ("Equalize", 0.5, None)),
        (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
        (("Color", 0.7, 7), ("TranslateX", 0.5, 8)),
        (("Equalize", 0.3, None), ("AutoContrast", 0.4, None)),
        (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)),
        (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
        (("Solarize", 0.5, 2), ("Invert", 0.0, None)),
        (("Equalize", 0.2, None), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.2, None), ("Equalize", 0.6, None)),
        (("Color", 0.9, 9), ("Equalize", 0.6, None)),
        (("AutoContrast", 0.8, None), ("Solarize", 0.2, 8)),
        (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
        (("Solarize", 0.4, 5), ("AutoContrast", 0.9, None)),
        (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.9, None), ("Solarize", 0.8, 3)),
        (("Equalize", 0.8, None), ("Invert", 0.1, None)),
        (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, None)),
    ],
    AutoAugmentPolicy.SVHN: [
        (("ShearX", 0.9, 4), ("Invert", 0.2, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.6, None), ("Solarize", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("AutoContrast", 0.8, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.4, None)),
        (("ShearY", 0.9, 5), ("Solarize", 0.2, 6)),
        (("Invert", 0.9, None), ("AutoContrast", 0.8, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("Solarize", 0.3, 3)),
        (("ShearY", 0.8, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.9, None), ("TranslateY", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Contrast", 0.3, 3), ("Rotate", 0.8, 4)),
        (("Invert", 0.8, None), ("TranslateY", 0.0, 2)),
        (("ShearY", 0.7, 6), ("Solarize", 0.4, 8)),
        (("Invert", 0.6, None), ("Rotate", 0.8, 4)),
        (("ShearY", 0.3, 7), ("TranslateX", 0.9, 3)),
        (("ShearX", 0.1, 6), ("Invert", 0.6, None)),
        (("Solarize", 0.7, 2), ("TranslateY", 0.6, 7)),
        (("ShearY", 0.8, 4), ("Invert", 0.8, None)),
        (("ShearX", 0.7, 9), ("TranslateY", 0.8, 3)),
        (("ShearY", 0.8, 5), ("AutoContrast", 0.7, None)),
        (("ShearX", 0.7, 2), ("Invert", 0.1, None)),
    ],
}


def _geometric_space(num_bins: int, image_size: tuple[int, int], shear: float,
                     translate: tuple[float, float], rotate: float) -> dict:
    return {
        "ShearX": (ember.linspace(0.0, shear, num_bins), True),
        "ShearY": (ember.linspace(0.0, shear, num_bins), True),
        "TranslateX": (ember.linspace(0.0, translate[1], num_bins), True),
        "TranslateY": (ember.linspace(0.0, translate[0], num_bins), True),
        "Rotate": (ember.linspace(0.0, rotate, num_bins), True),
    }


def _colour_space(num_bins: int, top: float) -> dict:
    return {name: (ember.linspace(0.0, top, num_bins), True)
            for name in ("Brightness", "Color", "Contrast", "Sharpness")}


def _tail_space(num_bins: int, bits_top: int, bits_spread: int) -> dict:
    return {
        "Posterize": (_posterize_bits(bits_top, num_bins, bits_spread), False),
        "Solarize": (ember.linspace(255.0, 0.0, num_bins), False),
        "AutoContrast": (ember.tensor(0.0), False),
        "Equalize": (ember.tensor(0.0), False),
    }


class _AugmentBase(Transform):
    def __init__(self, interpolation: InterpolationMode, fill: list[float] | None) -> None:
        super().__init__()
        self.interpolation = _interp(interpolation)
        self.fill = fill


class AutoAugment(_AugmentBase):
    """AutoAugment (Cubuk et al., 2019): apply a random sub-policy of ``policy``, each of
    its two ops with its own probability and magnitude (sign drawn at random)."""

    def __init__(self, policy: AutoAugmentPolicy = AutoAugmentPolicy.IMAGENET,
                 interpolation: InterpolationMode = InterpolationMode.NEAREST,
                 fill: list[float] | None = None) -> None:
        super().__init__(interpolation, fill)
        self.policy = policy
        self.policies = self._get_policies(policy)

    def _get_policies(self, policy: AutoAugmentPolicy) -> list:
        if policy not in _POLICIES:
            raise ValueError(f"The provided policy {policy} is not recognized.")
        return list(_POLICIES[policy])

    def _augmentation_space(self, num_bins: int, image_size: tuple[int, int]) -> dict:
        translate = (150.0 / 331.0 * image_size[0], 150.0 / 331.0 * image_size[1])
        space = _geometric_space(num_bins, image_size, 0.3, translate, 30.0)
        space.update(_colour_space(num_bins, 0.9))
        space.update(_tail_space(num_bins, 8, 4))
        space["Invert"] = (ember.tensor(0.0), False)
        return space

    @staticmethod
    def get_params(transform_num: int) -> tuple[int, ember.Tensor, ember.Tensor]:
        """A sub-policy index, two application probabilities and two signs."""
        policy_id = _randint(transform_num)
        return policy_id, ember.rand((2,)), ember.randint(2, (2,))

    def forward(self, img: Any) -> Any:
        fill = _tensor_fill(img, self.fill)
        _, height, width = F.get_dimensions(img)
        transform_id, probs, signs = self.get_params(len(self.policies))
        op_meta = self._augmentation_space(10, (height, width))
        for i, (op_name, p, magnitude_id) in enumerate(self.policies[transform_id]):
            if float(probs[i]) <= p:
                magnitudes, signed = op_meta[op_name]
                magnitude = float(magnitudes[magnitude_id].item()) \
                    if magnitude_id is not None else 0.0
                if signed and int(signs[i]) == 0:
                    magnitude *= -1.0
                img = _apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(policy={self.policy}, fill={self.fill})"


class RandAugment(_AugmentBase):
    """RandAugment (Cubuk et al., 2020): ``num_ops`` uniformly chosen ops, all at bin
    ``magnitude`` of ``num_magnitude_bins`` (random sign)."""

    def __init__(self, num_ops: int = 2, magnitude: int = 9, num_magnitude_bins: int = 31,
                 interpolation: InterpolationMode = InterpolationMode.NEAREST,
                 fill: list[float] | None = None) -> None:
        super().__init__(interpolation, fill)
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins

    def _augmentation_space(self, num_bins: int, image_size: tuple[int, int]) -> dict:
        translate = (150.0 / 331.0 * image_size[0], 150.0 / 331.0 * image_size[1])
        space = {"Identity": (ember.tensor(0.0), False)}
        space.update(_geometric_space(num_bins, image_size, 0.3, translate, 30.0))
        space.update(_colour_space(num_bins, 0.9))
        space.update(_tail_space(num_bins, 8, 4))
        return space

    def forward(self, img: Any) -> Any:
        fill = _tensor_fill(img, self.fill)
        _, height, width = F.get_dimensions(img)
        op_meta = self._augmentation_space(self.num_magnitude_bins, (height, width))
        for _ in range(self.num_ops):
            op_name = list(op_meta)[_randint(len(op_meta))]
            magnitudes, signed = op_meta[op_name]
            magnitude = float(magnitudes[self.magnitude].item()) if magnitudes.ndim > 0 else 0.0
            if signed and _randint(2):
                magnitude *= -1.0
            img = _apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(num_ops={self.num_ops}, magnitude={self.magnitude}"
                f", num_magnitude_bins={self.num_magnitude_bins}, interpolation="
                f"{self.interpolation}, fill={self.fill})")


class TrivialAugmentWide(_AugmentBase):
    """TrivialAugment Wide (Müller & Hutter, 2021): one uniformly chosen op at a uniformly
    chosen magnitude bin (random sign)."""

    def __init__(self, num_magnitude_bins: int = 31,
                 interpolation: InterpolationMode = InterpolationMode.NEAREST,
                 fill: list[float] | None = None) -> None:
        super().__init__(interpolation, fill)
        self.num_magnitude_bins = num_magnitude_bins

    def _augmentation_space(self, num_bins: int) -> dict:
        space = {"Identity": (ember.tensor(0.0), False)}
        space.update(_geometric_space(num_bins, (0, 0), 0.99, (32.0, 32.0), 135.0))
        space.update(_colour_space(num_bins, 0.99))
        space.update(_tail_space(num_bins, 8, 6))
        return space

    def forward(self, img: Any) -> Any:
        fill = _tensor_fill(img, self.fill)
        op_meta = self._augmentation_space(self.num_magnitude_bins)
        op_name = list(op_meta)[_randint(len(op_meta))]
        magnitudes, signed = op_meta[op_name]
        magnitude = float(magnitudes[_randint(len(magnitudes))].item()) \
            if magnitudes.ndim > 0 else 0.0
        if signed and _randint(2):
            magnitude *= -1.0
        return _apply_op(img, op_name, magnitude, self.interpolation, fill)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(num_magnitude_bins={self.num_magnitude_bins}, "
                f"interpolation={self.interpolation}, fill={self.fill})")


def _standard_gamma(alpha: ember.Tensor) -> ember.Tensor:
    """Gamma(alpha, 1) samples (Marsaglia & Tsang, 2000), vectorized over ``alpha``; the
    loop runs over rejection rounds (each accepts > 95% of the remaining samples)."""
    boost = alpha < 1
    a = ember.where(boost, alpha + 1, alpha)
    d = a - 1.0 / 3.0
    c = 1.0 / ember.sqrt(9.0 * d)
    out = ember.zeros_like(alpha)
    done = ember.zeros(alpha.shape, dtype=ember.bool, device=alpha.device)
    while not bool(done.all()):
        x = ember.randn(alpha.shape, dtype=alpha.dtype, device=alpha.device)
        v = (1 + c * x) ** 3
        u = ember.rand(alpha.shape, dtype=alpha.dtype, device=alpha.device)
        safe_v = v.clamp_min(1e-30)
        accept = (v > 0) & (ember.log(u) < 0.5 * x * x + d - d * safe_v + d * ember.log(safe_v))
        out = ember.where(accept & ~done, d * safe_v, out)
        done = done | accept
    # Gamma(alpha) = Gamma(alpha + 1) * U^(1/alpha) for alpha < 1.
    u = ember.rand(alpha.shape, dtype=alpha.dtype, device=alpha.device)
    return ember.where(boost, out * u ** (1.0 / alpha), out)


class AugMix(_AugmentBase):
    """AugMix (Hendrycks et al., 2020): mix ``mixture_width`` chains of random ops with
    Dirichlet(``alpha``) weights, then blend with the original by a Beta(alpha, alpha) draw."""

    def __init__(self, severity: int = 3, mixture_width: int = 3, chain_depth: int = -1,
                 alpha: float = 1.0, all_ops: bool = True,
                 interpolation: InterpolationMode = InterpolationMode.BILINEAR,
                 fill: list[float] | None = None) -> None:
        super().__init__(interpolation, fill)
        self._PARAMETER_MAX = 10
        if not 1 <= severity <= self._PARAMETER_MAX:
            raise ValueError(f"The severity must be between [1, {self._PARAMETER_MAX}]. Got "
                             f"{severity} instead.")
        self.severity = severity
        self.mixture_width = mixture_width
        self.chain_depth = chain_depth
        self.alpha = alpha
        self.all_ops = all_ops

    def _augmentation_space(self, num_bins: int, image_size: tuple[int, int]) -> dict:
        translate = (image_size[0] / 3.0, image_size[1] / 3.0)
        space = _geometric_space(num_bins, image_size, 0.3, translate, 30.0)
        space.update(_tail_space(num_bins, 4, 4))
        if self.all_ops:
            space.update(_colour_space(num_bins, 0.9))
        return space

    def _sample_dirichlet(self, params: ember.Tensor) -> ember.Tensor:
        gammas = _standard_gamma(params)
        return gammas / gammas.sum(-1, keepdim=True)

    def forward(self, orig_img: Any) -> Any:
        fill = _tensor_fill(orig_img, self.fill)
        _, height, width = F.get_dimensions(orig_img)
        img = orig_img if isinstance(orig_img, ember.Tensor) else F.pil_to_tensor(orig_img)
        op_meta = self._augmentation_space(self._PARAMETER_MAX, (height, width))
        orig_dims = list(img.shape)
        batch = img.reshape([1] * max(4 - img.ndim, 0) + orig_dims)
        batch_dims = [batch.shape[0]] + [1] * (batch.ndim - 1)
        b = batch_dims[0]
        # Beta weights of (original, augmented) as a 2-way Dirichlet; then the chain weights.
        m = self._sample_dirichlet(ember.full((b, 2), float(self.alpha), device=batch.device))
        combined = self._sample_dirichlet(
            ember.full((b, self.mixture_width), float(self.alpha), device=batch.device))
        combined = combined * m[:, 1].reshape(b, -1)
        mix = m[:, 0].reshape(batch_dims) * batch
        for i in range(self.mixture_width):
            aug = batch
            depth = self.chain_depth if self.chain_depth > 0 else \
                int(ember.randint(1, 4, (1,)).item())
            for _ in range(depth):
                op_name = list(op_meta)[_randint(len(op_meta))]
                magnitudes, signed = op_meta[op_name]
                magnitude = float(magnitudes[_randint(self.severity)].item()) \
                    if magnitudes.ndim > 0 else 0.0
                if signed and _randint(2):
                    magnitude *= -1.0
                aug = _apply_op(aug, op_name, magnitude, self.interpolation, fill)
            mix = mix + combined[:, i].reshape(batch_dims) * aug
        mix = mix.reshape(orig_dims).to(img.dtype)
        if not isinstance(orig_img, ember.Tensor):
            return F.to_pil_image(mix)
        return mix

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(severity={self.severity}, mixture_width="
                f"{self.mixture_width}, chain_depth={self.chain_depth}, alpha={self.alpha}, "
                f"all_ops={self.all_ops}, interpolation={self.interpolation}, "
                f"fill={self.fill})")
