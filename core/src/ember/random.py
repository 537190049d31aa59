"""The default generator's controls, as ``torch.random``: seeding, its state, and
``fork_rng`` to draw numbers without disturbing the stream others see.

Example:
    >>> with ember.random.fork_rng():
    ...     ember.manual_seed(0)
    ...     noise = ember.rand(3)     # the caller's stream resumes unchanged afterwards
"""

from __future__ import annotations

import contextlib

from ._generator import (Generator, default_generator, get_rng_state, initial_seed,
                         manual_seed, seed, set_rng_state)

__all__ = ["Generator", "default_generator", "fork_rng", "get_rng_state", "initial_seed",
           "manual_seed", "seed", "set_rng_state"]


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type: str = "cuda"):
    """Saves the random state on entry and restores it on exit, so draws inside the block
    leave the stream outside it as it was. CUDA tensors draw from ember's one default
    generator, so its state covers every device and ``devices`` needs no listing.

    Example:
        >>> before = ember.rand(1)
        >>> with ember.random.fork_rng():
        ...     _ = ember.rand(100)
    """
    if not enabled:
        yield
        return
    state = default_generator.get_state()
    try:
        yield
    finally:
        default_generator.set_state(state)
