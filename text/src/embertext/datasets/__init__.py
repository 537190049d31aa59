"""Readers for text classification datasets already on disk, in their original formats.

Example:
    >>> from embertext.datasets import AG_NEWS
    >>> train, test = AG_NEWS(root=".data")  # doctest: +SKIP
    >>> label, text = train[0]  # doctest: +SKIP
"""

from embertext.datasets.ag_news import AG_NEWS
from embertext.datasets.imdb import IMDB

__all__ = ["AG_NEWS", "IMDB"]
