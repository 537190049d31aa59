"""Detection losses."""

from __future__ import annotations

import ember


def sigmoid_focal_loss(inputs: ember.Tensor, targets: ember.Tensor, alpha: float = 0.25,
                       gamma: float = 2, reduction: str = "none") -> ember.Tensor:
    """Focal loss of RetinaNet (Lin et al., 2017) on logits ``inputs`` and 0/1 ``targets``.

    ``alpha`` < 0 disables the class weighting. Differentiable (ember ops only).

    Example:
        >>> import ember
        >>> x = ember.tensor([0.0]); t = ember.tensor([1.0])
        >>> round(sigmoid_focal_loss(x, t).item(), 6)  # 0.25 * 0.5**2 * log 2
        0.043322
    """
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"Invalid Value for arg 'reduction': '{reduction} \n Supported "
                         "reduction modes: 'none', 'mean', 'sum'")
    p = ember.sigmoid(inputs)
    # Stable binary cross-entropy with logits: max(x, 0) - x t + log(1 + exp(-|x|)).
    ce = inputs.clamp(min=0) - inputs * targets + ember.log1p(ember.exp(-inputs.abs()))
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def stochastic_depth(input: ember.Tensor, p: float, mode: str,
                     training: bool = True) -> ember.Tensor:
    """Drop whole residual branches (Huang et al., 2016): per sample (``row``) or for the
    whole batch (``batch``), scaling survivors by 1 / (1 - p)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
    if mode not in ("batch", "row"):
        raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
    if not training or p == 0.0:
        return input
    survival = 1.0 - p
    size = [input.shape[0]] + [1] * (input.ndim - 1) if mode == "row" else [1] * input.ndim
    noise = ember.empty(size, dtype=input.dtype).bernoulli_(survival)
    if survival > 0.0:
        noise = noise / survival
    return input * noise
