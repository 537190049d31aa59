"""View ops: results share their input's memory (view, permute, expand, narrow, select,
slicing, diagonal, unfold, as_strided, ...).

Each view is described by a geometry function (input shape/strides/offset and the
op's arguments -> output shape/strides/offset). One Function runs any of them; its
backward is the inverse view where one exists (permute, reshape, expand) and
otherwise scatters the gradient into zeros through the same geometry.
"""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor, _empty, _numel, contiguous_strides
from . import complex as _CX
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._util import backend_of, wrap_dim


def make_view(t: Tensor, shape: tuple, stride: tuple, offset: int) -> Tensor:
    v = Tensor._make(t._storage, shape, stride, offset, t._dtype)
    v._base = t._base if t._base is not None else t
    return v


# ---- geometries: (shape, stride, offset, args) -> (shape, stride, offset) ----------------

def view_strides(old_shape, old_stride, new_shape):
    """Strides that let new_shape view old memory, or None (torch's computeStride)."""
    if _numel(old_shape) == 0 or not old_shape:
        return contiguous_strides(new_shape)
    new_stride = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base = old_stride[-1] if old_stride else 1
    tensor_numel = 1
    view_numel = 1
    for d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[d]
        if d == 0 or (old_shape[d - 1] != 1 and old_stride[d - 1] != tensor_numel * chunk_base):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_stride[view_d] = view_numel * chunk_base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                chunk_base = old_stride[d - 1]
                tensor_numel = 1
                view_numel = 1
    if view_d != -1:
        return None
    return tuple(new_stride)


def _g_view(shape, stride, offset, new_shape):
    st = view_strides(shape, stride, new_shape)
    if st is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.")
    return new_shape, st, offset


def _g_permute(shape, stride, offset, dims):
    return tuple(shape[d] for d in dims), tuple(stride[d] for d in dims), offset


def _g_expand(shape, stride, offset, new_shape):
    lead = len(new_shape) - len(shape)
    out_st = [0] * lead
    for n, m, s in zip(shape, new_shape[lead:], stride):
        out_st.append(s if n == m else 0)
    return new_shape, tuple(out_st), offset


def _g_as_strided(shape, stride, offset, args):
    size, st, off = args
    return size, st, offset if off is None else off


def _g_strided(shape, stride, offset, args):
    """Like as_strided, with the offset relative to the input's (for internal views)."""
    size, st, off = args
    return size, st, offset + off


def _g_index(shape, stride, offset, items):
    """Basic indexing: items are ('int', dim_index), ('slice', start, stop, step), ('new',)."""
    out_shape, out_stride = [], []
    d = 0
    for it in items:
        kind = it[0]
        if kind == "int":
            offset += it[1] * stride[d]
            d += 1
        elif kind == "slice":
            _, start, length, step = it
            offset += start * stride[d]
            out_shape.append(length)
            out_stride.append(stride[d] * step)
            d += 1
        else:  # new axis
            out_shape.append(1)
            out_stride.append(out_stride[-1] * out_shape[-2] if len(out_shape) > 1 else 1)
    out_shape.extend(shape[d:])
    out_stride.extend(stride[d:])
    return tuple(out_shape), tuple(out_stride), offset


def _g_diagonal(shape, stride, offset, args):
    off, d1, d2 = args
    if off >= 0:
        n = max(min(shape[d1], shape[d2] - off), 0)
        offset += off * stride[d2] if n else 0
    else:
        n = max(min(shape[d1] + off, shape[d2]), 0)
        offset -= off * stride[d1] if n else 0
    keep = [d for d in range(len(shape)) if d not in (d1, d2)]
    return (tuple(shape[d] for d in keep) + (n,),
            tuple(stride[d] for d in keep) + (stride[d1] + stride[d2],), offset)


def _g_unfold(shape, stride, offset, args):
    dim, size, step = args
    n = (shape[dim] - size) // step + 1 if shape else 1
    new_shape = list(shape)
    new_stride = list(stride)
    if shape:
        new_shape[dim] = n
        new_stride[dim] = stride[dim] * step
    return tuple(new_shape) + (size,), tuple(new_stride) + (stride[dim] if shape else 1,), offset


_GEOMETRY = {"view": _g_view, "permute": _g_permute, "expand": _g_expand,
             "as_strided": _g_as_strided, "index": _g_index, "diagonal": _g_diagonal,
             "unfold": _g_unfold, "strided": _g_strided}
_OVERLAPPING = {"unfold", "as_strided", "expand", "strided"}


