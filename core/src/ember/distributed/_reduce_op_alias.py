"""``reduce_op``: the old name of ReduceOp; every attribute read warns FutureWarning."""

from __future__ import annotations

import warnings

from .distributed_c10d import ReduceOp


class _DeprecatedReduceOp:
    """Gives ReduceOp's members (``reduce_op.SUM is ReduceOp.SUM``) with a warning.

    Example:
        >>> dist.all_reduce(t, op=dist.reduce_op.MAX)   # FutureWarning: use ReduceOp
    """

    def __getattr__(self, name: str):
        warnings.warn("`ember.distributed.reduce_op` is deprecated, please use "
                      "`ember.distributed.ReduceOp` instead", FutureWarning, stacklevel=2)
        if name == "__members__":
            return ReduceOp.__members__
        try:
            return ReduceOp[name]
        except KeyError:
            raise AttributeError(f"reduce_op has no member {name!r}") from None


reduce_op = _DeprecatedReduceOp()
