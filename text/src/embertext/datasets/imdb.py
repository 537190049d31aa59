"""IMDB from the extracted ``aclImdb`` folder tree: ``(label, text)`` with label 1 for
negative and 2 for positive reviews, as torchtext yields them.

Expected layout (the ``aclImdb_v1.tar.gz`` archive, extracted)::

    root/IMDB/aclImdb/{train,test}/{neg,pos}/<id>_<rating>.txt

Reviews are listed negative first, then positive, each in file-name order.

Example:
    >>> train = IMDB(root=".data", split="train")  # doctest: +SKIP
    >>> label, text = train[0]  # doctest: +SKIP
"""

from __future__ import annotations

import os

from embertext.datasets._files import require, splits_of

__all__ = ["IMDB", "IMDBSplit"]

LABELS = {"neg": 1, "pos": 2}


class IMDBSplit:
    """One split of IMDB: a map-style dataset of ``(label, text)``; texts are read lazily."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._files: list[tuple[int, str]] = []
        how = "extract aclImdb_v1.tar.gz under <root>/IMDB"
        for name, label in LABELS.items():
            folder = require(os.path.join(directory, name), "IMDB", how)
            self._files += [(label, os.path.join(folder, f))
                            for f in sorted(os.listdir(folder)) if f.endswith(".txt")]

    def __len__(self) -> int:
        return len(self._files)

    def __getitem__(self, index: int) -> tuple[int, str]:
        label, path = self._files[index]
        with open(path, encoding="utf-8") as f:
            return label, f.read()

    def __iter__(self):
        return (self[i] for i in range(len(self)))


def IMDB(root: str = ".data", split: str | tuple[str, ...] = ("train", "test")):  # noqa: N802
    """The IMDB splits under ``root``: one :class:`IMDBSplit` for a split name, a tuple for a
    tuple of names."""
    names = splits_of(split, "IMDB")
    how = "extract aclImdb_v1.tar.gz under <root>/IMDB"
    data = tuple(IMDBSplit(require(os.path.join(root, "IMDB", "aclImdb", name), "IMDB", how))
                 for name in names)
    return data[0] if isinstance(split, str) else data
