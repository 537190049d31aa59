"""Lightning's ``RichProgressBar``, drawn with the optional ``rich`` package
(``pip install ember-lightning[rich]``)."""

from __future__ import annotations

from typing import Any

from .progress import ProgressBar, _EvaluationHooks, _fmt_value


class RichProgressBar(_EvaluationHooks, ProgressBar):
    """A progress bar per stage (training epochs, validation, test, predict) with the
    logged ``prog_bar`` metrics beside it, as Lightning's ``RichProgressBar``.

    Args:
        refresh_rate: redraw every this many batches (0 disables the bar).
        leave: keep each finished epoch's bar on screen instead of replacing it.
        console_kwargs: arguments for the ``rich.console.Console`` that draws the bars.

    Example:
        >>> trainer = Trainer(callbacks=[RichProgressBar(leave=True)])
    """

    def __init__(self, refresh_rate: int = 1, leave: bool = False,
                 console_kwargs: dict[str, Any] | None = None):
        try:
            import rich  # noqa: F401
        except ImportError:
            raise ModuleNotFoundError("`RichProgressBar` requires `rich` >= 10.2.2. Install "
                                      "it by running `pip install -U rich`.") from None
        self.refresh_rate = refresh_rate
        self.leave = leave
        self._console_kwargs = console_kwargs or {}
        self._progress = None
        self._task = None

    @property
    def is_enabled(self) -> bool:
        return self.refresh_rate > 0

    def disable(self) -> None:
        self.refresh_rate = 0

    def _start(self, description: str, total: float) -> None:
        if not self.is_enabled:
            return
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)
        if self._progress is None:
            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[metrics]}"),
                console=Console(**self._console_kwargs), auto_refresh=False)
            self._progress.start()
        elif self._task is not None and not self.leave:
            self._progress.remove_task(self._task)
        finite = total if total and total != float("inf") else None
        self._task = self._progress.add_task(description, total=finite, metrics="")

    def _advance(self, n: int, metrics: dict[str, Any], final: bool = False) -> None:
        if self._progress is None or self._task is None:
            return
        if final or n % self.refresh_rate == 0:
            text = " ".join(f"{k}: {_fmt_value(v)}" for k, v in metrics.items())
            self._progress.update(self._task, completed=n, metrics=text)
            self._progress.refresh()

    def _stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
        self._progress, self._task = None, None

    def print(self, *args: Any, **kwargs: Any) -> None:
        if self._progress is not None:
            self._progress.console.print(*args, **kwargs)
        else:
            print(*args, **kwargs)

    # ----------------------------------------------------------------- training
    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self._start(f"Epoch {trainer.current_epoch}", trainer.num_training_batches)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self._advance(batch_idx + 1, self.get_metrics(trainer, pl_module))

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if self._task is not None:
            done = self._progress.tasks[-1].completed
            self._advance(int(done), self.get_metrics(trainer, pl_module), final=True)

    def on_train_end(self, trainer, pl_module) -> None:
        self._stop()

    # ----------------------------------------------------------------- evaluation
    def _eval_begin(self, trainer, description: str, totals: list) -> None:
        if trainer.state.fn != "fit":  # inside fit, validation shows in the epoch's metrics
            self._start(description, sum(totals))
            self._n = 0

    def _eval_step(self, trainer) -> None:
        if trainer.state.fn != "fit":
            self._n += 1
            self._advance(self._n, {})

    def _eval_end(self, trainer) -> None:
        if trainer.state.fn != "fit":
            self._advance(self._n, {}, final=True)
            self._stop()
