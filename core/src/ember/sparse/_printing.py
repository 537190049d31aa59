"""repr of a sparse COO tensor, laid out as torch's: its indices and values, then size,
nnz, dtype, layout and autograd state."""

from __future__ import annotations

from .. import _dtype as D
from .._tensor_str import PRINT_OPTS, tensor_str

_INDENT = 7  # len("tensor(")


def _part(name: str, t) -> str:
    prefix = f"{name}=tensor("
    # rows after the first line up under it, past the prefix
    body = "[]" if t.numel() == 0 else tensor_str(t, _INDENT + len(prefix))
    if t.numel() == 0:
        body += f", size={tuple(t._shape)}"
    return prefix + body + ")"


def sparse_repr(s) -> str:
    suffixes = []
    if s.device.type != "cpu":
        suffixes.append(f"device='{s.device}'")
    suffixes += [f"size={tuple(s._shape)}", f"nnz={s._nnz()}"]
    if s._dtype not in (D.get_default_dtype(), D.get_default_dtype().to_complex(), D.int64,
                        D.bool_):
        suffixes.append(f"dtype=ember.{s._dtype.name}")
    suffixes.append("layout=ember.sparse_coo")
    if s._grad_fn is not None:
        suffixes.append(f"grad_fn=<{s._grad_fn.name()}>")
    elif s._requires_grad:
        suffixes.append("requires_grad=True")
    text = ("tensor(" + _part("indices", s._sparse_indices) + ",\n" + " " * _INDENT +
            _part("values", s._sparse_values.detach()))
    # the first suffix starts a line of its own; later ones wrap at the line width
    line = None
    for suffix in suffixes:
        if line is None or line + len(suffix) + 2 > PRINT_OPTS.linewidth:
            text += ",\n" + " " * _INDENT + suffix
            line = _INDENT + len(suffix)
        else:
            text += ", " + suffix
            line += len(suffix) + 2
    return text + ")"
