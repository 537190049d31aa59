"""Joining, splitting and reordering: cat, stack, flip, roll, repeat, tril/triu, diag, ..."""

from __future__ import annotations

import itertools

from .. import _dtype as D
from .._tensor import Size, Tensor, _empty
from ..autograd.function import Function
from ._util import backend_of, broadcast_shapes as _broadcast_shapes, result_type, wrap_dim
from .creation import tensor
from .views import make_view


class Cat(Function):
    _builtin = True

    @staticmethod
    def forward(ctx, dim, *tensors):
        dtype = result_type(*tensors)
        ref = next((t for t in tensors if t.dim() > 1 or t.numel() > 0), tensors[0])
        shape = list(ref._shape)
        sizes = []
        for i, t in enumerate(tensors):
            if t.dim() == 1 and t._shape[0] == 0 and ref.dim() != 1:
                sizes.append(0)  # torch skips legacy empty 1-d tensors
                continue
            if t.dim() != len(shape):
                raise RuntimeError(f"Tensors must have same number of dimensions: got "
                                   f"{len(shape)} and {t.dim()}")
            for d, (a, b) in enumerate(zip(shape, t._shape)):
                if d != dim and a != b:
                    raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. "
                                       f"Expected size {a} but got size {b} for tensor number {i} "
                                       "in the list.")
            sizes.append(t._shape[dim])
        shape[dim] = sum(sizes)
        out = _empty(tuple(shape), dtype, tensors[0].device)
        start = 0
        for t, n in zip(tensors, sizes):
            if n:
                offset = out._offset + start * out._stride[dim]
                region = make_view(out, t._shape, out._stride, offset)
                backend_of(out).copy(t, region)
            start += n
        ctx.dim, ctx.sizes = dim, sizes
        return out

    @staticmethod
    def backward(ctx, g):
        grads, start = [], 0
        for n in ctx.sizes:
            grads.append(g.narrow(ctx.dim, start, n))
            start += n
        return (None, *grads)


def cat(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Concatenates tensors along an existing dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    ref = next((t for t in tensors if not (t.dim() == 1 and t._shape[0] == 0)), tensors[0])
    if ref.dim() == 0:
        raise RuntimeError(f"zero-dimensional tensor (at position {tensors.index(ref)}) cannot "
                           "be concatenated")
    d = wrap_dim(dim, ref.dim())
    r = Cat.apply(d, *tensors)
    if out is not None:
        from ._util import check_out
        return check_out(out, r, "cat")
    return r


concat = concatenate = cat


def stack(tensors, dim: int = 0, *, out=None) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._shape
    for i, t in enumerate(tensors):
        if t._shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(t._shape)} at entry {i}")
    d = wrap_dim(dim, len(shape) + 1)
    return cat([t.unsqueeze(d) for t in tensors], d, out=out)


def hstack(tensors) -> Tensor:
    tensors = [atleast_1d(t) for t in tensors]
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1)


def vstack(tensors) -> Tensor:
    return cat([atleast_2d(t) for t in tensors], 0)


row_stack = vstack


def dstack(tensors) -> Tensor:
    return cat([atleast_3d(t) for t in tensors], 2)


def column_stack(tensors) -> Tensor:
    return hstack([t.reshape(-1, 1) if t.dim() <= 1 else t for t in tensors])


def atleast_1d(t):
    return t.reshape(1) if t.dim() == 0 else t


def atleast_2d(t):
    return t.reshape(1, -1) if t.dim() < 2 else t


def atleast_3d(t):
    if t.dim() == 0:
        return t.reshape(1, 1, 1)
    if t.dim() == 1:
        return t.reshape(1, -1, 1)
    if t.dim() == 2:
        return t.unsqueeze(-1)
    return t


class Flip(Function):
    _builtin = True

    @staticmethod
    def forward(ctx, x, dims):
        offset = x._offset
        stride = list(x._stride)
        for d in dims:
            if x._shape[d]:
                offset += (x._shape[d] - 1) * stride[d]
            stride[d] = -stride[d]
        src = Tensor._make(x._storage, x._shape, tuple(stride), offset, x._dtype)
        out = _empty(x._shape, x._dtype, x.device)
        backend_of(x).copy(src, out)
        ctx.dims = dims
        return out

    @staticmethod
    def backward(ctx, g):
        return Flip.apply(g, ctx.dims), None


