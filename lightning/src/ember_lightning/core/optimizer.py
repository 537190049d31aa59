"""LightningOptimizer (what ``self.optimizers()`` returns) and the parsing of
``configure_optimizers``' many return shapes into optimizers and scheduler configs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import ember


@dataclass
class LRSchedulerConfig:
    """One scheduler and when to step it (the dict form of ``configure_optimizers``)."""
    scheduler: Any
    name: str | None = None
    interval: str = "epoch"
    frequency: int = 1
    reduce_on_plateau: bool = False
    monitor: str | None = None
    strict: bool = True


def _is_plateau(s: Any) -> bool:
    sched = getattr(ember.optim, "lr_scheduler", None)
    cls = getattr(sched, "ReduceLROnPlateau", None)
    return (cls is not None and isinstance(s, cls)) or type(s).__name__ == "ReduceLROnPlateau"


def _is_optimizer(o: Any) -> bool:
    return hasattr(o, "step") and hasattr(o, "param_groups")


def _scheduler_config(s: Any, monitor: str | None = None) -> LRSchedulerConfig:
    if isinstance(s, dict):
        if "scheduler" not in s:
            raise ValueError('The lr scheduler dict must have the key "scheduler" with its item '
                             "being an lr scheduler")
        unknown = set(s) - {"scheduler", "name", "interval", "frequency", "monitor", "strict",
                            "reduce_on_plateau"}
        if unknown:
            raise ValueError(f"Found unsupported keys in the lr scheduler dict: {sorted(unknown)}")
        interval = s.get("interval", "epoch")
        if interval not in ("epoch", "step"):
            raise ValueError('The "interval" key in lr scheduler dict must be "step" or "epoch"'
                             f' but is "{interval}"')
        cfg = LRSchedulerConfig(s["scheduler"], s.get("name"), interval, int(s.get("frequency", 1)),
                                _is_plateau(s["scheduler"]) or s.get("reduce_on_plateau", False),
                                s.get("monitor", monitor), s.get("strict", True))
    else:
        cfg = LRSchedulerConfig(s, reduce_on_plateau=_is_plateau(s), monitor=monitor)
    if cfg.reduce_on_plateau and cfg.monitor is None:
        raise ValueError("`configure_optimizers` must include a monitor when a `ReduceLROnPlateau`"
                         ' scheduler is used. For example: {"optimizer": optimizer, '
                         '"lr_scheduler": {"scheduler": scheduler, "monitor": "your_loss"}}')
    return cfg


def parse_configure_optimizers(out: Any) -> tuple[list, list[LRSchedulerConfig]]:
    """Turns every return form Lightning accepts into (optimizers, scheduler configs):
    an optimizer; a list/tuple of optimizers; ``([optimizers], [schedulers])``; a dict with
    ``optimizer`` and optional ``lr_scheduler`` (a scheduler or a config dict) and ``monitor``;
    a list of such dicts; or None (no optimizer, a warning)."""
    if out is None:
        return [], []
    if _is_optimizer(out):
        return [out], []
    if isinstance(out, dict):
        out = [out]
    if isinstance(out, (list, tuple)):
        if len(out) == 2 and all(isinstance(o, (list, tuple)) for o in out):
            opts = list(out[0])
            return opts, [_scheduler_config(s) for s in out[1]]
        if all(isinstance(o, dict) for o in out):
            opts, scheds = [], []
            for d in out:
                if "optimizer" not in d:
                    raise ValueError('A dict returned by `configure_optimizers` needs the key '
                                     '"optimizer"')
                opts.append(d["optimizer"])
                if d.get("lr_scheduler") is not None:
                    scheds.append(_scheduler_config(d["lr_scheduler"], d.get("monitor")))
            return opts, scheds
        if all(_is_optimizer(o) for o in out):
            return list(out), []
    raise ValueError(f"Unknown configuration for model optimizers: {out!r}. `configure_optimizers`"
                     " must return an optimizer, a list of optimizers, a tuple ([optimizers], "
                     "[schedulers]), or a dict with 'optimizer' and optionally 'lr_scheduler'.")


class LightningOptimizer:
    """Wraps an optimizer so that ``step`` runs the ``on_before_optimizer_step`` hooks and
    counts towards ``trainer.global_step`` (what ``self.optimizers()`` returns in manual
    optimisation). Every other attribute reads through to the optimizer."""

    def __init__(self, optimizer: Any, trainer: Any):
        self.__dict__["_optimizer"] = optimizer
        self.__dict__["_trainer"] = trainer

    @property
    def optimizer(self) -> Any:
        return self._optimizer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._optimizer, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._optimizer, name, value)

    def step(self, closure: Callable[[], Any] | None = None, **kwargs: Any) -> Any:
        return self._trainer._optimizer_step(self._optimizer, closure, **kwargs)

    def zero_grad(self, set_to_none: bool = True) -> None:
        self._optimizer.zero_grad(set_to_none=set_to_none)

    def __repr__(self) -> str:
        return f"LightningOptimizer({self._optimizer!r})"