class View(Function):
    """Any view op: forward computes the geometry, backward inverts or scatters."""

    _builtin = True
    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, kind, args):
        shape, stride, offset = _GEOMETRY[kind](x._shape, x._stride, x._offset, args)
        ctx.kind, ctx.args, ctx.in_shape = kind, args, x._shape
        return make_view(x, shape, stride, offset)

    @staticmethod
    def backward(ctx, g):
        kind, args, in_shape = ctx.kind, ctx.args, ctx.in_shape
        if kind == "view":
            return g.reshape(in_shape), None, None
        if kind == "permute":
            inv = [0] * len(args)
            for i, d in enumerate(args):
                inv[d] = i
            return g.permute(inv), None, None
        if kind == "expand":
            return g.sum_to_size(in_shape), None, None
        return ScatterView.apply(g, in_shape, kind, args), None, None


class ScatterView(Function):
    """Gradient of a view: zeros of the input's shape with g added through the view."""

    _builtin = True

    @staticmethod
    def forward(ctx, g, in_shape, kind, args):
        ctx.kind, ctx.args = kind, args
        z = _empty(in_shape, g._dtype, g.device)
        backend_of(z).fill(z, 0)
        shape, stride, offset = _GEOMETRY[kind](in_shape, z._stride, 0, args)
        region = make_view(z, shape, stride, offset)
        if kind in _OVERLAPPING:
            from .index import put_into, storage_offsets
            offs = storage_offsets(region)
            src = g if g.is_contiguous() else g.contiguous()
            put_into(z, offs, src, True)
        else:
            backend_of(z).copy(g, region)
        return z

    @staticmethod
    def backward(ctx, gg):
        return View.apply(gg, ctx.kind, ctx.args), None, None, None


def view_op(x: Tensor, kind: str, args) -> Tensor:
    return View.apply(x, kind, args)


# ---- in-place on views: rebasing the base's history ---------------------------------------

class CopySlices(Function):
    """The base after an in-place write through one of its views."""

    _builtin = True

    @staticmethod
    def forward(ctx, base, value, geometry):
        ctx.geometry, ctx.base_shape = geometry, base._shape
        return Tensor._alias(base, keep_graph=False)

    @staticmethod
    def backward(ctx, g):
        g = g.contiguous()
        g_value = View.apply(g, "strided", ctx.geometry)
        covered = ScatterView.apply(g_value.new_ones(ctx.geometry[0]), ctx.base_shape, "strided",
                                    ctx.geometry)
        return g * (1 - covered), g_value, None


def rebase_history(target: Tensor, result: Tensor) -> None:
    """After writing result into target in place, gives target result's graph position;
    for a view, the base gets a CopySlices node and the view becomes a view of it."""
    base = target._base
    if base is None or not STATE.enabled:
        target._grad_fn, target._output_nr = result._grad_fn, result._output_nr
        target._requires_grad = True
        return
    if base._grad_fn is None and base._requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    if base._stride != contiguous_strides(base._shape):
        raise RuntimeError("in-place operation with autograd on a view of a non-contiguous "
                           "tensor is not supported; call .contiguous() on the base first")
    geometry = (target._shape, target._stride, target._offset - base._offset)
    old = Tensor._alias(base)
    new_base = CopySlices.apply(old, result, geometry)
    base._grad_fn, base._output_nr, base._requires_grad = new_base._grad_fn, 0, True
    v = View.apply(base, "strided", geometry)
    target._grad_fn, target._output_nr, target._requires_grad = v._grad_fn, 0, True


# ---- public view functions ----------------------------------------------------------------

