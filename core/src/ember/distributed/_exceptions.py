"""The errors ember.distributed raises, in torch.distributed's hierarchy: every one is a
RuntimeError, so code that catches RuntimeError around a collective keeps working."""


class DistError(RuntimeError):
    """Base of the errors raised by ember.distributed.

    Example:
        >>> try:
        ...     store.get("missing")
        ... except dist.DistError as e:      # catches DistStoreError too
        ...     print(e)
    """


class DistBackendError(DistError):
    """A communication backend failed (e.g. a rank did not reach monitored_barrier)."""


class DistNetworkError(DistError):
    """A network operation (connecting a store, reaching a peer) failed."""


class DistStoreError(DistError):
    """A store operation failed or timed out (e.g. ``get`` on a key nobody sets)."""


class QueueEmptyError(DistStoreError):
    """``Store.queue_pop(key, block=False)`` found the queue empty."""
