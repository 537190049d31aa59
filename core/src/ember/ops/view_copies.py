"""The copying forms of the view ops and their inverses, as torch's functional API has them.

``torch.diagonal_copy(x)`` is ``x.diagonal()`` in new memory of its own; ``torch.diagonal_
scatter(x, src)`` is a copy of x whose diagonal holds src: what writing src through the view
would make, without writing. Both are built on the view op and a copy, so autograd and
every device come from those.

Example:
    >>> ember.diagonal_scatter(ember.zeros(2, 2), ember.ones(2))
    tensor([[1., 0.],
            [0., 1.]])
"""

from __future__ import annotations

from .._tensor import Tensor
from . import views as V
from .complex import view_as_complex, view_as_real


def _fresh(t: Tensor) -> Tensor:
    """t's elements in new contiguous memory, as torch's copies are."""
    return t.clone() if t.is_contiguous() else t.contiguous()


def _copying(view_fn, name: str):
    def copy_of_view(input: Tensor, *args, **kwargs):
        out = view_fn(input, *args, **kwargs)
        return tuple(_fresh(t) for t in out) if isinstance(out, (tuple, list)) else _fresh(out)
    copy_of_view.__name__ = copy_of_view.__qualname__ = name
    copy_of_view.__doc__ = f"``{view_fn.__name__}`` in new memory, as ``torch.{name}``."
    return copy_of_view


def _slice(input: Tensor, dim: int = 0, start: int | None = None, end: int | None = None,
           step: int = 1) -> Tensor:
    """input[..., start:end:step, ...] along dim (torch's aten::slice)."""
    index = [slice(None)] * input.dim()
    index[dim] = slice(start, end, step)
    return input[tuple(index)]


alias_copy = _copying(lambda input: input.view(input.shape), "alias_copy")
as_strided_copy = _copying(V.as_strided, "as_strided_copy")
detach_copy = _copying(lambda input: input.detach(), "detach_copy")
diagonal_copy = _copying(V.diagonal, "diagonal_copy")
expand_copy = _copying(V.expand, "expand_copy")
narrow_copy = _copying(V.narrow, "narrow_copy")
permute_copy = _copying(V.permute, "permute_copy")
select_copy = _copying(V.select, "select_copy")
slice_copy = _copying(_slice, "slice_copy")
split_copy = _copying(V.split, "split_copy")
split_with_sizes_copy = _copying(V.split, "split_with_sizes_copy")
squeeze_copy = _copying(V.squeeze, "squeeze_copy")
t_copy = _copying(V.t, "t_copy")
transpose_copy = _copying(V.transpose, "transpose_copy")
unbind_copy = _copying(V.unbind, "unbind_copy")
unfold_copy = _copying(lambda input, dimension, size, step: input.unfold(dimension, size, step),
                       "unfold_copy")
unsqueeze_copy = _copying(V.unsqueeze, "unsqueeze_copy")
view_copy = _copying(V.view, "view_copy")
view_as_real_copy = _copying(view_as_real, "view_as_real_copy")
view_as_complex_copy = _copying(view_as_complex, "view_as_complex_copy")


def _scattered(input: Tensor, src: Tensor, view, name: str) -> Tensor:
    """A copy of input with src written through view(copy); src must have the view's shape
    (torch does not broadcast it)."""
    out = input.clone()
    region = view(out)
    if region.shape != src.shape:
        raise RuntimeError(f"{name}: expected src to have a size equal to the slice of self. "
                           f"src size = {list(src.shape)}, slice size = {list(region.shape)}")
    region.copy_(src)
    return out


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Tensor:
    """input with its diagonal (as ``diagonal(offset, dim1, dim2)``) replaced by src."""
    return _scattered(input, src, lambda t: V.diagonal(t, offset, dim1, dim2),
                      "diagonal_scatter")


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """input with ``input.select(dim, index)`` replaced by src."""
    return _scattered(input, src, lambda t: V.select(t, dim, index), "select_scatter")


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: int | None = None,
                  end: int | None = None, step: int = 1) -> Tensor:
    """input with ``input[..., start:end:step, ...]`` (along dim) replaced by src."""
    return _scattered(input, src, lambda t: _slice(t, dim, start, end, step), "slice_scatter")


def as_strided_scatter(input: Tensor, src: Tensor, size, stride,
                       storage_offset: int | None = None) -> Tensor:
    """input with ``input.as_strided(size, stride, storage_offset)`` replaced by src."""
    return _scattered(input, src, lambda t: V.as_strided(t, size, stride, storage_offset),
                      "as_strided_scatter")


__all__ = ["alias_copy", "as_strided_copy", "detach_copy", "diagonal_copy", "expand_copy",
           "narrow_copy", "permute_copy", "select_copy", "slice_copy", "split_copy",
           "split_with_sizes_copy", "squeeze_copy", "t_copy", "transpose_copy", "unbind_copy",
           "unfold_copy", "unsqueeze_copy", "view_copy", "view_as_real_copy",
           "view_as_complex_copy", "diagonal_scatter", "select_scatter", "slice_scatter",
           "as_strided_scatter"]
