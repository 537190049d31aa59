"""The standard DDP communication hooks: plain averaging, and averaging in half precision.

Each takes the process group as its state (None: the default group) and a GradBucket, and
returns a Future of the averaged flat gradients.

Example:
    >>> from ember.distributed.algorithms.ddp_comm_hooks import default_hooks
    >>> ddp.register_comm_hook(None, default_hooks.allreduce_hook)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember
import ember.distributed as dist
from ember.futures import Future

__all__ = ["allreduce_hook", "bf16_compress_hook", "bf16_compress_wrapper",
           "fp16_compress_hook", "fp16_compress_wrapper"]

Hook = Callable[[Any, dist.GradBucket], Future[ember.Tensor]]


def _averaged(process_group: dist.ProcessGroup | None,
              tensor: ember.Tensor) -> Future[ember.Tensor]:
    """A future of tensor's mean over the group: divided first, then summed in place."""
    group = process_group if process_group is not None else dist.group.WORLD
    tensor.div_(group.size())
    work = dist.all_reduce(tensor, group=group, async_op=True)
    return work.get_future().then(lambda fut: fut.value()[0])


def allreduce_hook(process_group: dist.ProcessGroup | None,
                   bucket: dist.GradBucket) -> Future[ember.Tensor]:
    """Averages the bucket over the group: the same gradients as DDP without a hook (a
    starting point for hooks that add logging or other work around the reduction).

    Example:
        >>> ddp.register_comm_hook(None, allreduce_hook)
    """
    return _averaged(process_group, bucket.buffer())


def _compressed(dtype: ember.dtype, process_group: dist.ProcessGroup | None,
                bucket: dist.GradBucket) -> Future[ember.Tensor]:
    """Averages a dtype copy of the bucket, then writes the result back into the bucket's
    own buffer (its original dtype)."""
    buffer = bucket.buffer()

    def restore(fut: Future[ember.Tensor]) -> ember.Tensor:
        return buffer.copy_(fut.value())

    return _averaged(process_group, buffer.to(dtype)).then(restore)


def fp16_compress_hook(process_group: dist.ProcessGroup | None,
                       bucket: dist.GradBucket) -> Future[ember.Tensor]:
    """Averages the bucket in float16, halving the bytes sent (gradients lose precision
    and must fit float16's range).

    Example:
        >>> ddp.register_comm_hook(None, fp16_compress_hook)
    """
    return _compressed(ember.float16, process_group, bucket)


def bf16_compress_hook(process_group: dist.ProcessGroup | None,
                       bucket: dist.GradBucket) -> Future[ember.Tensor]:
    """Averages the bucket in bfloat16 (float32's range, about 3 significant digits).

    Example:
        >>> ddp.register_comm_hook(None, bf16_compress_hook)
    """
    return _compressed(ember.bfloat16, process_group, bucket)


def _compress_wrapper(dtype: ember.dtype, hook: Hook, name: str) -> Hook:
    def wrapped(hook_state: Any, bucket: dist.GradBucket) -> Future[ember.Tensor]:
        original = bucket.buffer()
        bucket.set_buffer(original.to(dtype))

        def restore(fut: Future[ember.Tensor]) -> ember.Tensor:
            return original.copy_(fut.value())

        return hook(hook_state, bucket).then(restore)

    wrapped.__name__ = wrapped.__qualname__ = name
    return wrapped


def fp16_compress_wrapper(hook: Hook) -> Hook:
    """hook run on a float16 copy of the bucket, its result cast back to the bucket's
    dtype: ``fp16_compress_wrapper(allreduce_hook)`` acts as ``fp16_compress_hook``.

    Example:
        >>> ddp.register_comm_hook(None, fp16_compress_wrapper(allreduce_hook))
    """
    return _compress_wrapper(ember.float16, hook, "fp16_compress_wrapper_hook")


def bf16_compress_wrapper(hook: Hook) -> Hook:
    """hook run on a bfloat16 copy of the bucket, its result cast back to the bucket's
    dtype.

    Example:
        >>> ddp.register_comm_hook(None, bf16_compress_wrapper(allreduce_hook))
    """
    return _compress_wrapper(ember.bfloat16, hook, "bf16_compress_wrapper_hook")
