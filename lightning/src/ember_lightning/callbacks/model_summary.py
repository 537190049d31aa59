"""ModelSummary: prints a table of the top-level submodules and parameter counts at fit start.

Example output::

      | Name    | Type       | Params | Mode
    --------------------------------------------
    0 | encoder | Sequential | 50.4 K | train
    1 | decoder | Sequential | 51.2 K | train
    --------------------------------------------
    101 K     Trainable params
"""

from __future__ import annotations

from .callback import Callback


def _human(n: int) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return str(n)


class ModelSummary(Callback):
    """Lightning's ModelSummary for ``max_depth=1`` (the module's direct children)."""

    def __init__(self, max_depth: int = 1):
        self.max_depth = max_depth

    def on_fit_start(self, trainer, pl_module) -> None:
        if self.max_depth == 0:
            return
        rows = []
        for i, (name, child) in enumerate(pl_module.named_children()):
            n = sum(p.numel() for p in child.parameters())
            rows.append((str(i), name, type(child).__name__, _human(n),
                         "train" if child.training else "eval"))
        trainable = sum(p.numel() for p in pl_module.parameters() if p.requires_grad)
        total = sum(p.numel() for p in pl_module.parameters())
        header = ("", "Name", "Type", "Params", "Mode")
        widths = [max(len(r[c]) for r in rows + [header]) for c in range(5)]
        fmt = lambda r: " | ".join(v.ljust(w) for v, w in zip(r, widths))  # noqa: E731
        line = "-" * len(fmt(header))
        out = [fmt(header), line, *map(fmt, rows), line,
               f"{_human(trainable):<10}Trainable params",
               f"{_human(total - trainable):<10}Non-trainable params",
               f"{_human(total):<10}Total params",
               f"{total * 4 / 1e6:<10.3f}Total estimated model params size (MB)"]
        bar = trainer.progress_bar_callback
        (bar.print if bar is not None else print)("\n".join(out))
