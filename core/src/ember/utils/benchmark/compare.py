"""Compare: measurements as tables, one per label, with a row per sub-label (grouped by
thread count) and a column per description, as torch.utils.benchmark.Compare prints them."""

from __future__ import annotations

import math
from collections.abc import Iterable

from .measurement import UNIT_NAMES, Measurement, select_unit

_GREEN, _BOLD, _RESET = "\033[92m", "\033[1m", "\033[0m"


def _merged(results: list[Measurement]) -> list[Measurement]:
    """One measurement per task: replicates of a task (same statement and labels) pool
    their per-run times."""
    by_task: dict = {}
    for m in results:
        by_task.setdefault(m.task_spec, []).extend(m.times)
    return [Measurement(1, times, spec) for spec, times in by_task.items()]


def _unique(items: Iterable) -> list:
    return list(dict.fromkeys(items))


class Compare:
    """Tables of measurements: ``print()`` or ``str()``. Before printing,
    ``trim_significant_figures`` rounds each time to the digits its spread supports,
    ``colorize`` marks the fastest of each column (or row) and ``highlight_warnings``
    flags noisy ones.

    Example:
        >>> results = [Timer("x * x", setup=f"x = ember.ones({n})", label="mul",
        ...                  sub_label=str(n)).blocked_autorange() for n in (10, 1000)]
        >>> Compare(results).print()
    """

    def __init__(self, results: list[Measurement]) -> None:
        self._results: list[Measurement] = []
        self._trim = False
        self._colorize: str | None = None  # None, "column" or "row"
        self._highlight = False
        self.extend_results(results)

    def extend_results(self, results: Iterable[Measurement]) -> None:
        """Adds more measurements (each must be a Measurement)."""
        results = list(results)
        for r in results:
            if not isinstance(r, Measurement):
                raise ValueError(f"Expected an instance of `Measurement`, got {type(r)} "
                                 "instead.")
        self._results.extend(results)

    def trim_significant_figures(self) -> None:
        self._trim = True

    def colorize(self, rowwise: bool = False) -> None:
        self._colorize = "row" if rowwise else "column"

    def highlight_warnings(self) -> None:
        self._highlight = True

    def print(self) -> None:
        print(str(self))

    def __str__(self) -> str:
        results = _merged(self._results)
        labels = _unique(m.label for m in results)
        return "\n".join(self._table([m for m in results if m.label == label])
                         for label in labels)

    def _cell(self, m: Measurement | None, scale: float) -> str:
        if m is None:
            return ""
        value = m.median / scale
        if self._trim and value > 0:
            # round to the digits the spread leaves meaningful
            digits = m.significant_figures - int(math.floor(math.log10(value))) - 1
            text = f"{round(value, digits):.{max(digits, 0)}f}"
        else:
            text = f"{value:.1f}"
        if self._highlight and m.has_warnings:
            text += f" (! {m.iqr / m.median * 100:.0f}%)"
        return text

    def _table(self, results: list[Measurement]) -> str:
        unit, scale = select_unit(min(m.median for m in results))
        rows = _unique((m.num_threads, m.env, m.as_row_name) for m in results)
        rows.sort(key=lambda row: row[:2] if row[1] is not None else (row[0], ""))
        columns = _unique(m.description for m in results)
        grid = {(m.num_threads, m.env, m.as_row_name, m.description): m for m in results}
        cells = [[self._cell(grid.get(row + (col,)), scale) for col in columns]
                 for row in rows]
        best = self._best(rows, columns, grid)

        show_env = len({row[1] for row in rows}) > 1
        names = [(f"({row[1]}) " if show_env and row[1] else "") + row[2] for row in rows]
        headers = [c or "" for c in columns]
        name_width = max(len(n) for n in names)
        widths = [max([len(h)] + [len(r[j]) for r in cells]) for j, h in enumerate(headers)]
        header = "  |  ".join([" " * name_width]
                              + [h.center(w) for h, w in zip(headers, widths)])
        width = len(header)
        lines = [f"[{(' ' + (results[0].label or '') + ' ').center(width - 2, '-')}]", header]
        previous_threads = None
        for i, (row, name) in enumerate(zip(rows, names)):
            if row[0] != previous_threads:
                previous_threads = row[0]
                prefix = f"{row[0]} threads: "
                lines.append(prefix + "-" * max(width - len(prefix), 0))
            parts = [name.rjust(name_width)]
            for j, w in enumerate(widths):
                text = cells[i][j].center(w)
                if (i, j) in best:
                    text = f"{_BOLD}{_GREEN}{text}{_RESET}"
                parts.append(text)
            lines.append("  |  ".join(parts))
        lines += ["", f"Times are in {UNIT_NAMES[unit]} ({unit}).", ""]
        return "\n".join(lines)

    def _best(self, rows: list, columns: list, grid: dict) -> set[tuple[int, int]]:
        """The (row, column) cells colorize marks: the fastest of each column or row."""
        if self._colorize is None:
            return set()
        medians = {(i, j): grid[row + (col,)].median
                   for i, row in enumerate(rows) for j, col in enumerate(columns)
                   if row + (col,) in grid}
        group = (lambda cell: cell[1]) if self._colorize == "column" else (lambda cell: cell[0])
        fastest: dict = {}
        for cell, median in medians.items():
            if group(cell) not in fastest or median < medians[fastest[group(cell)]]:
                fastest[group(cell)] = cell
        return set(fastest.values())
