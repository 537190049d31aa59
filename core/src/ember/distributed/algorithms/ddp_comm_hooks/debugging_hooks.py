"""A DDP communication hook that communicates nothing, to measure what reduction costs."""

from __future__ import annotations

from typing import Any

import ember
import ember.distributed as dist
from ember.futures import Future

__all__ = ["noop_hook"]


def noop_hook(_: Any, bucket: dist.GradBucket) -> Future[ember.Tensor]:
    """The bucket's local gradients, unreduced: each rank trains on its own gradients.
    Only for timing (how much faster is an iteration without all-reduce?), not training.

    Example:
        >>> ddp.register_comm_hook(None, noop_hook)
    """
    fut: Future[ember.Tensor] = Future()
    fut.set_result(bucket.buffer())
    return fut
