"""What every dataset reader shares: the base class, root checks, loading a clip."""

from __future__ import annotations

import os
from pathlib import Path

import ember
import ember.utils.data

from .._io import load

# ember.utils.data.Dataset is the base when the core provides it; datasets only need
# __getitem__ and __len__, so a plain object works until then.
Dataset = getattr(ember.utils.data, "Dataset", object)


def check_download(download: bool, name: str) -> None:
    if download:
        raise RuntimeError(f"{name}: download=True is not supported (emberaudio does not fetch "
                           f"data); place the extracted dataset under root and use "
                           f"download=False.")


def require_dir(path: Path, name: str, hint: str) -> None:
    if not path.is_dir():
        raise RuntimeError(f"{name}: dataset not found at {os.fspath(path)!r}. {hint}")


def load_clip(path: Path) -> tuple[ember.Tensor, int]:
    if not path.is_file():
        raise FileNotFoundError(f"Audio file listed by the dataset is missing: "
                                f"{os.fspath(path)!r}.")
    return load(path)
