"""``get_tokenizer``: torchtext's word tokenizers by name.

Example:
    >>> tokenizer = get_tokenizer("basic_english")
    >>> tokenizer("You can now install TorchText using pip!")
    ['you', 'can', 'now', 'install', 'torchtext', 'using', 'pip', '!']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

__all__ = ["get_tokenizer"]

# torchtext's basic_english rules, applied in this order after lowercasing.
_PATTERNS = [(re.compile(p), r) for p, r in [
    (r"\'", " '  "), (r"\"", ""), (r"\.", " . "), (r"<br \/>", " "), (r",", " , "),
    (r"\(", " ( "), (r"\)", " ) "), (r"\!", " ! "), (r"\?", " ? "), (r"\;", " "),
    (r"\:", " "), (r"\s+", " ")]]


def _basic_english_normalize(line: str) -> list[str]:
    line = line.lower()
    for pattern, replacement in _PATTERNS:
        line = pattern.sub(replacement, line)
    return line.split()


def _split_tokenizer(text: str) -> list[str]:
    return text.split()


def _spacy_tokenize(text: str, spacy) -> list[str]:
    return [tok.text for tok in spacy.tokenizer(text)]


def _missing(library: str, pip_name: str, tokenizer: str) -> ImportError:
    return ImportError(f"get_tokenizer({tokenizer!r}) needs the {library} library, which is "
                       f"not installed: pip install {pip_name}")


def get_tokenizer(tokenizer: str | Callable[[str], list[str]] | None,
                  language: str = "en") -> Callable[[str], list[str]]:
    """A function that splits a string into tokens.

    Args:
        tokenizer: ``None`` (split on white space), ``"basic_english"``, ``"spacy"``,
            ``"moses"``, ``"toktok"``, ``"revtok"``, ``"subword"``, or any callable, which is
            returned unchanged.
        language: the spaCy model/language; ``"basic_english"`` supports only ``"en"``.

    Example:
        >>> get_tokenizer(None)("a  b\\tc")
        ['a', 'b', 'c']
    """
    if tokenizer is None:
        return _split_tokenizer
    if tokenizer == "basic_english":
        if language != "en":
            raise ValueError("Basic normalization is only available for English(en)")
        return _basic_english_normalize
    if callable(tokenizer):
        return tokenizer
    if tokenizer == "spacy":
        try:
            import spacy
        except ImportError as e:
            raise _missing("spaCy", "spacy", tokenizer) from e
        try:
            nlp = spacy.load(language)
        except OSError:
            # spaCy 3 dropped the short names ("en"); try the long ones it lists
            shortcuts = getattr(spacy.errors, "OLD_MODEL_SHORTCUTS", {})
            if language not in shortcuts:
                raise
            nlp = spacy.load(shortcuts[language])
        return partial(_spacy_tokenize, spacy=nlp)
    if tokenizer == "moses":
        try:
            from sacremoses import MosesTokenizer
        except ImportError as e:
            raise _missing("sacremoses", "sacremoses", tokenizer) from e
        return MosesTokenizer().tokenize
    if tokenizer == "toktok":
        try:
            from nltk.tokenize.toktok import ToktokTokenizer
        except ImportError as e:
            raise _missing("NLTK", "nltk", tokenizer) from e
        return ToktokTokenizer().tokenize
    if tokenizer in ("revtok", "subword"):
        try:
            import revtok
        except ImportError as e:
            raise _missing("revtok", "revtok", tokenizer) from e
        return revtok.tokenize if tokenizer == "revtok" else partial(revtok.tokenize, decap=True)
    raise ValueError(
        f"Requested tokenizer {tokenizer}, valid choices are a callable that takes a single "
        f"string as input, \"revtok\" for the revtok reversible tokenizer, \"subword\" for the "
        f"revtok caps-aware tokenizer, \"spacy\" for the SpaCy English tokenizer, or \"moses\" "
        f"for the NLTK port of the Moses tokenization script.")
