"""What a profile holds: timed events, their per-name averages, the summary table and
the Chrome trace (``chrome://tracing``, Perfetto, TensorBoard's profiler plugin).

Times are microseconds, as in torch.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable


class FunctionEvent:
    """One timed range: an op (``cpu_op``) or a ``record_function`` block
    (``user_annotation``), with the events that ran inside it on the same thread."""

    def __init__(self, id: int, name: str, thread: int, start_us: float, end_us: float,
                 category: str, input_shapes: list | None = None,
                 stack: list[str] | None = None) -> None:
        self.id = id
        # the trace keeps each step's own range name; the averages fold them into one row
        self.trace_name = name
        self.name = "ProfilerStep*" if name.startswith("ProfilerStep#") else name
        self.thread = thread
        self.start_us = start_us
        self.end_us = end_us
        self.category = category
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.stack = stack if stack is not None else []
        self.cpu_children: list[FunctionEvent] = []
        self.cpu_parent: FunctionEvent | None = None
        self.device_time_total = 0.0
        self.count = 1
        self._cuda_events = None  # (start, end) CUDA events, read when the profile ends

    @property
    def key(self) -> str:
        return self.name

    @property
    def is_user_annotation(self) -> bool:
        return self.category == "user_annotation"

    @property
    def cpu_time_total(self) -> float:
        return self.end_us - self.start_us

    @property
    def self_cpu_time_total(self) -> float:
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def self_device_time_total(self) -> float:
        return self.device_time_total - sum(c.device_time_total for c in self.cpu_children)

    def __repr__(self) -> str:
        return (f"<FunctionEvent id={self.id} name={self.name} thread={self.thread} "
                f"cpu_time_total={self.cpu_time_total:.3f}us "
                f"device_time_total={self.device_time_total:.3f}us "
                f"input_shapes={self.input_shapes}>")


class FunctionEventAvg:
    """The events of one name (and, when grouped so, one input shape or stack): totals,
    call count and per-call averages."""

    def __init__(self, key: str, input_shapes: list | None = None,
                 stack: list[str] | None = None) -> None:
        self.key = key
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.stack = stack if stack is not None else []
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.device_time_total = 0.0
        self.self_device_time_total = 0.0
        self.is_user_annotation = False

    def add(self, event: FunctionEvent | FunctionEventAvg) -> FunctionEventAvg:
        self.count += event.count
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total
        self.device_time_total += event.device_time_total
        self.self_device_time_total += event.self_device_time_total
        self.is_user_annotation = event.is_user_annotation
        return self

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / max(self.count, 1)

    @property
    def device_time(self) -> float:
        return self.device_time_total / max(self.count, 1)

    # torch's older spellings of the device times
    cuda_time_total = property(lambda self: self.device_time_total)
    self_cuda_time_total = property(lambda self: self.self_device_time_total)
    cuda_time = property(lambda self: self.device_time)

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg key={self.key} count={self.count} "
                f"cpu_time_total={self.cpu_time_total:.3f}us "
                f"self_cpu_time_total={self.self_cpu_time_total:.3f}us "
                f"device_time_total={self.device_time_total:.3f}us "
                f"input_shapes={self.input_shapes}>")


def _format_time(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _share(us: float, total: float) -> str:
    return f"{100.0 * us / total:.2f}%" if total else "NaN"


class EventList(list):
    """A list of FunctionEvents (or of their averages) with the summaries torch gives.

    Example:
        >>> print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
    """

    def key_averages(self, group_by_input_shape: bool = False,
                     group_by_stack_n: int = 0) -> EventList:
        """One FunctionEventAvg per name, in order of first appearance; grouped further by
        input shapes and by the innermost group_by_stack_n stack frames when asked."""
        groups: dict[tuple, FunctionEventAvg] = {}
        for event in self:
            shapes = event.input_shapes if group_by_input_shape else []
            stack = event.stack[:group_by_stack_n] if group_by_stack_n else []
            key = (event.key, str(shapes), tuple(stack))
            if key not in groups:
                groups[key] = FunctionEventAvg(event.key, shapes, stack)
            groups[key].add(event)
        return EventList(groups.values())

    def total_average(self) -> FunctionEventAvg:
        """All events summed into one FunctionEventAvg keyed "Total"."""
        total = FunctionEventAvg("Total")
        for event in self:
            total.add(event)
        return total

    @property
    def self_cpu_time_total(self) -> float:
        return sum(e.self_cpu_time_total for e in self)

    def table(self, sort_by: str | None = None, row_limit: int = 100,
              max_src_column_width: int = 75, max_name_column_width: int = 55,
              max_shapes_column_width: int = 80, header: str | None = None,
              top_level_events_only: bool = False, time_unit: str | None = None) -> str:
        """The events as a text table: self and total CPU time (and device time where any
        was measured), averages and calls, sorted by the attribute sort_by, descending.

        Example:
            >>> prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=5)
        """
        return _table(self, sort_by, row_limit, max_name_column_width,
                      max_shapes_column_width, header, top_level_events_only)

    def export_chrome_trace(self, path: str) -> None:
        """Writes the events as Chrome trace JSON to path (gzip-compressed if it ends in
        .gz): one complete ("X") event per range, ops as ``cpu_op`` and record_function
        blocks as ``user_annotation``."""
        pid = os.getpid()
        trace = []
        for e in self:
            args = {}
            if e.input_shapes:
                args["Input Dims"] = e.input_shapes
            if e.device_time_total:
                args["device time (us)"] = e.device_time_total
            trace.append({"ph": "X", "cat": e.category, "name": e.trace_name, "pid": pid,
                          "tid": e.thread, "ts": e.start_us, "dur": e.cpu_time_total,
                          "args": args})
        text = json.dumps({"traceEvents": trace, "displayTimeUnit": "ms"})
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "wt") as f:
            f.write(text)


def _table(events: Iterable, sort_by, row_limit: int, name_width: int, shapes_width: int,
           header, top_level_only: bool) -> str:
    rows = [e for e in events if not (top_level_only and getattr(e, "cpu_parent", None))]
    if sort_by is not None:
        rows.sort(key=lambda e: getattr(e, sort_by), reverse=True)
    if row_limit is not None and row_limit > 0:
        rows = rows[:row_limit]
    self_total = sum(e.self_cpu_time_total for e in events)
    with_device = any(e.device_time_total for e in events)
    with_shapes = any(e.input_shapes for e in rows)

    columns = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if with_device:
        columns += ["Self CUDA", "Self CUDA %", "CUDA total", "CUDA time avg"]
    columns.append("# of Calls")
    if with_shapes:
        columns.append("Input Shapes")

    def cells(e) -> list[str]:
        row = [_share(e.self_cpu_time_total, self_total), _format_time(e.self_cpu_time_total),
               _share(e.cpu_time_total, self_total), _format_time(e.cpu_time_total),
               _format_time(e.cpu_time_total / max(e.count, 1))]
        if with_device:
            device_total = sum(x.self_device_time_total for x in events)
            row += [_format_time(e.self_device_time_total),
                    _share(e.self_device_time_total, device_total),
                    _format_time(e.device_time_total),
                    _format_time(e.device_time_total / max(e.count, 1))]
        row.append(str(e.count))
        if with_shapes:
            row.append(str(e.input_shapes)[:shapes_width])
        return row

    body = [(e.key[:name_width - 3] + "..." if len(e.key) > name_width else e.key, cells(e))
            for e in rows]
    name_w = max([len("Name")] + [len(name) for name, _ in body]) + 4
    widths = [max([len(c)] + [len(r[i]) for _, r in body]) + 2 for i, c in enumerate(columns)]
    rule = "-" * name_w + "  " + "  ".join("-" * w for w in widths) + "  "

    def line(name: str, values: list[str]) -> str:
        return name.rjust(name_w) + "  " + "  ".join(v.rjust(w) for v, w in
                                                        zip(values, widths)) + "  "

    out = ([header, "-" * len(rule)] if header else []) + [rule, line("Name", columns), rule]
    out += [line(name, values) for name, values in body]
    out += [rule, f"Self CPU time total: {_format_time(self_total)}"]
    if with_device:
        out.append("Self CUDA time total: "
                   f"{_format_time(sum(e.self_device_time_total for e in events))}")
    return "\n".join(out) + "\n"
