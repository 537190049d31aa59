"""What a benchmark Timer measured: the statement and its labels (TaskSpec), and the
times of its runs (Measurement) with their statistics."""

from __future__ import annotations

import dataclasses
import math
import statistics
import textwrap
from typing import Any

# an IQR above this fraction of the median makes a measurement suspect, above the second
# one grossly so (torch's thresholds)
_NOISY, _VERY_NOISY = 0.1, 0.5
_UNITS = (("ns", 1e-9), ("us", 1e-6), ("ms", 1e-3), ("s", 1.0))
UNIT_NAMES = {"ns": "nanoseconds", "us": "microseconds", "ms": "milliseconds", "s": "seconds"}


def select_unit(seconds: float) -> tuple[str, float]:
    """The unit (and its length in seconds) that shows seconds with 1 to 3 leading digits.

    Example:
        >>> select_unit(0.00042)
        ('us', 1e-06)
    """
    if seconds <= 0:
        return "ns", 1e-9
    index = int(math.floor(math.log10(seconds) / 3)) + 3
    return _UNITS[min(max(index, 0), len(_UNITS) - 1)]


def _quantile(ordered: list[float], q: float) -> float:
    """The q-quantile of sorted values, interpolated linearly between neighbours (as
    ember.quantile's default)."""
    position = q * (len(ordered) - 1)
    low = int(math.floor(position))
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """A timed statement and the labels Compare groups its measurements by."""

    stmt: str
    setup: str
    global_setup: str = ""
    label: str | None = None
    sub_label: str | None = None
    description: str | None = None
    env: str | None = None
    num_threads: int = 1

    @property
    def title(self) -> str:
        """The label (else the statement) and the sub-label after a colon."""
        suffix = f": {self.sub_label}" if self.sub_label else ""
        if self.label is not None:
            return self.label + suffix
        if "\n" not in self.stmt:
            return self.stmt + suffix
        sub = f" ({self.sub_label})" if self.sub_label else ""
        return f"stmt:{sub}\n{textwrap.indent(self.stmt, '  ')}"

    def summarize(self) -> str:
        """Title, description and setup, one part a line, for Measurement's repr."""
        setup = ""
        if self.setup and self.setup != "pass":
            setup = (f"setup:\n{textwrap.indent(self.setup, '  ')}" if "\n" in self.setup
                     else f"setup: {self.setup}")
        return "\n".join(part for part in (self.title, self.description or "", setup) if part)


_SPEC_FIELDS = frozenset(field.name for field in dataclasses.fields(TaskSpec))


@dataclasses.dataclass(repr=False)
class Measurement:
    """raw_times[i] seconds for number_per_run runs of task_spec's statement, each i.
    TaskSpec's fields read through it (``m.label``, ``m.num_threads``).

    Example:
        >>> m = Measurement(2, [0.5, 1.5, 1.0], TaskSpec("f()", "pass"))
        >>> m.times, m.median
        ([0.25, 0.75, 0.5], 0.5)
    """

    number_per_run: int
    raw_times: list[float]
    task_spec: TaskSpec
    metadata: dict | None = None

    def __getattr__(self, name: str) -> Any:
        if name in _SPEC_FIELDS:
            return getattr(self.task_spec, name)
        raise AttributeError(f"'Measurement' object has no attribute '{name}'")

    @property
    def times(self) -> list[float]:
        """Seconds per run, one for each measurement."""
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def _sorted(self) -> list[float]:
        return sorted(self.times)

    @property
    def median(self) -> float:
        return _quantile(self._sorted, 0.5)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.times)

    @property
    def iqr(self) -> float:
        ordered = self._sorted
        return _quantile(ordered, 0.75) - _quantile(ordered, 0.25)

    @property
    def title(self) -> str:
        return self.task_spec.title

    @property
    def as_row_name(self) -> str:
        return self.sub_label or self.stmt or "[Unknown]"

    def meets_confidence(self, threshold: float = _NOISY) -> bool:
        """Whether the IQR is under threshold times the median."""
        return self.iqr / self.median < threshold

    @property
    def has_warnings(self) -> bool:
        return bool(self._warnings())

    def _warnings(self) -> list[str]:
        if len(self.raw_times) < 2 or self.meets_confidence(_NOISY):
            return []
        cause = ("This suggests significant environmental influence."
                 if not self.meets_confidence(_VERY_NOISY)
                 else "This could indicate system fluctuation.")
        return [f"  WARNING: Interquartile range is {self.iqr / self.median * 100:.1f}% of "
                f"the median measurement.\n           {cause}"]

    @property
    def significant_figures(self) -> int:
        """How many leading digits of the median the spread of the middle half of the
        times leaves meaningful (1 to 4): a 90% confidence interval of their mean, taken
        as normal."""
        ordered = self._sorted
        middle = ordered[len(ordered) // 4:math.ceil(3 * len(ordered) / 4)]
        interval = max(1.645 * statistics.pstdev(middle) / math.sqrt(len(middle)), 1e-9)
        return min(max(int(math.floor(math.log10(self.median / interval))), 1), 4)

    def __repr__(self) -> str:
        unit, scale = select_unit(self.median)
        count = len(self.raw_times)
        threads = self.num_threads
        lines = [object.__repr__(self), self.task_spec.summarize(),
                 f"  {'Median: ' if count > 1 else ''}{self.median / scale:.2f} {unit}"]
        if count >= 4:
            ordered = self._sorted
            lines.append(f"  IQR:    {self.iqr / scale:.2f} {unit} "
                         f"({_quantile(ordered, 0.25) / scale:.2f} to "
                         f"{_quantile(ordered, 0.75) / scale:.2f})")
        per = "per measurement," if count > 1 else ","
        lines.append(f"  {count} measurement{'s' if count > 1 else ''}, {self.number_per_run} "
                     f"runs {per} {threads} thread{'s' if threads > 1 else ''}")
        return "\n".join(lines + self._warnings())
