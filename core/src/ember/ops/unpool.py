"""Max unpooling: the partial inverse of max pooling (torch.nn.functional.max_unpool*d).

Each input value is written to the flat spatial position its index names in a zero output,
so the op is one differentiable scatter: its gradient is the gather of the output gradient
at the same indices, and it runs on every device scatter runs on.

Example:
    >>> x = ember.arange(16.).reshape(1, 1, 4, 4)
    >>> y, idx = F.max_pool2d(x, 2, return_indices=True)
    >>> F.max_unpool2d(y, idx, 2)[0, 0, 1].tolist()
    [0.0, 5.0, 0.0, 7.0]
"""

from __future__ import annotations

import math

import ember

from .._tensor import Tensor


def _ntuple(v, n: int) -> tuple:
    return tuple(v) if isinstance(v, (list, tuple)) else (v,) * n


def _unpool_output_size(input: Tensor, kernel_size, stride, padding, output_size) -> list:
    """The spatial output size: the pooling input size that gives input's size, or the
    requested output_size (its last n entries), which must lie within a stride of it."""
    n = len(kernel_size)
    default = [(input.shape[-n + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d]
               for d in range(n)]
    if output_size is None:
        return default
    output_size = list(output_size)
    if len(output_size) == n + 2:
        output_size = output_size[2:]
    if len(output_size) != n:
        raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} elements, "
                         f"but it has a length of '{len(output_size)}'")
    for d in range(n):
        lo, hi = default[d] - stride[d], default[d] + stride[d]
        if not lo < output_size[d] < hi:
            raise ValueError(f'invalid output_size "{tuple(output_size)}" (dim {d} must be '
                             f"between {lo} and {hi})")
    return output_size


def _unpool(input: Tensor, indices: Tensor, out: list, n: int) -> Tensor:
    """Scatters input into zeros of spatial size out along the flattened last n dims."""
    name = f"max_unpooling{n}d"
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"Input to {name} should be a {n + 1}d or {n + 2}d Tensor, but got "
                           f"a tensor with {input.dim()} dimensions.")
    if indices.dtype != ember.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {indices.dtype}")
    if indices.shape != input.shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    if not input.is_floating_point():
        raise NotImplementedError(f'"max_unpool{n}d" not implemented for \'{input.dtype}\'')
    if any(s < 0 for s in out):
        raise ValueError(f"max_unpooling: output_size must contain non-negative spatial "
                         f"dimensions, but got output_size={list(out)}")
    lead = tuple(input.shape[:-n])
    volume = math.prod(out)
    flat_idx = indices.reshape(lead + (-1,))
    if flat_idx.numel() > 0:
        # one read back (a device sync on CUDA, as torch's kernel) so that a bad index is a
        # clear error naming it, not a failure inside the scatter
        lo, hi = int(flat_idx.min()), int(flat_idx.max())
        bad = hi if hi >= volume else lo if lo < 0 else None
        if bad is not None:
            raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                               f"{'x'.join(str(s) for s in out)})")
    zeros = ember.zeros(lead + (volume,), dtype=input.dtype, device=input.device)
    y = zeros.scatter(-1, flat_idx, input.reshape(lead + (-1,)))
    return y.reshape(lead + tuple(out))


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Partial inverse of max_pool1d: values go to their indices, zeros elsewhere.

    Example:
        >>> y, i = F.max_pool1d(ember.tensor([[[1., 3., 2., 0.]]]), 2, return_indices=True)
        >>> F.max_unpool1d(y, i, 2).tolist()
        [[[0.0, 3.0, 2.0, 0.0]]]
    """
    k = _ntuple(kernel_size, 1)
    s = k if stride is None else _ntuple(stride, 1)
    out = _unpool_output_size(input, k, s, _ntuple(padding, 1), output_size)
    # as torch: the 2-d unpooling of (..., L, 1) planes, so its errors speak of 2-d shapes
    return _unpool(input.unsqueeze(-1), indices.unsqueeze(-1), list(out) + [1], 2).squeeze(-1)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Partial inverse of max_pool2d over (N, C, H, W) or (C, H, W).

    Example:
        >>> y, i = F.max_pool2d(ember.arange(16.).reshape(1, 1, 4, 4), 2, return_indices=True)
        >>> F.max_unpool2d(y, i, 2, output_size=(5, 5)).shape
        ember.Size([1, 1, 5, 5])
    """
    k = _ntuple(kernel_size, 2)
    s = k if stride is None else _ntuple(stride, 2)
    out = _unpool_output_size(input, k, s, _ntuple(padding, 2), output_size)
    return _unpool(input, indices, list(out), 2)


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Partial inverse of 3-d max pooling over (N, C, D, H, W) or (C, D, H, W); indices are
    flat positions within each D*H*W output volume.

    Example:
        >>> i = ember.tensor([[[[[7]]]]])
        >>> F.max_unpool3d(ember.ones(1, 1, 1, 1, 1), i, 2).flatten().tolist()
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    """
    k = _ntuple(kernel_size, 3)
    s = k if stride is None else _ntuple(stride, 3)
    out = _unpool_output_size(input, k, s, _ntuple(padding, 3), output_size)
    return _unpool(input, indices, list(out), 3)
