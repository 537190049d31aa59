"""Vocabularies: ``Vocab``, ``vocab`` and ``build_vocab_from_iterator`` (torchtext.vocab).

Example:
    >>> from embertext.vocab import build_vocab_from_iterator
    >>> build_vocab_from_iterator([["hi", "there", "hi"]])["hi"]
    0
"""

from embertext.vocab.vocab import Vocab
from embertext.vocab.vocab_factory import build_vocab_from_iterator, vocab

__all__ = ["Vocab", "build_vocab_from_iterator", "vocab"]
