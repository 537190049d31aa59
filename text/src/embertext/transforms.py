"""Text transforms as ``ember.nn.Module`` s, composable with :class:`Sequential`
(torchtext.transforms).

Example:
    >>> from embertext.vocab import vocab
    >>> from collections import OrderedDict
    >>> v = vocab(OrderedDict([("hello", 1), ("world", 1)]), specials=["<pad>"])
    >>> pipeline = Sequential(VocabTransform(v), AddToken(0, begin=False), ToTensor())
    >>> pipeline(["hello", "world"]).tolist()
    [1, 2, 0]
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from typing import Any

import ember
from ember import nn

from embertext import functional as F
from embertext.tokenizers import (
    ByteLevelBPETokenizer,
    WordPieceTokenizer,
    load_vocab_txt,
)
from embertext.tokenizers import SentencePieceTokenizer as _SentencePieceModel
from embertext.tokenizers.byte_level import bytes_to_token_string
from embertext.vocab import Vocab, vocab

__all__ = ["AddToken", "BERTTokenizer", "GPT2BPETokenizer", "LabelToIndex", "PadTransform",
           "RegexTokenizer", "SentencePieceTokenizer", "Sequential", "StrToIntTransform",
           "ToTensor", "Truncate", "VocabTransform"]


def _map_text(fn, input: Any) -> Any:
    # tokenizers take one string or a batch (list) of strings
    if isinstance(input, str):
        return fn(input)
    if isinstance(input, list) and all(isinstance(t, str) for t in input):
        return [fn(t) for t in input]
    raise TypeError("Input type not supported")


class SentencePieceTokenizer(nn.Module):
    """Text to SentencePiece pieces.

    Args:
        sp_model_path: path of a SentencePiece ``.model`` (needs ``sentencepiece``).

    Example:
        >>> SentencePieceTokenizer("spm.model")("hello world")  # doctest: +SKIP
        ['▁hello', '▁world']
    """

    def __init__(self, sp_model_path: str | os.PathLike) -> None:
        super().__init__()
        self.sp_model = _SentencePieceModel(sp_model_path)

    def forward(self, input: Any) -> Any:
        return _map_text(self.sp_model.encode_as_pieces, input)


class GPT2BPETokenizer(nn.Module):
    """GPT-2's byte-level BPE: text to token ids as strings (torchtext's convention), or to
    the vocab.json token strings with ``return_tokens=True``.

    Args:
        encoder_json_path: GPT-2's ``encoder.json``/``vocab.json``.
        vocab_bpe_path: GPT-2's ``vocab.bpe``/``merges.txt``.
        return_tokens: emit tokens (``'Ġworld'``) instead of ids.

    Example:
        >>> tok = GPT2BPETokenizer("vocab.json", "merges.txt")  # doctest: +SKIP
        >>> tok("Hello world")  # doctest: +SKIP
        ['15496', '995']
    """

    def __init__(self, encoder_json_path: str | os.PathLike, vocab_bpe_path: str | os.PathLike,
                 return_tokens: bool = False) -> None:
        super().__init__()
        self.bpe = ByteLevelBPETokenizer.from_files(encoder_json_path, vocab_bpe_path)
        self._return_tokens = return_tokens

    def _encode(self, text: str) -> list[str]:
        ids = self.bpe.encode_ordinary(text)
        if self._return_tokens:
            return [bytes_to_token_string(self.bpe.decode_single_token_bytes(i)) for i in ids]
        return [str(i) for i in ids]

    def forward(self, input: Any) -> Any:
        return _map_text(self._encode, input)

    def decode(self, tokens: list[str]) -> str:
        """Text from id strings (as :meth:`forward` returns them)."""
        return self.bpe.decode([int(t) for t in tokens])


class BERTTokenizer(nn.Module):
    """BERT's WordPiece: text to token ids as strings, or to tokens with
    ``return_tokens=True`` (no ``[CLS]``/``[SEP]``; add them with :class:`AddToken`).

    Args:
        vocab_path: BERT's ``vocab.txt``.
        do_lower_case: lowercase (uncased models).
        strip_accents: strip accents; None follows ``do_lower_case``.
        return_tokens: emit tokens instead of ids.
        never_split: tokens kept whole when they appear in the text (e.g. ``[CLS]``).

    Example:
        >>> tok = BERTTokenizer("vocab.txt", return_tokens=True)  # doctest: +SKIP
        >>> tok("Hello World")  # doctest: +SKIP
        ['hello', 'world']
    """

    def __init__(self, vocab_path: str | os.PathLike, do_lower_case: bool = True,
                 strip_accents: bool | None = None, return_tokens: bool = False,
                 never_split: list[str] | None = None) -> None:
        super().__init__()
        self.wordpiece = WordPieceTokenizer(load_vocab_txt(vocab_path), lowercase=do_lower_case,
                                            strip_accents=strip_accents,
                                            special_tokens=never_split or [])
        self._return_tokens = return_tokens

    def _encode(self, text: str) -> list[str]:
        if self._return_tokens:
            return self.wordpiece.tokenize(text)
        return [str(i) for i in self.wordpiece.encode(text)]

    def forward(self, input: Any) -> Any:
        return _map_text(self._encode, input)


class RegexTokenizer(nn.Module):
    """Applies ``(pattern, replacement)`` substitutions in order, then splits on spaces.

    Example:
        >>> RegexTokenizer([(r"\\s+", " "), (r"[,.]", " ")])("a,b.  c")
        ['a', 'b', 'c']
    """

    def __init__(self, patterns_list: list[tuple[str, str]]) -> None:
        super().__init__()
        self.patterns_list = list(patterns_list)
        self._compiled = [(re.compile(p), r) for p, r in self.patterns_list]

    def forward(self, line: str) -> list[str]:
        for pattern, replacement in self._compiled:
            line = pattern.sub(replacement, line)
        return [t for t in line.split(" ") if t]


class VocabTransform(nn.Module):
    """Tokens to ids through a :class:`embertext.vocab.Vocab`."""

    def __init__(self, vocab: Vocab) -> None:
        super().__init__()
        if not isinstance(vocab, Vocab):
            raise TypeError(f"vocab must be an embertext.vocab.Vocab, got {type(vocab)}")
        self.vocab = vocab

    def forward(self, input: Any) -> Any:
        if F._is_list_of(input, str):
            return self.vocab.lookup_indices(input)
        if F._is_nested_list_of(input, str):
            return [self.vocab.lookup_indices(x) for x in input]
        raise TypeError("Input type not supported")


class ToTensor(nn.Module):
    """Token ids to a tensor, right-padding ragged batches with ``padding_value``."""

    def __init__(self, padding_value: int | None = None, dtype: ember.dtype = ember.long) -> None:
        super().__init__()
        self.padding_value = padding_value
        self.dtype = dtype

    def forward(self, input: Any) -> ember.Tensor:
        return F.to_tensor(input, padding_value=self.padding_value, dtype=self.dtype)


class LabelToIndex(nn.Module):
    """Label strings to indices, from a list of names or a file of one label a line.

    Example:
        >>> LabelToIndex(label_names=["neg", "pos"])(["pos", "neg"])
        [1, 0]
    """

    def __init__(self, label_names: list[str] | None = None,
                 label_path: str | os.PathLike | None = None, sort_names: bool = False) -> None:
        super().__init__()
        assert label_names or label_path, "label_names or label_path is required"
        assert not (label_names and label_path), (
            "label_names and label_path are mutually exclusive")
        if label_path:
            with open(label_path, encoding="utf-8") as f:
                label_names = [line.strip() for line in f if line.strip()]
        if sort_names:
            label_names = sorted(label_names)
        self._label_vocab = vocab(OrderedDict((name, 1) for name in label_names))
        self._label_names = self._label_vocab.get_itos()

    def forward(self, input: Any) -> Any:
        if F._is_list_of(input, str):
            return self._label_vocab.lookup_indices(input)
        if isinstance(input, str):
            return self._label_vocab[input]
        raise TypeError("Input type not supported")

    @property
    def label_names(self) -> list[str]:
        return self._label_names


class Truncate(nn.Module):
    """Keeps the first ``max_seq_len`` tokens of each sequence."""

    def __init__(self, max_seq_len: int) -> None:
        super().__init__()
        self.max_seq_len = max_seq_len

    def forward(self, input: Any) -> Any:
        return F.truncate(input, self.max_seq_len)


class AddToken(nn.Module):
    """Adds a token (id or string) at the start (``begin=True``) or end of each sequence."""

    def __init__(self, token: int | str, begin: bool = True) -> None:
        super().__init__()
        self.token = token
        self.begin = begin

    def forward(self, input: Any) -> Any:
        return F.add_token(input, self.token, self.begin)


class PadTransform(nn.Module):
    """Right-pads the last dimension of a tensor to ``max_length`` with ``pad_value``
    (longer tensors pass unchanged)."""

    def __init__(self, max_length: int, pad_value: int) -> None:
        super().__init__()
        self.max_length = max_length
        self.pad_value = float(pad_value)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        length = x.size(-1)
        if length < self.max_length:
            x = nn.functional.pad(x, (0, self.max_length - length), value=self.pad_value)
        return x


class StrToIntTransform(nn.Module):
    """Digit strings to ints (``['1', '2']`` -> ``[1, 2]``), flat or nested."""

    def forward(self, input: Any) -> Any:
        return F.str_to_int(input)


class Sequential(nn.Sequential):
    """Runs transforms in order; unlike ``nn.Sequential`` the values passed along need not
    be tensors."""

    def forward(self, input: Any) -> Any:
        for module in self:
            input = module(input)
        return input