def flip(input: Tensor, dims) -> Tensor:
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    wrapped = tuple(sorted({wrap_dim(d, input.dim()) for d in dims}))
    if len(wrapped) != len(dims):
        raise RuntimeError("dims has duplicates")
    if input.dim() == 0:
        return input.clone()
    return Flip.apply(input, wrapped)


def fliplr(input: Tensor) -> Tensor:
    if input.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    if input.dim() < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    if dims is None:
        return roll(input.reshape(-1), shifts, 0).reshape(input._shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims: "
                           f"{len(dims)}")
    out = input
    for s, d in zip(shifts, dims):
        d = wrap_dim(d, input.dim())
        n = input._shape[d]
        if n == 0:
            continue
        s %= n
        if s:
            out = cat([out.narrow(d, n - s, s), out.narrow(d, 0, n - s)], d)
    return out if out is not input else input.clone()


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    d0, d1 = (wrap_dim(d, input.dim()) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k %= 4
    if k == 1:
        return input.flip(d1).transpose(d0, d1)
    if k == 2:
        return input.flip((d0, d1))
    if k == 3:
        return input.flip(d0).transpose(d0, d1)
    return input.clone()


def repeat(input: Tensor, *sizes) -> Tensor:
    sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
    if len(sizes) < input.dim():
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    x = input.reshape((1,) * (len(sizes) - input.dim()) + input._shape)
    inter = []
    for n in x._shape:
        inter.extend([1, n])
    expanded = x.reshape(inter).expand([v for r, n in zip(sizes, x._shape) for v in (r, n)])
    return expanded.reshape(tuple(r * n for r, n in zip(sizes, x._shape)))


def tile(input: Tensor, dims) -> Tensor:
    dims = tuple(dims)
    if len(dims) < input.dim():
        dims = (1,) * (input.dim() - len(dims)) + dims
    return repeat(input, dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None) -> Tensor:
    from .creation import arange, tensor
    if repeats is None:  # repeat_interleave(repeats_tensor)
        reps = input
        return repeat_interleave(arange(reps.numel(), device=reps.device), reps, 0)
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else wrap_dim(dim, x.dim())
    if isinstance(repeats, int) or (isinstance(repeats, Tensor) and repeats.numel() == 1):
        r = int(repeats)
        if r < 0:
            raise RuntimeError("Repeats must be non-negative")
        shape = list(x._shape)
        e = x.unsqueeze(d + 1).expand(shape[:d + 1] + [r] + shape[d + 1:])
        return e.flatten(d, d + 1)
    reps = repeats.tolist()
    if len(reps) != x._shape[d]:
        raise RuntimeError("repeats must have the same size as input along dim")
    if min(reps, default=0) < 0:
        raise RuntimeError("repeats can not be negative")
    idx = tensor([i for i, r in enumerate(reps) for _ in range(r)], dtype=D.int64,
                 device=x.device)
    return x.index_select(d, idx)


def _tri_mask(x: Tensor, diagonal: int, upper: bool) -> Tensor:
    from .creation import arange
    n, m = x._shape[-2], x._shape[-1]
    rows = arange(n, device=x.device).reshape(n, 1)
    cols = arange(m, device=x.device).reshape(1, m)
    return (cols - rows >= diagonal) if upper else (cols - rows <= diagonal)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    if input.dim() < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    from .elementwise import where
    return where(_tri_mask(input, diagonal, False), input, input.new_zeros(()))


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    if input.dim() < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    from .elementwise import where
    return where(_tri_mask(input, diagonal, True), input, input.new_zeros(()))


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    if input.dim() == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.dim() == 2:
        return input.diagonal(diagonal).clone()
    raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " + f"{input.dim()}D")


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    n = input._shape[-1] + abs(offset)
    nd = input.dim() + 1
    d1, d2 = wrap_dim(dim1, nd), wrap_dim(dim2, nd)
    shape = list(input._shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, n)
    out = input.new_zeros(tuple(shape))
    out.diagonal(offset, d1, d2).copy_(input)
    return out


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """A 2-D tensor with input's elements (flattened) on diagonal offset.

    Example:
        >>> ember.diagflat(ember.tensor([[1, 2], [3, 4]])).shape
        ember.Size([4, 4])
    """
    return diag_embed(input.reshape(-1), offset, 0, 1)


def fill_diagonal_(self: Tensor, fill_value, wrap: bool = False) -> Tensor:
    """Writes fill_value along the main diagonal of a matrix, or of a tensor whose dims are
    all equal; with wrap, a tall matrix's diagonal starts again every cols + 1 rows."""
    if self.dim() < 2:
        raise RuntimeError("dimensions must larger than 1")
    if len(set(self._shape)) != 1 and self.dim() > 2:
        raise RuntimeError("all dimensions of input must be of equal length")
    if self.dim() > 2:
        self.as_strided((self._shape[0],), (sum(self._stride),), self._offset).fill_(fill_value)
        return self
    rows, cols = self._shape
    step = cols + 1 if wrap else rows
    for start in range(0, rows, step):
        self[start:].diagonal().fill_(fill_value)
    return self


def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors (0-d, 1-d as a row, or 2-d) as blocks along the diagonal of one matrix.

    Example:
        >>> ember.block_diag(ember.ones(2, 2), ember.tensor([3, 4])).shape
        ember.Size([3, 4])
    """
    for i, t in enumerate(tensors):
        if t.dim() > 2:
            raise RuntimeError("torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.dim()} dimensions")
    if not tensors:
        return _empty((1, 0), D.get_default_dtype())
    dtype = result_type(*tensors)
    blocks = [(t if t.dim() == 2 else t.reshape(1, -1)).to(dtype) for t in tensors]
    width = sum(b._shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        h, w = b._shape
        rows.append(cat([b.new_zeros((h, left)), b, b.new_zeros((h, width - left - w))], 1))
        left += w
    return cat(rows, 0)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-D tensor, as rows (itertools.product).

    Example:
        >>> ember.cartesian_prod(ember.tensor([1, 2]), ember.tensor([3, 4, 5])).shape
        ember.Size([6, 2])
    """
    for t in tensors:
        if t.dim() != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The r-length combinations of a 1-D tensor's elements, as rows (itertools order).

    Example:
        >>> ember.combinations(ember.tensor([1, 2, 3]), 2)
        tensor([[1, 2],
                [1, 3],
                [2, 3]])
    """
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input._shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty((0,))
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    rows = list(pick(range(input._shape[0]), r))
    picks = tensor(rows, dtype=D.int64, device=input.device) if rows else \
        input.new_zeros((0, r), dtype=D.int64)
    return input[picks]


def broadcast_shapes(*shapes) -> Size:
    """The shape that tensors of the given shapes broadcast to; an int counts as a 1-d shape.

    Example:
        >>> ember.broadcast_shapes((2, 1), (3,), 1)
        ember.Size([2, 3])
    """
    dims = []
    for s in shapes:
        s = (s,) if isinstance(s, int) else tuple(s)
        if any(n < 0 for n in s):
            raise ValueError(f"broadcast_shapes: shape {list(s)} has a negative dimension")
        dims.append(s)
    return Size(_broadcast_shapes(*dims))


def broadcast_tensors(*tensors) -> tuple:
    shape = _broadcast_shapes(*(t._shape for t in tensors))
    return tuple(t.expand(shape) for t in tensors)


def meshgrid(*tensors, indexing: str = "ij") -> tuple:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    ts = list(tensors)
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.numel() for t in ts)
    n = len(ts)
    out = []
    for i, t in enumerate(ts):
        view_shape = [1] * n
        view_shape[i] = -1
        out.append(t.reshape(view_shape).expand(shape))
    if swap:
        out = [o.transpose(0, 1) for o in out]
        out[0], out[1] = out[1], out[0]
    return tuple(out)
