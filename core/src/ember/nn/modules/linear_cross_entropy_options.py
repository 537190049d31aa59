"""Options of the row-chunked path of ``F.linear_cross_entropy``."""

from __future__ import annotations

import dataclasses

from ... import _dtype as D

__all__ = ["LinearCrossEntropyOptions"]

_POLICIES = ("auto", "accurate", "balanced", "compact")
_ACC_DTYPES = (D.float16, D.bfloat16, D.float32, D.float64)
# torch's "auto" chunking on CPU for half-precision inputs; every other case uses ":2".
_CPU_HALF_METHOD = "aspect_ratio"
_DEFAULT_METHOD = "aspect_ratio:2"


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _aspect_ratio_rows(method: str, rows: int, in_features: int, num_classes: int) -> int:
    """Rows per chunk whose (rows, classes) logits take about the memory of the
    (all rows, in_features) input, divided by the method's ``:N`` factor."""
    _, _, factor = method.partition(":")
    target = _ceil_div(rows, _ceil_div(num_classes, in_features))
    power_of_two = 1 << (target - 1).bit_length()
    return min(power_of_two // int(factor or 1), rows)


@dataclasses.dataclass(slots=True, frozen=True)
class LinearCrossEntropyOptions:
    """Turns on the chunked path of :func:`ember.nn.functional.linear_cross_entropy`,
    as ``torch.nn.LinearCrossEntropyOptions``: rows are processed ``batch_chunk_size``
    at a time, so the whole (rows, classes) logits matrix never exists at once.

    Args:
        allow_retain_graph: accepted for torch's API; ember's chunks recompute their
            logits in backward, so a retained graph always works.
        batch_chunk_size: rows per chunk (None: all rows, or what ``chunking_method``
            picks).
        chunking_method: ``"auto"``, ``"aspect_ratio"``, ``"aspect_ratio:N"`` (chunks
            whose logits match the input's size, divided by N) or None.
        acc_policy: ``"auto"``, ``"accurate"``, ``"balanced"`` or ``"compact"``; with
            ``"auto"``, half-precision inputs are computed in float32.
        acc_dtype: the dtype each chunk's logits and loss are computed in (None: see
            ``acc_policy``).

    Example:
        >>> opts = nn.LinearCrossEntropyOptions(batch_chunk_size=128)
        >>> x, w = ember.randn(512, 16), ember.randn(1000, 16)
        >>> loss = F.linear_cross_entropy(x, w, ember.randint(0, 1000, (512,)), options=opts)
    """

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: D.dtype | None = None

    def __post_init__(self) -> None:
        if self.acc_policy not in _POLICIES:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}")
        if self.chunking_method not in (None, "auto"):
            name, colon, factor = self.chunking_method.partition(":")
            if name != "aspect_ratio" or (colon and not (factor.isdigit() and int(factor) > 0)):
                raise ValueError(f"invalid chunking_method: {self.chunking_method!r}")
        size = self.batch_chunk_size
        if size is not None and not (isinstance(size, int) and size > 0):
            raise ValueError(f"batch_chunk_size must be positive int or None, got {size!r}")
        if self.acc_dtype is not None and self.acc_dtype not in _ACC_DTYPES:
            raise ValueError("acc_dtype must be one of {None, ember.float16, ember.bfloat16, "
                             f"ember.float32, ember.float64}}, got {self.acc_dtype!r}. Pass "
                             "acc_dtype=None to let the op pick automatically.")

    def _chunk_rows(self, rows: int, in_features: int, num_classes: int, dtype: D.dtype,
                    device_type: str) -> int:
        """Rows per chunk for this call, resolved as torch resolves it."""
        method = self.chunking_method
        if method == "auto":
            # an explicit size wins over the automatic pick
            half_on_cpu = device_type == "cpu" and dtype in (D.float16, D.bfloat16)
            method = None if self.batch_chunk_size is not None else (
                _CPU_HALF_METHOD if half_on_cpu else _DEFAULT_METHOD)
        size = rows if self.batch_chunk_size is None else min(self.batch_chunk_size, rows)
        if method is not None:
            picked = _aspect_ratio_rows(method, rows, in_features, num_classes)
            if self.batch_chunk_size is not None and self.batch_chunk_size != picked:
                raise ValueError(f"batch_chunk_size (={self.batch_chunk_size}) and "
                                 f"chunking_method ('{method}') give different chunk sizes "
                                 f"({self.batch_chunk_size} vs {picked}); pass only one.")
            size = picked
        return max(1, size)

    def _compute_dtype(self, dtype: D.dtype) -> D.dtype:
        """The dtype each chunk is computed in: half inputs go to float32 under "auto"."""
        if self.acc_dtype is not None:
            return self.acc_dtype
        if self.acc_policy == "auto" and dtype in (D.float16, D.bfloat16):
            return D.float32
        return dtype
