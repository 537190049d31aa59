"""Locating dataset files on disk (ember-text never downloads)."""

from __future__ import annotations

import os

SPLITS = ("train", "test")


def splits_of(split: str | tuple[str, ...], dataset: str) -> tuple[str, ...]:
    names = (split,) if isinstance(split, str) else tuple(split)
    for name in names:
        if name not in SPLITS:
            raise ValueError(f"{dataset} has splits {SPLITS}, got {name!r}")
    return names


def require(path: str, dataset: str, how: str) -> str:
    """``path`` if it exists, else a FileNotFoundError that says what to put there."""
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{dataset}: {path} not found. ember-text does not download datasets; {how}")
    return path
