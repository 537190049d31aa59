"""Test helpers, as ``torch.testing``: ``assert_close`` and ``make_tensor``.

Example:
    >>> ember.testing.assert_close(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.0000001]))
    >>> x = ember.testing.make_tensor(2, 3, dtype=ember.float32, device="cpu", low=-1, high=1)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from . import _dtype as D
from ._tensor import Tensor
from .ops.elementwise import isclose, nextafter, where

__all__ = ["assert_allclose", "assert_close", "make_tensor"]

# torch's default (rtol, atol) per dtype; every other dtype compares exactly
_TOLERANCES = {
    D.float16: (1e-3, 1e-5), D.bfloat16: (1.6e-2, 1e-5), D.float32: (1.3e-6, 1e-5),
    D.float64: (1e-7, 1e-7), D.complex64: (1.3e-6, 1e-5), D.complex128: (1e-7, 1e-7),
}
_SCALARS = (bool, int, float, complex)


class _Mismatch(AssertionError):
    """A failed comparison (its message says where, for nested inputs)."""


def _default_tolerances(*dtypes) -> tuple[float, float]:
    pairs = [_TOLERANCES.get(d, (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _attribute(name: str, actual, expected) -> None:
    raise _Mismatch(f"The values for attribute '{name}' do not match: {actual} != {expected}.")


def _describe_scalars(a, e, rtol: float, atol: float, exact: bool) -> str:
    diff = abs(a - e)
    rel = diff / abs(e) if e != 0 else (math.inf if diff else 0.0)
    allowed = ("", "") if exact else (f" (up to {atol} allowed)", f" (up to {rtol} allowed)")
    return (f"Scalars are not {'equal' if exact else 'close'}!\n\n"
            f"Expected {e} but got {a}.\nAbsolute difference: {diff}{allowed[0]}\n"
            f"Relative difference: {rel}{allowed[1]}")


def _compare_tensors(actual: Tensor, expected: Tensor, rtol, atol, equal_nan: bool,
                     check_device: bool, check_dtype: bool, check_stride: bool) -> None:
    if actual.shape != expected.shape:
        _attribute("shape", actual.shape, expected.shape)
    if check_device and actual.device != expected.device:
        _attribute("device", actual.device, expected.device)
    if check_dtype and actual.dtype != expected.dtype:
        _attribute("dtype", actual.dtype, expected.dtype)
    if check_stride and actual.stride() != expected.stride():
        _attribute("stride()", actual.stride(), expected.stride())
    if rtol is None:
        rtol, atol = _default_tolerances(actual.dtype, expected.dtype)
    exact = rtol == 0 and atol == 0
    if actual.device != expected.device:  # check_device=False: both compare on the CPU
        actual, expected = actual.cpu(), expected.cpu()
    # differences are computed in the promoted dtype, as torch's, so a float16 report
    # shows float16 digits; bools subtract as integers
    common = D.promote_types(actual.dtype, expected.dtype)
    if common is D.bool_:
        common = D.int64
    a, e = actual.detach().to(common), expected.detach().to(common)
    ok_t = (a == e) if exact and not (common.is_floating_point or common.is_complex) else \
        isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if bool(ok_t.all()):
        return
    diff_t = (a - e).abs()
    rel_t = diff_t / e.abs()
    if a.dim() == 0:
        raise _Mismatch(_describe_scalars(a.item(), e.item(), rtol, atol, exact))
    ok = ok_t.cpu().numpy()
    diff, rel = (_host_values(t) for t in (diff_t, rel_t))
    rel[(diff == 0) & np.isnan(rel)] = 0.0
    bad = int(ok.size - ok.sum())
    lines = [f"Tensor-likes are not {'equal' if exact else 'close'}!", "",
             f"Mismatched elements: {bad} / {ok.size} ({100 * bad / ok.size:.1f}%)"]
    for label, values, allowed in (("absolute", diff, atol), ("relative", rel, rtol)):
        masked = np.where(ok, 0.0, values)
        where = int(np.argmax(np.where(np.isnan(masked), np.inf, masked)))
        index = np.unravel_index(where, ok.shape)
        value = float(masked.flat[where])
        integral = not (common.is_floating_point or common.is_complex)
        shown = int(value) if label == "absolute" and integral and math.isfinite(value) \
            else value
        bound = "" if exact else f" (up to {allowed} allowed)"
        lines.append(f"Greatest {label} difference: {shown} at index "
                     f"{tuple(int(i) for i in index)}{bound}")
    raise _Mismatch("\n".join(lines))


def _host_values(t: Tensor) -> np.ndarray:
    """t's values on the host in float64, exactly (every dtype but int64 beyond 2^53)."""
    return t.cpu().double().numpy()


def _as_tensor(x):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        from .ops.creation import from_numpy
        return from_numpy(x)
    return None


