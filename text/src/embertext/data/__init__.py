"""Data utilities (torchtext.data): ``get_tokenizer``.

Example:
    >>> from embertext.data import get_tokenizer
    >>> get_tokenizer(None)("split on spaces")
    ['split', 'on', 'spaces']
"""

from embertext.data.utils import get_tokenizer

__all__ = ["get_tokenizer"]
