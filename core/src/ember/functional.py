"""The functions torch groups in ``torch.functional``, under the same module name: each is
ember's own op, the one ``ember.<name>`` also gives.

Example:
    >>> from ember.functional import atleast_2d
    >>> atleast_2d(ember.tensor(1.0)).shape
    ember.Size([1, 1])
"""

from .ops.decompositions import chain_matmul
from .ops.decompositions import lu_legacy as lu
from .ops.distance import cdist
from .ops.index import unravel_index
from .ops.join import (atleast_1d, atleast_2d, atleast_3d, block_diag, broadcast_shapes,
                       broadcast_tensors, cartesian_prod, meshgrid)
from .ops.linalg import einsum, tensordot
from .ops.lowrank import pca_lowrank, svd_lowrank
from .ops.reduce import norm
from .ops.sort import unique, unique_consecutive
from .ops.spectral import istft, stft
from .ops.views import split

__all__ = ["atleast_1d", "atleast_2d", "atleast_3d", "block_diag", "broadcast_shapes",
           "broadcast_tensors", "cartesian_prod", "cdist", "chain_matmul", "einsum", "istft",
           "lu", "meshgrid", "norm", "pca_lowrank", "split", "stft", "svd_lowrank",
           "tensordot", "unique", "unique_consecutive", "unravel_index"]