def _compare(actual, expected, rtol, atol, equal_nan, check_device, check_dtype,
             check_stride) -> None:
    if isinstance(actual, _SCALARS) and isinstance(expected, _SCALARS):
        if check_dtype and type(actual) is not type(expected):
            raise _Mismatch(f"The (d)types do not match: {type(actual)} != {type(expected)}.")
        if isinstance(actual, bool) and isinstance(expected, bool):
            if actual is not expected:
                raise _Mismatch(f"Booleans mismatch: {actual} is not {expected}")
            return
        if rtol is None:  # Python numbers compare at float64's defaults
            floating = not (isinstance(actual, int) and isinstance(expected, int))
            rtol, atol = _TOLERANCES[D.float64] if floating else (0.0, 0.0)
        ok = (actual == expected or (equal_nan and actual != actual and expected != expected)
              or abs(actual - expected) <= atol + rtol * abs(expected))
        if not ok:
            raise _Mismatch(_describe_scalars(actual, expected, rtol, atol,
                                              rtol == 0 and atol == 0))
        return
    ta, te = _as_tensor(actual), _as_tensor(expected)
    if ta is not None and te is not None and type(actual) is type(expected):
        _compare_tensors(ta, te, rtol, atol, equal_nan, check_device, check_dtype,
                         check_stride)
        return
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            raise _Mismatch(f"The keys of the mappings do not match:\n"
                            f"Missing keys in the actual mapping: "
                            f"{sorted(map(str, set(expected) - set(actual)))}\n"
                            f"Additional keys in the actual mapping: "
                            f"{sorted(map(str, set(actual) - set(expected)))}")
        for key in expected:
            _nested(actual[key], expected[key], f"[{key!r}]", rtol, atol, equal_nan,
                    check_device, check_dtype, check_stride)
        return
    if (isinstance(actual, Sequence) and isinstance(expected, Sequence)
            and not isinstance(actual, str) and not isinstance(expected, str)):
        if len(actual) != len(expected):
            raise _Mismatch(f"The length of the sequences mismatch: {len(actual)} != "
                            f"{len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            _nested(a, e, f"[{i}]", rtol, atol, equal_nan, check_device, check_dtype,
                    check_stride)
        return
    raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} "
                    f"and {type(expected)}.")


def _nested(actual, expected, key: str, *options) -> None:
    try:
        _compare(actual, expected, *options)
    except _Mismatch as e:
        text = str(e)
        marker = "\n\nThe failure occurred for item "
        if marker in text:  # a deeper item: prefix this level's key to its path
            head, path = text.split(marker)
            raise _Mismatch(f"{head}{marker}{key}{path}") from None
        raise _Mismatch(f"{text}{marker}{key}") from None


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol=None, atol=None,
                 equal_nan: bool = False, check_device: bool = True, check_dtype: bool = True,
                 check_layout: bool = True, check_stride: bool = False, msg=None) -> None:
    """Asserts that actual and expected are close: tensors (same shape, device and dtype
    unless told otherwise) elementwise within ``atol + rtol * |expected|``, numbers, and
    sequences or mappings of them, compared item by item.

    Without rtol and atol, each dtype's defaults apply (float32: 1.3e-6 and 1e-5;
    integers and bools: exact). msg, a string or a callable on the generated message,
    replaces the message.

    Example:
        >>> ember.testing.assert_close(ember.tensor([1.0]), ember.tensor([1.0 + 1e-7]))
    """
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but "
                         f"got no {'rtol' if rtol is None else 'atol'}.")
    try:
        _compare(actual, expected, rtol, atol, equal_nan, check_device, check_dtype,
                 check_stride)
    except _Mismatch as e:
        text = str(e)
        if msg is not None:
            text = msg(text) if callable(msg) else msg
        raise AssertionError(text) from None


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan: bool = True,
                    msg: str = "") -> None:
    """The deprecated form: expected may be a number or a list, turned into a tensor like
    actual; dtypes need not match; NaNs compare equal."""
    from .ops.creation import tensor
    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = _default_tolerances(actual.dtype, expected.dtype)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_device=True, check_dtype=False, msg=msg or None)


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format=None) -> Tensor:
    """A tensor of the given shape filled with random values: floats uniform in
    [low, high) (default [-9, 9)), integers in [low, high) (default [-9, 10), from 0 for
    uint8), bools either way. noncontiguous gives a strided view of the same values;
    exclude_zero replaces zeros with the dtype's smallest step away from 0.

    Example:
        >>> ember.testing.make_tensor(2, 2, dtype=ember.int64, device="cpu", low=0, high=3)
    """
    from .ops import random as R
    from .ops.creation import full
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if dtype is D.bool_:
        t = R.randint(0, 2, shape, device=device).bool()
    elif dtype.is_floating_point or dtype.is_complex:
        lo = -9.0 if low is None else float(low)
        hi = 9.0 if high is None else float(high)
        if lo > hi:
            raise ValueError(f"low must be less than or equal to high, but got {lo} > {hi}")
        if dtype.is_complex:
            from .ops.complex import complex as make_complex
            part = D.float32 if dtype is D.complex64 else D.float64
            t = make_complex(*(R.rand(shape, dtype=part, device=device) * (hi - lo) + lo
                               for _ in range(2)))
        else:
            t = R.rand(shape, dtype=D.float64 if dtype is D.float64 else D.float32,
                       device=device) * (hi - lo) + lo
            t = t.to(dtype)
            if lo < hi:  # rounding into a narrow dtype may reach high: step back below it
                below = nextafter(full((), hi, dtype=dtype, device=device),
                                  full((), lo, dtype=dtype, device=device))
                t = where(t >= hi, below, t)
    else:
        info = D.iinfo(dtype)
        lo = (0 if dtype is D.uint8 else -9) if low is None else math.ceil(low)
        hi = 10 if high is None else math.ceil(high)
        lo, hi = max(lo, info.min), min(hi, info.max + 1)
        if lo >= hi:
            raise ValueError(f"low must be less than high, but got {lo} >= {hi}")
        t = R.randint(lo, hi, shape, device=device, dtype=dtype)
    if exclude_zero:
        step = 1 if not (dtype.is_floating_point or dtype.is_complex) else \
            D.finfo(dtype).tiny if dtype.is_floating_point else D.finfo(
                D.float32 if dtype is D.complex64 else D.float64).tiny
        if dtype is D.bool_:
            t = full(shape, True, dtype=dtype, device=device)
        else:
            t = t.masked_fill(t.abs() == 0, step)
    if noncontiguous and t.numel() > 1:
        t = t.repeat_interleave(2, dim=-1)[..., ::2]
    if requires_grad:
        t.requires_grad_(True)
    return t
