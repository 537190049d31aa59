"""Printing tensors the way torch does: aligned columns, scientific notation when the
magnitudes call for it, summaries with '...' for large tensors."""

from __future__ import annotations

import math

import numpy as np

from . import _dtype as D


class _Options:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


PRINT_OPTS = _Options()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    if profile == "default":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems = 4, 1000, 3
        PRINT_OPTS.linewidth = 80
    elif profile == "short":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems = 2, 1000, 2
    elif profile == "full":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems = 4, math.inf, 3
    for name, v in (("precision", precision), ("threshold", threshold),
                    ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if v is not None:
            setattr(PRINT_OPTS, name, v)
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    def __init__(self, values: np.ndarray, floating: bool):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if not floating:
            self.max_width = max((len(str(v)) for v in values.tolist()), default=1)
            return
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            self.max_width = max((len(self._fmt_special(v)) for v in values), default=1)
            return
        nonzero = np.abs(finite[finite != 0])
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if self.int_mode:
            if nonzero.size and (nonzero.max() / max(nonzero.min(), 1e-300) > 1000.0 or
                                 nonzero.max() > 1.0e8):
                self.sci_mode = True
        elif nonzero.size:
            hi, lo = nonzero.max(), nonzero.min()
            if hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4:
                self.sci_mode = True
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode
        self.max_width = max(len(self.format(v)) for v in values.tolist())

    @staticmethod
    def _fmt_special(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")

    def format(self, v) -> str:
        if not self.floating:
            return str(v)
        if not math.isfinite(v):
            return self._fmt_special(v)
        p = PRINT_OPTS.precision
        if self.sci_mode:
            return f"{v:.{p}e}"
        if self.int_mode:
            return f"{v:.0f}."
        return f"{v:.{p}f}"

    def padded(self, v) -> str:
        return self.format(v).rjust(self.max_width)


def _summarize(arr: np.ndarray, edge: int) -> np.ndarray:
    if arr.ndim == 0:
        return arr.reshape(1)
    if arr.shape[0] > 2 * edge:
        parts = [arr[:edge], arr[-edge:]]
    else:
        parts = [arr]
    return np.concatenate([_summarize(p[i], edge) if p.ndim > 1 else p.reshape(-1)
                           for p in parts for i in (range(len(p)) if p.ndim > 1 else [slice(None)])
                           ]) if arr.ndim > 1 else np.concatenate(parts)


def _render(arr: np.ndarray, fmt: _Formatter, indent: int, summarize: bool) -> str:
    edge = PRINT_OPTS.edgeitems
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        items = arr.tolist()
        if summarize and len(items) > 2 * edge:
            cells = [fmt.padded(v) for v in items[:edge]] + [" ..."] + \
                    [fmt.padded(v) for v in items[-edge:]]
        else:
            cells = [fmt.padded(v) for v in items]
        per_line = max(1, (PRINT_OPTS.linewidth - indent) // (fmt.max_width + 2))
        lines = [", ".join(cells[i:i + per_line]) for i in range(0, len(cells), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = range(arr.shape[0])
    if summarize and arr.shape[0] > 2 * edge:
        rows = list(range(edge)) + [None] + list(range(arr.shape[0] - edge, arr.shape[0]))
    parts = [("..." if r is None else _render(arr[r], fmt, indent + 1, summarize)) for r in rows]
    sep = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def tensor_str(t, indent: int = 7) -> str:
    """t's elements as torch prints them, rows after the first indented by indent + 1."""
    x = t.detach().cpu()
    if x._dtype in (D.bfloat16, D.float16):
        arr = x.float()._np()
    else:
        arr = x._np()
    floating = t._dtype.is_floating_point
    summarize = arr.size > PRINT_OPTS.threshold
    sample = _summarize(arr, PRINT_OPTS.edgeitems) if summarize else arr.reshape(-1)
    if t._dtype is D.bool_:
        return _render(arr, _BoolFmt(sample), indent, summarize)
    if t._dtype.is_complex:
        return _render(arr, _ComplexFmt(sample), indent, summarize)
    fmt = _Formatter(sample.astype(np.float64) if floating else sample, floating)
    return _render(arr, fmt, indent, summarize)


class _ComplexFmt:
    """torch's complex layout: real parts and imaginary parts each get their own
    formatter (width, notation), joined as ``re+imj``."""

    def __init__(self, values: np.ndarray):
        self.re = _Formatter(values.real.astype(np.float64), True)
        self.im = _Formatter(values.imag.astype(np.float64), True)
        self.max_width = self.re.max_width + self.im.max_width + 2

    def format(self, v) -> str:
        return self._join(self.re.format(v.real), self.im.format(v.imag))

    def padded(self, v) -> str:
        return self._join(self.re.padded(v.real), self.im.padded(v.imag))

    @staticmethod
    def _join(re: str, im: str) -> str:
        im = im.lstrip() + "j"
        return re + im if im[0] in "+-" else re + "+" + im


class _BoolFmt:
    """As torch: values are padded to "False"'s width only where a False is shown."""

    def __init__(self, values: np.ndarray):
        self.max_width = 4 if values.all() else 5

    def format(self, v):
        return str(bool(v))

    def padded(self, v):
        return str(bool(v)).rjust(self.max_width)


def tensor_repr(t) -> str:
    suffixes = []
    default_int = t._dtype is D.int64
    default_float = t._dtype in (D.get_default_dtype(), D.get_default_dtype().to_complex())
    if t.numel() == 0 and t._shape != (0,):
        suffixes.append(f"size={tuple(t._shape)}")
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if not (default_float or default_int or t._dtype is D.bool_) or (
            t.numel() == 0 and not default_float):
        suffixes.append(f"dtype=ember.{t._dtype.name}")
    if t.numel() == 0:
        body = "[]"
    else:
        body = tensor_str(t)
    if t._grad_fn is not None:
        suffixes.append(f"grad_fn=<{t._grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    text = "tensor(" + body
    # as torch: a suffix that would run past the line width starts a line of its own
    line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line + len(suffix) + 2 > PRINT_OPTS.linewidth:
            text += ",\n" + " " * 7 + suffix
            line = 7 + len(suffix)
        else:
            text += ", " + suffix
            line += len(suffix) + 2
    return text + ")"
