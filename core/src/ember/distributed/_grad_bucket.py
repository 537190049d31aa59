"""GradBucket: what DistributedDataParallel hands a communication hook for one bucket."""

from __future__ import annotations

import ember


class GradBucket:
    """One DDP bucket's gradients, packed in a flat buffer, as a communication hook sees
    them (``torch.distributed.GradBucket``). DDP builds these; a hook reads ``buffer()``,
    reduces it and returns a Future of the result.

    Example:
        >>> def halve_then_sum(state, bucket: dist.GradBucket):
        ...     buf = bucket.buffer().div_(dist.get_world_size())
        ...     return dist.all_reduce(buf, async_op=True).get_future().then(
        ...         lambda f: f.value()[0])
    """

    def __init__(self, index: int, buffer: ember.Tensor, parameters: list,
                 offsets: list[int], is_last: bool) -> None:
        self._index = index
        self._buffer = buffer
        self._parameters = parameters
        self._offsets = offsets
        self._is_last = is_last

    def index(self) -> int:
        """The bucket's position in DDP's launch order (0 holds the last layers)."""
        return self._index

    def buffer(self) -> ember.Tensor:
        """The flat 1-D tensor holding every gradient of the bucket, in parameters() order."""
        return self._buffer

    def gradients(self) -> list[ember.Tensor]:
        """One view of buffer() per parameter, shaped like that parameter."""
        return [self._buffer[at:at + p.numel()].view(p.shape)
                for p, at in zip(self._parameters, self._offsets)]

    def parameters(self) -> list[ember.Tensor]:
        """The model parameters whose gradients the bucket holds."""
        return list(self._parameters)

    def is_last(self) -> bool:
        """Whether this is the iteration's last bucket to be reduced (the first layers)."""
        return self._is_last

    def set_buffer(self, buffer: ember.Tensor) -> None:
        """Replaces the flat buffer (a compression wrapper swaps in a half-precision copy)."""
        self._buffer = buffer
