"""A plain-text progress bar (no tqdm): one line per epoch that redraws in place on a
terminal, and is written once when the epoch ends otherwise (logs stay readable).

Example output::

    Epoch 3: 100%|██████████| 45/45 [00:02<00:00, 19.8it/s, v_num=0, val_acc=0.981]
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from .callback import Callback


def _fmt_time(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):
        return "?"
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h:d}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def _fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


class ProgressBar(Callback):
    """Base class of progress bars: the Trainer finds its bar by this type."""

    def get_metrics(self, trainer, pl_module) -> dict[str, Any]:
        """What the bar shows: the version of the logger and every ``prog_bar=True`` metric."""
        items: dict[str, Any] = {}
        if trainer.logger is not None and trainer.logger.version is not None:
            v = trainer.logger.version
            items["v_num"] = v[-4:] if isinstance(v, str) else v
        items.update(trainer.progress_bar_metrics)
        return items

    def print(self, *args: Any, **kwargs: Any) -> None:
        print(*args, **kwargs)


class _EvaluationHooks:
    """The validation, test and predict hooks of a bar, mapped onto its _eval_begin(trainer,
    description, totals), _eval_step(trainer) and _eval_end(trainer)."""

    def on_validation_start(self, trainer, pl_module) -> None:
        self._eval_begin(trainer, "Validation", trainer.num_val_batches)

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx,
                                dataloader_idx=0) -> None:
        self._eval_step(trainer)

    def on_validation_end(self, trainer, pl_module) -> None:
        self._eval_end(trainer)

    def on_test_start(self, trainer, pl_module) -> None:
        self._eval_begin(trainer, "Testing", trainer.num_test_batches)

    def on_test_batch_end(self, trainer, pl_module, outputs, batch, batch_idx,
                          dataloader_idx=0) -> None:
        self._eval_step(trainer)

    def on_test_end(self, trainer, pl_module) -> None:
        self._eval_end(trainer)

    def on_predict_start(self, trainer, pl_module) -> None:
        self._eval_begin(trainer, "Predicting", trainer.num_predict_batches)

    def on_predict_batch_end(self, trainer, pl_module, outputs, batch, batch_idx,
                             dataloader_idx=0) -> None:
        self._eval_step(trainer)

    def on_predict_end(self, trainer, pl_module) -> None:
        self._eval_end(trainer)


class TQDMProgressBar(_EvaluationHooks, ProgressBar):
    """Lightning's default bar, drawn with plain text.

    Args:
        refresh_rate: redraw every this many batches (0 disables the bar).
        stream: where to write (default ``sys.stdout``, looked up at each write).
    """

    BAR_WIDTH = 10

    def __init__(self, refresh_rate: int = 1, process_position: int = 0,
                 leave: bool = False, stream: TextIO | None = None):
        self.refresh_rate = refresh_rate
        self._stream = stream
        self._line_open = False
        self._start = 0.0
        self._last_draw = 0.0
        self._desc = ""
        self._total: float = 0

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stdout

    @property
    def is_enabled(self) -> bool:
        return self.refresh_rate > 0

    def disable(self) -> None:
        self.refresh_rate = 0

    def _interactive(self) -> bool:
        return getattr(self.stream, "isatty", lambda: False)()

    def _line(self, n: int, metrics: dict[str, Any]) -> str:
        elapsed = time.perf_counter() - self._start
        rate = n / elapsed if elapsed > 0 else 0.0
        total = self._total
        if total and total != float("inf"):
            frac = min(n / total, 1.0)
            filled = int(frac * self.BAR_WIDTH)
            bar = "█" * filled + " " * (self.BAR_WIDTH - filled)
            remaining = (total - n) / rate if rate > 0 else float("inf")
            head = f"{self._desc}: {int(frac * 100):3d}%|{bar}| {n}/{int(total)}"
            timing = f"[{_fmt_time(elapsed)}<{_fmt_time(remaining)}, {rate:.2f}it/s"
        else:
            head = f"{self._desc}: {n}"
            timing = f"[{_fmt_time(elapsed)}, {rate:.2f}it/s"
        extra = "".join(f", {k}={_fmt_value(v)}" for k, v in metrics.items())
        return f"{head} {timing}{extra}]"

    def _begin(self, desc: str, total: float) -> None:
        self._close()
        self._desc, self._total = desc, total
        self._start = self._last_draw = time.perf_counter()

    def _draw(self, n: int, metrics: dict[str, Any], final: bool = False) -> None:
        if not self.is_enabled:
            return
        if self._interactive():
            now = time.perf_counter()
            if not final and (n % self.refresh_rate or now - self._last_draw < 0.05):
                return
            self._last_draw = now
            self.stream.write("\r" + self._line(n, metrics) + "\x1b[K")
            self.stream.flush()
            self._line_open = True
            if final:
                self._close()
        elif final:
            self.stream.write(self._line(n, metrics) + "\n")
            self.stream.flush()

    def _close(self) -> None:
        if self._line_open:
            self.stream.write("\n")
            self.stream.flush()
            self._line_open = False

    def print(self, *args: Any, **kwargs: Any) -> None:
        self._close()
        kwargs.setdefault("file", self.stream)
        print(*args, **kwargs)

    # ----------------------------------------------------------------- training
    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self._begin(f"Epoch {trainer.current_epoch}", trainer.num_training_batches)
        self._n = 0

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self._n = batch_idx + 1
        self._draw(self._n, self.get_metrics(trainer, pl_module))

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self._desc, self._total = f"Epoch {trainer.current_epoch}", trainer.num_training_batches
        self._draw(getattr(self, "_n", 0), self.get_metrics(trainer, pl_module), final=True)

    def on_train_end(self, trainer, pl_module) -> None:
        self._close()

    # ----------------------------------------------------------------- evaluation
    def _eval_begin(self, trainer, desc: str, totals: list) -> None:
        if trainer.state.fn == "fit":
            return  # validation inside fit shows in the epoch line's metrics
        self._begin(desc, sum(totals))
        self._n = 0

    def _eval_step(self, trainer) -> None:
        if trainer.state.fn != "fit":
            self._n += 1
            self._draw(self._n, {})

    def _eval_end(self, trainer) -> None:
        if trainer.state.fn != "fit":
            self._draw(self._n, {}, final=True)
