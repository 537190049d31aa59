"""ember.sparse, as torch.sparse: products, sums and softmaxes of sparse COO tensors.

Sparse COO tensors themselves (``ember.sparse_coo_tensor``, ``Tensor.to_sparse``) are
``ember.Tensor`` instances with ``layout=ember.sparse_coo``; see ember._sparse_coo_tensor.

Example:
    >>> adj = ember.sparse_coo_tensor([[0, 1], [1, 0]], [1.0, 1.0], (2, 2))
    >>> ember.sparse.mm(adj, ember.tensor([[1.0], [2.0]]))
    tensor([[2.],
            [1.]])
"""

from __future__ import annotations

from .._sparse_coo_tensor import refuse_inplace_methods
from ._arithmetic import sparse_sum as sum  # noqa: A004  (torch.sparse.sum)
from ._matmul import addmm, mm
from ._softmax import log_softmax, softmax

refuse_inplace_methods()

__all__ = ["addmm", "log_softmax", "mm", "softmax", "sum"]
