"""save_hyperparameters: records the arguments of ``__init__`` as ``self.hparams``.

Example:
    >>> class Net(LightningModule):
    ...     def __init__(self, hidden=64, lr=1e-3):
    ...         super().__init__()
    ...         self.save_hyperparameters()
    >>> Net(hidden=32).hparams.hidden
    32
"""

from __future__ import annotations

import copy
import inspect
from argparse import Namespace
from collections.abc import Iterable
from typing import Any

from ..utilities.types import AttributeDict


def _collect_init_args(frame, obj) -> dict[str, Any]:
    """The arguments of every ``__init__`` of obj that is still on the stack above frame,
    the outermost (the subclass's) last so that its values win."""
    frames = []
    while frame is not None and frame.f_code.co_name == "__init__" and frame.f_locals.get(
            "self") is obj:
        frames.append(frame)
        frame = frame.f_back
    found: dict[str, Any] = {}
    for f in reversed(frames):
        args, _, varkw, local_vars = inspect.getargvalues(f)
        found.update({a: local_vars[a] for a in args if a != "self" and a in local_vars})
        if varkw and isinstance(local_vars.get(varkw), dict):
            found.update(local_vars[varkw])
    return found


class HyperparametersMixin:
    """Gives LightningModule and LightningDataModule ``save_hyperparameters`` and ``hparams``."""

    def save_hyperparameters(self, *args: Any, ignore: str | Iterable[str] | None = None,
                             frame=None, logger: bool = True) -> None:
        """Stores the ``__init__`` arguments (all, or those named in args, or one dict or
        Namespace given as the only argument) in ``self.hparams``; the Trainer writes them to
        checkpoints and, when ``logger`` is True, to the logger."""
        if frame is None:
            frame = inspect.currentframe().f_back
        if len(args) == 1 and isinstance(args[0], (dict, Namespace)):
            params = dict(vars(args[0]) if isinstance(args[0], Namespace) else args[0])
        else:
            init_args = _collect_init_args(frame, self)
            if args:
                missing = [a for a in args if a not in init_args]
                if missing:
                    raise ValueError(f"save_hyperparameters: {missing} are not arguments of "
                                     f"__init__ (found {sorted(init_args)})")
                params = {a: init_args[a] for a in args}
            else:
                params = init_args
        if ignore is not None:
            ignore = [ignore] if isinstance(ignore, str) else list(ignore)
            params = {k: v for k, v in params.items() if k not in ignore}
        object.__setattr__(self, "_log_hyperparams", logger)
        object.__setattr__(self, "_hparams", AttributeDict(params))
        try:
            initial = copy.deepcopy(params)
        except Exception:  # objects that refuse to copy are kept by reference
            initial = dict(params)
        object.__setattr__(self, "_hparams_initial", AttributeDict(initial))

    @property
    def hparams(self) -> AttributeDict:
        if "_hparams" not in self.__dict__:
            object.__setattr__(self, "_hparams", AttributeDict())
        return self.__dict__["_hparams"]

    @property
    def hparams_initial(self) -> AttributeDict:
        return AttributeDict(self.__dict__.get("_hparams_initial", {}))