def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def infer_shape(shape: tuple, numel: int) -> tuple:
    """Resolves one -1 in shape against numel, with torch's errors."""
    shape = tuple(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    known = _numel(s for s in shape if s != -1)
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = shape[:neg[0]] + (numel // known,) + shape[neg[0] + 1:]
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def view(x: Tensor, *shape) -> Tensor:
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        return view_as_dtype(x, shape[0])
    return View.apply(x, "view", infer_shape(_shape_arg(shape), x.numel()))


def view_as_dtype(x: Tensor, dtype) -> Tensor:
    if dtype.itemsize != x._dtype.itemsize:
        raise RuntimeError("view(dtype) with a different element size is not supported")
    return Tensor._make(x._storage, x._shape, x._stride, x._offset, dtype)


def reshape(x: Tensor, *shape) -> Tensor:
    shape = infer_shape(_shape_arg(shape), x.numel())
    if view_strides(x._shape, x._stride, shape) is not None:
        return View.apply(x, "view", shape)
    return View.apply(x.contiguous(), "view", shape)


def permute(x: Tensor, *dims) -> Tensor:
    if not dims:
        raise TypeError('permute() missing 1 required positional arguments: "dims"')
    dims = _shape_arg(dims)
    n = x.dim()
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {n} is not equal to len(dims) = {len(dims)}")
    wrapped = tuple(wrap_dim(d, n) for d in dims)
    if len(set(wrapped)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return View.apply(x, "permute", wrapped)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    n = x.dim()
    d0, d1 = wrap_dim(dim0, n), wrap_dim(dim1, n)
    dims = list(range(n))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return View.apply(x, "permute", tuple(dims))


swapaxes = swapdims = transpose


def t(x: Tensor) -> Tensor:
    if x.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.dim()}D")
    return transpose(x, 0, 1) if x.dim() == 2 else x.view(x._shape) if x._shape else x.view(())


def adjoint(x: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims (for real tensors, the transpose view).

    Example:
        >>> ember.tensor([[1 + 1j, 2j]]).adjoint()
        tensor([[1.-1.j],
                [0.-2.j]])
    """
    flipped = transpose(x, -2, -1)
    return _CX.conj(flipped) if x._dtype.is_complex else flipped


def hermitian_of_matrix(x: Tensor) -> Tensor:
    """Tensor.H: the conjugate transpose of a matrix (0-D and 1-D tensors as they are)."""
    if x.dim() > 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{x.dim()}-D tensor. For batches of matrices, consider using "
                           "tensor.mH")
    flipped = t(x)
    return _CX.conj(flipped) if x._dtype.is_complex else flipped


def movedim(x: Tensor, source, destination) -> Tensor:
    n = x.dim()
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    src = [wrap_dim(d, n) for d in src]
    dst = [wrap_dim(d, n) for d in dst]
    order = [None] * n
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(n) if d not in src)
    order = [o if o is not None else next(rest) for o in order]
    return View.apply(x, "permute", tuple(order))


moveaxis = movedim


def expand(x: Tensor, *sizes) -> Tensor:
    sizes = _shape_arg(sizes)
    if len(sizes) < x.dim():
        raise RuntimeError(f"expand(ember.{_tname(x)}{{{list(x._shape)}}}, size={list(sizes)}): "
                           "the number of sizes provided ({}) must be greater or equal to the "
                           "number of dimensions in the tensor ({})".format(len(sizes), x.dim()))
    lead = len(sizes) - x.dim()
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   "leading, non-existing dimension 0")
            target.append(s)
            continue
        cur = x._shape[i - lead]
        if s == -1:
            s = cur
        if cur != s and cur != 1:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({cur}) at non-singleton dimension {i}.  Target sizes: "
                               f"{list(sizes)}.  Tensor sizes: {list(x._shape)}")
        target.append(s)
    target = tuple(target)
    if target == x._shape:
        return View.apply(x, "view", target)
    return View.apply(x, "expand", target)


def _tname(x):
    return x.type().split(".")[-1]


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    return expand(x, other._shape)


def broadcast_to(x: Tensor, shape) -> Tensor:
    return expand(x, tuple(shape))


def squeeze(x: Tensor, dim=None) -> Tensor:
    n = x.dim()
    if dim is None:
        dims = {d for d in range(n) if x._shape[d] == 1}
    else:
        dims = {wrap_dim(d, n) for d in ((dim,) if isinstance(dim, int) else dim)}
        dims = {d for d in dims if x._shape[d] == 1}
    shape = tuple(s for d, s in enumerate(x._shape) if d not in dims)
    return View.apply(x, "view", shape)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    d = wrap_dim(dim, x.dim() + 1)
    return View.apply(x, "view", x._shape[:d] + (1,) + x._shape[d:])


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    n = x.dim()
    if n == 0:
        return reshape(x, (1,))
    s, e = wrap_dim(start_dim, n), wrap_dim(end_dim, n)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return x
    shape = x._shape[:s] + (_numel(x._shape[s:e + 1]),) + x._shape[e + 1:]
    return reshape(x, shape)


def unflatten(x: Tensor, dim: int, sizes) -> Tensor:
    d = wrap_dim(dim, x.dim())
    sizes = infer_shape(tuple(sizes), x._shape[d])
    return view(x, x._shape[:d] + sizes + x._shape[d + 1:])


def narrow(x: Tensor, dim: int, start, length: int) -> Tensor:
    d = wrap_dim(dim, x.dim())
    size = x._shape[d]
    start = int(start)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    items = [("slice", 0, x._shape[i], 1) for i in range(d)] + [("slice", start, length, 1)]
    return View.apply(x, "index", tuple(items))


def select(x: Tensor, dim: int, index: int) -> Tensor:
    if x.dim() == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, x.dim())
    size = x._shape[d]
    if index < -size or index >= size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(x._shape)} at dimension {d}")
    items = [("slice", 0, x._shape[i], 1) for i in range(d)] + [("int", index % size)]
    return View.apply(x, "index", tuple(items))


def diagonal(x: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    n = x.dim()
    d1, d2 = wrap_dim(dim1, n), wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return View.apply(x, "diagonal", (offset, d1, d2))


def unfold(x: Tensor, dimension: int, size: int, step: int) -> Tensor:
    d = wrap_dim(dimension, x.dim())
    dim_size = x._shape[d] if x._shape else 1
    if size > dim_size:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {dim_size} but size is "
                           f"{size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return View.apply(x, "unfold", (d, size, step))


def as_strided(x: Tensor, size, stride, storage_offset=None) -> Tensor:
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    off = x._offset if storage_offset is None else storage_offset
    if any(n < 0 for n in size):
        raise RuntimeError(f"as_strided: negative sizes are not allowed, got sizes: {list(size)}")
    if any(s < 0 for s in stride):  # a view must not reach before its storage
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, "
                           f"got strides: {list(stride)}")
    if off < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {off}")
    extent = off + sum((n - 1) * s for n, s in zip(size, stride)) if _numel(size) else off
    if extent >= x._storage.data.size and _numel(size):
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {off} require more storage than the tensor has "
                           f"({x._storage.data.size} elements)")
    return View.apply(x, "as_strided", (size, stride, off))


def split(x: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    d = wrap_dim(dim, x.dim())
    size = x._shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {size}")
        sizes = [min(step, size - i) for i in range(0, size, step)] if step else [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {d}), but got "
                               f"split_sizes={sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(narrow(x, d, start, s))
        start += s
    return tuple(out)


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple:
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    d = wrap_dim(dim, x.dim())
    size = x._shape[d]
    if size == 0:
        return (x,)
    return split(x, -(-size // chunks), d)


def tensor_split(x: Tensor, indices_or_sections, dim: int = 0) -> tuple:
    d = wrap_dim(dim, x.dim())
    size = x._shape[d]
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        q, r = divmod(size, n)
        sizes = [q + 1] * r + [q] * (n - r)
    else:
        # each index bounds a slice, so a negative one counts from the end, as in x[:i]
        idx = [int(i) + size if int(i) < 0 else int(i) for i in indices_or_sections]
        bounds = [0] + [min(max(i, 0), size) for i in idx] + [size]
        sizes = [max(b - a, 0) for a, b in zip(bounds, bounds[1:])]
        starts = bounds[:-1]
        return tuple(narrow(x, d, min(s, size), n) for s, n in zip(starts, sizes))
    return split(x, sizes, d)


def _split_dim(name: str, x: Tensor, indices_or_sections, dim: int, min_dims: int) -> tuple:
    """hsplit/vsplit/dsplit: tensor_split along dim, whose sections must be equal."""
    if x.dim() < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, "
                           f"but got a tensor with {x.dim()} dimensions!")
    if isinstance(indices_or_sections, int):
        size = x._shape[dim]
        if indices_or_sections == 0 or size % indices_or_sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {size} is not divisible by the "
                               f"split_size {indices_or_sections}!")
    return tensor_split(x, indices_or_sections, dim)


def hsplit(x: Tensor, indices_or_sections) -> tuple:
    """Splits along the columns: dim 1, or dim 0 of a 1-D tensor."""
    return _split_dim("hsplit", x, indices_or_sections, 0 if x.dim() == 1 else 1, 1)


def vsplit(x: Tensor, indices_or_sections) -> tuple:
    """Splits along the rows (dim 0) of a tensor of 2 or more dims."""
    return _split_dim("vsplit", x, indices_or_sections, 0, 2)


def dsplit(x: Tensor, indices_or_sections) -> tuple:
    """Splits along the depth (dim 2) of a tensor of 3 or more dims."""
    return _split_dim("dsplit", x, indices_or_sections, 2, 3)


def ravel(x: Tensor) -> Tensor:
    """The elements as a 1-D tensor: a view where the layout allows, else a copy."""
    return reshape(x, (-1,))


def unbind(x: Tensor, dim: int = 0) -> tuple:
    d = wrap_dim(dim, x.dim())
    return tuple(select(x, d, i) for i in range(x._shape[d]))


def contiguous(x: Tensor, memory_format=None) -> Tensor:
    if x.is_contiguous():
        return x
    return clone(x)


class Clone(Function):
    _builtin = True

    @staticmethod
    def forward(ctx, x):
        out = _empty(x._shape, x._dtype, x.device)
        backend_of(x).copy(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        return g


def clone(x: Tensor, *, memory_format=None) -> Tensor:
    return Clone.apply(x)


def split_with_sizes(x: Tensor, split_sizes, dim: int = 0) -> tuple:
    return split(x, list(split_sizes), dim)


# torch's unsafe_ forms skip its view bookkeeping for speed; ember's views have none to skip
unsafe_chunk = chunk
unsafe_split = split
unsafe_split_with_sizes = split_with_sizes
