"""Random number generators: a seed and an offset into a counter-based stream.

Each draw of n numbers uses counters [offset, offset + n) of Philox4x32-10 and then
advances the offset, so a seed reproduces the same numbers on any thread count.
"""

from __future__ import annotations

import os

import numpy as np

from ._device import as_device


class Generator:
    """A random number generator, as ``torch.Generator``.

    Example:
        >>> g = ember.Generator().manual_seed(0)
        >>> ember.rand(2, generator=g)
    """

    __slots__ = ("_seed", "_offset", "device")

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self._seed = 67280421310721
        self._offset = 0

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        if seed < -(2 ** 63) or seed >= 2 ** 64:
            raise RuntimeError(f"Overflow when unpacking long: {seed}")
        self._seed = seed & (2 ** 64 - 1)
        self._offset = 0
        return self

    def seed(self) -> int:
        s = int.from_bytes(os.urandom(8), "little") >> 1
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        from .ops.creation import tensor
        from . import _dtype as D
        raw = np.array([self._seed, self._offset], dtype=np.uint64).view(np.uint8)
        return tensor(raw.tolist(), dtype=D.uint8)

    def set_state(self, state) -> Generator:
        raw = np.asarray(state.tolist(), dtype=np.uint8)
        if raw.size != 16:
            raise RuntimeError("Expected a 16-byte RNG state (ember's seed and offset)")
        self._seed, self._offset = (int(v) for v in raw.view(np.uint64))
        return self

    def take(self, n: int) -> tuple[int, int]:
        """Reserves n counters: returns (seed, first counter)."""
        off = self._offset
        self._offset = off + n
        return self._seed, off


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seeds the default CPU generator (and CUDA's, when present)."""
    default_generator.manual_seed(seed)
    from . import cuda
    if cuda.is_available():
        cuda.manual_seed_all(seed)
    return default_generator


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)
