"""The Tensor methods torch defines for sparse and quantized layouts, on the tensors that
lack that layout: they raise torch's exception naming the layout the method needs and
the one it got (``indices expected sparse coordinate tensor layout but got Strided``),
or, for the methods of one backend's kernels, the NotImplementedError of an op without a
kernel for this backend. ``sparse_dim``/``dense_dim`` answer for a dense tensor (0 and
its dim) and ``dequantize`` converts it to float32, as torch.

ember.SparseCooTensor defines its own indices, values, coalesce and kin, which win over
these for a sparse tensor.

Example:
    >>> ember.ones(2).indices()
    Traceback (most recent call last):
    RuntimeError: indices expected sparse coordinate tensor layout but got Strided
"""

from __future__ import annotations

from . import _dtype as D
from ._layouts import sparse_coo
from ._tensor import Tensor

# the layout each method needs, as torch's message names it
_NEEDED_LAYOUT = {
    "indices": "sparse coordinate", "coalesce": "sparse coordinate",
    "is_coalesced": "sparse coordinate", "values": "sparse",
    "crow_indices": "sparse row compressed", "col_indices": "sparse row compressed",
    "ccol_indices": "sparse column compressed", "row_indices": "sparse column compressed",
}

# methods of sparse or quantized kernels only: no kernel for a dense tensor's backend
_WITHOUT_KERNEL = ("_indices", "_values", "_nnz", "_dimI", "_dimV", "_coalesced_",
                   "sparse_resize_", "sparse_resize_and_clear_", "q_scale", "q_zero_point",
                   "q_per_channel_scales", "q_per_channel_zero_points", "q_per_channel_axis",
                   "int_repr", "qscheme")


def _backend(tensor: Tensor) -> str:
    """The dispatch key torch's message names ('CPU', 'CUDA', 'SparseCPU', ...)."""
    device = tensor.device.type.upper()
    return f"Sparse{device}" if tensor.layout is sparse_coo else device


def _no_kernel(name: str, tensor: Tensor) -> NotImplementedError:
    return NotImplementedError(f"Could not run 'aten::{name}' with arguments from the "
                               f"'{_backend(tensor)}' backend: ember has this op for sparse "
                               "or quantized tensors only, and ember has no quantized tensors")


def _layout_refusal(name: str, needed: str):
    def refuse(self, *args, **kwargs):
        got = "Sparse" if self.layout is sparse_coo else "Strided"
        raise RuntimeError(f"{name} expected {needed} tensor layout but got {got}")
    refuse.__name__ = refuse.__qualname__ = name
    refuse.__doc__ = f"Raises: only a tensor of {needed} layout has {name}."
    return refuse


def _kernel_refusal(name: str):
    def refuse(self, *args, **kwargs):
        raise _no_kernel(name, self)
    refuse.__name__ = refuse.__qualname__ = name
    refuse.__doc__ = f"Raises: {name} belongs to sparse or quantized tensors."
    return refuse


def sparse_dim(self) -> int:
    """The number of sparse dims: 0 for a dense tensor."""
    return 0


def dense_dim(self) -> int:
    """The number of dense dims: all of a dense tensor's."""
    return self.dim()


def dequantize(self) -> Tensor:
    """A dense tensor as float32 (itself if it is float32): ember has no quantized tensors.

    Example:
        >>> ember.tensor([1, 2]).dequantize()
        tensor([1., 2.])
    """
    return self.to(D.float32)


def sparse_mask(self, mask: Tensor) -> Tensor:
    """A sparse COO tensor with mask's indices and this dense tensor's values there.

    Example:
        >>> m = ember.tensor([[0.0, 5.0], [0.0, 0.0]]).to_sparse()
        >>> ember.tensor([[1.0, 2.0], [3.0, 4.0]]).sparse_mask(m).values()
        tensor([2.])
    """
    from .sparse._creation import sparse_coo_tensor
    if mask.layout is not sparse_coo or self.layout is sparse_coo:
        raise _no_kernel("sparse_mask", self if self.layout is sparse_coo else mask)
    if tuple(self.shape) != tuple(mask.shape):
        raise RuntimeError(f"sparse_mask(): operands have incompatible sizes; self has size "
                           f"{list(self.shape)} but mask has size {list(mask.shape)}")
    indices = mask._indices()
    values = self[tuple(indices)]
    return sparse_coo_tensor(indices, values, tuple(self.shape),
                             is_coalesced=mask.is_coalesced())


METHODS = {**{name: _layout_refusal(name, needed) for name, needed in _NEEDED_LAYOUT.items()},
           **{name: _kernel_refusal(name) for name in _WITHOUT_KERNEL},
           "sparse_dim": sparse_dim, "dense_dim": dense_dim, "dequantize": dequantize,
           "sparse_mask": sparse_mask}
