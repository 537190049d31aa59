"""parameters_to_vector / vector_to_parameters.

Example:
    >>> lin = nn.Linear(2, 3)
    >>> nn.utils.parameters_to_vector(lin.parameters()).shape
    ember.Size([9])
"""

from __future__ import annotations

from typing import Iterable

import ember

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated (differentiable)."""
    return ember.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copies consecutive slices of vec into the parameters' data."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    with no_grad():
        for param in parameters:
            n = param.numel()
            param.copy_(vec[pointer:pointer + n].view_as(param))
            pointer += n
