"""What the launcher told this process through its environment."""

from __future__ import annotations

import os


def is_torchelastic_launched() -> bool:
    """Whether a torchrun-style launcher started this process (it sets TORCHELASTIC_RUN_ID;
    ``python -m ember.distributed.run`` does too).

    Example:
        >>> dist.is_torchelastic_launched()
        False
    """
    return os.getenv("TORCHELASTIC_RUN_ID") is not None


def get_node_local_rank(fallback_rank: int | None = None) -> int:
    """This process's rank on its machine (LOCAL_RANK), else fallback_rank.

    Example:
        >>> dist.get_node_local_rank(fallback_rank=0)     # 0 outside a launcher
        0
    """
    if "LOCAL_RANK" in os.environ:
        return int(os.environ["LOCAL_RANK"])
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError("LOCAL_RANK is not set: this process was not started by a launcher "
                       "(python -m ember.distributed.run sets it). Pass fallback_rank to use "
                       "a fixed local rank when running a single process.")
