"""Masked reductions and normalizations, as torch.masked: each takes a bool ``mask``
(broadcastable to the input, None meaning every element is valid) and computes over the
valid elements only, on any device and with gradients.

torch's MaskedTensor, masked_tensor and as_masked_tensor are a prototype there and have no
counterpart here; pass the mask to each function instead.

Example:
    >>> x = ember.tensor([[1., 2.], [3., 4.]])
    >>> ember.masked.mean(x, 1, mask=ember.tensor([[True, False], [True, True]]))
    tensor([1.0000, 3.5000])
"""

from ._normalizations import cumprod, cumsum, log_softmax, normalize, softmax, softmin
from ._reductions import (amax, amin, argmax, argmin, logaddexp, logsumexp, mean, median, norm,
                          prod, std, sum, var)

__all__ = ["amax", "amin", "argmax", "argmin", "cumprod", "cumsum", "log_softmax",
           "logaddexp", "logsumexp", "mean", "median", "norm", "normalize", "prod", "softmax",
           "softmin", "std", "sum", "var"]
