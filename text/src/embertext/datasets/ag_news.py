"""AG_NEWS from its CSV files: ``(label, text)`` with labels 1-4 (World, Sports, Business,
Sci/Tech) and text = title + " " + description, as torchtext yields them.

Expected layout (the files of the original ``ag_news_csv`` archive)::

    root/AG_NEWS/train.csv   root/AG_NEWS/test.csv

Each row is ``"label","title","description"`` without a header.

Example:
    >>> train = AG_NEWS(root=".data", split="train")  # doctest: +SKIP
    >>> train[0]  # doctest: +SKIP
    (3, "Wall St. Bears Claw Back Into the Black (Reuters) Reuters - ...")
"""

from __future__ import annotations

import csv
import os

from embertext.datasets._files import require, splits_of

__all__ = ["AG_NEWS", "AGNewsSplit"]

NUM_LINES = {"train": 120000, "test": 7600}


class AGNewsSplit:
    """One split of AG_NEWS, read into memory: a map-style dataset of ``(label, text)``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._rows: list[tuple[int, str]] = []
        with open(path, encoding="utf-8", newline="") as f:
            for lineno, row in enumerate(csv.reader(f), 1):
                if len(row) < 2:
                    raise ValueError(f"{path}:{lineno}: expected label,title,description")
                try:
                    label = int(row[0])
                except ValueError as e:
                    raise ValueError(f"{path}:{lineno}: label {row[0]!r} is not an int") from e
                self._rows.append((label, " ".join(row[1:])))

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index: int) -> tuple[int, str]:
        return self._rows[index]

    def __iter__(self):
        return iter(self._rows)


def AG_NEWS(root: str = ".data", split: str | tuple[str, ...] = ("train", "test")):  # noqa: N802
    """The AG_NEWS splits under ``root``: one :class:`AGNewsSplit` for a split name, a tuple
    for a tuple of names."""
    names = splits_of(split, "AG_NEWS")
    how = "put train.csv and test.csv from the ag_news_csv archive there"
    data = tuple(AGNewsSplit(require(os.path.join(root, "AG_NEWS", f"{name}.csv"), "AG_NEWS",
                                     how)) for name in names)
    return data[0] if isinstance(split, str) else data
