"""Default timeouts of process groups and stores (``torch.distributed.constants``).

Example:
    >>> from ember.distributed.constants import default_pg_timeout
    >>> default_pg_timeout.total_seconds()
    1800.0
"""

from datetime import timedelta

# how long a collective (or monitored_barrier) waits for its peers by default
default_pg_timeout = timedelta(minutes=30)
# how long a store's get/wait blocks for a key by default
default_store_timeout = timedelta(minutes=5)

__all__ = ["default_pg_timeout", "default_store_timeout"]
