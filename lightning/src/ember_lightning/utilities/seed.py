"""Seeding every random number generator the training loop touches, and saving their states.

Example:
    >>> from ember_lightning import seed_everything
    >>> seed_everything(42)
    42
"""

from __future__ import annotations

import os
import random
import warnings

import numpy as np

import ember

_MAX_SEED = 2**32 - 1


def seed_everything(seed: int | None = None, workers: bool = False) -> int:
    """Seeds Python's ``random``, NumPy and Ember, and records the seed in ``PL_GLOBAL_SEED``.

    With ``workers=True`` the variable ``PL_SEED_WORKERS=1`` is set as well (DataLoader workers
    derive their seeds from the loader's base seed, which comes from Ember's generator). The
    trainer also derives each epoch's shuffling order from this seed, so resumed runs see the
    same batches.
    """
    if seed is None:
        env = os.environ.get("PL_GLOBAL_SEED")
        if env is None:
            seed = random.randint(0, _MAX_SEED)
            warnings.warn(f"No seed found, seed set to {seed}", stacklevel=2)
        else:
            seed = int(env)
    seed = int(seed)
    if not 0 <= seed <= _MAX_SEED:
        warnings.warn(f"{seed} is not in bounds, numpy accepts from 0 to {_MAX_SEED}", stacklevel=2)
        seed = random.randint(0, _MAX_SEED)
    os.environ["PL_GLOBAL_SEED"] = str(seed)
    os.environ["PL_SEED_WORKERS"] = str(int(workers))
    random.seed(seed)
    np.random.seed(seed)
    ember.manual_seed(seed)
    return seed


def reset_seed() -> None:
    """Re-applies the seed stored by :func:`seed_everything`, if any."""
    env = os.environ.get("PL_GLOBAL_SEED")
    if env is not None:
        seed_everything(int(env), workers=bool(int(os.environ.get("PL_SEED_WORKERS", "0"))))


def get_rng_states() -> dict:
    """The states of Python's, NumPy's and Ember's default generators, as plain picklable values.

    NumPy's key array becomes a list so that the checkpoint holds only plain types and tensors.
    """
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "python": random.getstate(),
        "numpy": (kind, keys.tolist(), int(pos), int(has_gauss), float(cached)),
        "ember": ember.get_rng_state(),
    }


def set_rng_states(states: dict) -> None:
    """Restores what :func:`get_rng_states` returned."""
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = states["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    ember.set_rng_state(states["ember"])
