"""Building a :class:`Vocab` from counts or token streams, with torchtext's ordering rules.

Example:
    >>> v = build_vocab_from_iterator([["b", "a", "b"], ["c"]], specials=["<unk>"])
    >>> v.get_itos()
    ['<unk>', 'b', 'a', 'c']
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping

from embertext.vocab.vocab import Vocab

__all__ = ["vocab", "build_vocab_from_iterator"]


def vocab(ordered_dict: Mapping[str, int], min_freq: int = 1,
          specials: list[str] | None = None, special_first: bool = True) -> Vocab:
    """A Vocab of the keys of ``ordered_dict`` (in its order) whose count is at least
    ``min_freq``, with ``specials`` at the front or the back.

    Like torchtext, the special tokens are popped from ``ordered_dict`` itself.

    Example:
        >>> v = vocab(OrderedDict([("a", 3), ("b", 1)]), min_freq=2, specials=["<pad>"])
        >>> v.get_itos()
        ['<pad>', 'a']
    """
    specials = specials or []
    for token in specials:
        ordered_dict.pop(token, None)
    tokens = [token for token, freq in ordered_dict.items() if freq >= min_freq]
    if special_first:
        tokens[0:0] = specials
    else:
        tokens.extend(specials)
    return Vocab(tokens)


def build_vocab_from_iterator(iterator: Iterable[Iterable[str]], min_freq: int = 1,
                              specials: list[str] | None = None, special_first: bool = True,
                              max_tokens: int | None = None) -> Vocab:
    """A Vocab from token lists: most frequent first, ties in lexicographic order.

    ``max_tokens`` caps the size including specials (an AssertionError when the specials
    alone reach it, as in torchtext).

    Example:
        >>> build_vocab_from_iterator([["x", "y", "y"]], max_tokens=2).get_itos()
        ['y', 'x']
    """
    counter: Counter[str] = Counter()
    for tokens in iterator:
        counter.update(tokens)
    specials = specials or []
    by_freq = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    if max_tokens is not None:
        assert len(specials) < max_tokens, (
            "len(specials) >= max_tokens, so the vocab will be entirely special tokens.")
        by_freq = by_freq[:max_tokens - len(specials)]
    return vocab(OrderedDict(by_freq), min_freq=min_freq, specials=specials,
                 special_first=special_first)
