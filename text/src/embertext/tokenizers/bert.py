"""BERT inputs: ``[CLS] A [SEP] (B [SEP])`` with truncation and padding.

Truncation and padding follow HF ``tokenizers`` (the fast BertTokenizer): ``longest_first``
splits the room between the two sequences, the shorter one keeping its length when it
fits; ``only_first``/``only_second`` cut one side; padding is on the right with
``[PAD]``, attention mask 0 and token type 0.

Example:
    >>> tok = BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "world"])
    >>> out = tok("Hello world", "hello")
    >>> out["input_ids"], out["token_type_ids"]
    ([2, 4, 5, 3, 4, 3], [0, 0, 0, 0, 1, 1])
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Literal

from embertext.tokenizers.wordpiece import WordPieceTokenizer, load_vocab_txt

__all__ = ["BertTokenizer"]

Truncation = bool | Literal["longest_first", "only_first", "only_second", "do_not_truncate"]
Padding = bool | Literal["longest", "max_length", "do_not_pad"]

_BERT_SPECIALS = ["[UNK]", "[SEP]", "[CLS]", "[PAD]", "[MASK]"]


def _truncate_longest_first(n1: int, n2: int, room: int) -> tuple[int, int]:
    # HF tokenizers' rule: the shorter side keeps its length if the longer side can take
    # the rest; otherwise both get half (the longer one the odd token).
    swap = n1 > n2
    if swap:
        n1, n2 = n2, n1
    n2 = n1 if n1 > room else max(n1, room - n1)
    if n1 + n2 > room:
        n1 = room // 2
        n2 = n1 + room % 2
    return (n2, n1) if swap else (n1, n2)


class BertTokenizer(WordPieceTokenizer):
    """WordPiece plus BERT's input template, truncation and padding.

    Args:
        vocab: token -> id mapping or token list.
        cls_token, sep_token, pad_token, mask_token: BERT's special tokens.
        model_max_length: the length ``truncation=True`` uses without ``max_length``.
        **kwargs: as for :class:`WordPieceTokenizer`.

    Example:
        >>> tok = BertTokenizer.from_file("vocab.txt")  # doctest: +SKIP
        >>> tok(["a b c", "d"], padding=True)["attention_mask"]  # doctest: +SKIP
        [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]
    """

    def __init__(self, vocab: Mapping[str, int] | Sequence[str], *, cls_token: str = "[CLS]",
                 sep_token: str = "[SEP]", pad_token: str = "[PAD]", mask_token: str = "[MASK]",
                 model_max_length: int = 512, **kwargs) -> None:
        kwargs.setdefault("special_tokens", [kwargs.get("unk_token", "[UNK]"), sep_token,
                                             cls_token, pad_token, mask_token])
        super().__init__(vocab, **kwargs)
        for name, token in (("cls_token", cls_token), ("sep_token", sep_token),
                            ("pad_token", pad_token)):
            if token not in self.vocab:
                raise ValueError(f"{name} {token!r} is not in the vocabulary")
        self.cls_token, self.sep_token = cls_token, sep_token
        self.pad_token, self.mask_token = pad_token, mask_token
        self.model_max_length = model_max_length

    @classmethod
    def from_file(cls, vocab_path: str | os.PathLike, **kwargs) -> BertTokenizer:
        """Loads BERT's ``vocab.txt``."""
        return cls(load_vocab_txt(vocab_path), **kwargs)

    @property
    def cls_token_id(self) -> int:
        return self.vocab[self.cls_token]

    @property
    def sep_token_id(self) -> int:
        return self.vocab[self.sep_token]

    @property
    def pad_token_id(self) -> int:
        return self.vocab[self.pad_token]

    def build_inputs(self, ids: list[int], pair: list[int] | None = None) -> dict[str, list[int]]:
        """Applies the template to already tokenized ids."""
        input_ids = [self.cls_token_id, *ids, self.sep_token_id]
        types = [0] * len(input_ids)
        if pair is not None:
            input_ids += [*pair, self.sep_token_id]
            types += [1] * (len(pair) + 1)
        return {"input_ids": input_ids, "token_type_ids": types,
                "attention_mask": [1] * len(input_ids)}

    def _truncate(self, a: list[int], b: list[int] | None, strategy: str,
                  max_length: int, add_special_tokens: bool) -> tuple[list[int], list[int] | None]:
        added = (3 if b is not None else 2) if add_special_tokens else 0
        room = max_length - added
        total = len(a) + (len(b) if b is not None else 0)
        if total <= room:
            return a, b
        if room < 0:
            raise ValueError(f"max_length={max_length} leaves no room after {added} special "
                             f"tokens")
        if strategy == "longest_first":
            if b is None:
                return a[:room], None
            n1, n2 = _truncate_longest_first(len(a), len(b), room)
            return a[:n1], b[:n2]
        if strategy == "only_first":
            keep = room - (len(b) if b is not None else 0)
            if keep < 0:
                raise ValueError("truncation='only_first' cannot fit: the second sequence "
                                 "alone is longer than max_length")
            return a[:keep], b
        if strategy == "only_second":
            if b is None:
                raise ValueError("truncation='only_second' needs a second sequence")
            keep = room - len(a)
            if keep < 0:
                raise ValueError("truncation='only_second' cannot fit: the first sequence "
                                 "alone is longer than max_length")
            return a, b[:keep]
        raise ValueError(f"unknown truncation strategy {strategy!r}")

    def __call__(self, text: str | Sequence[str], text_pair: str | Sequence[str] | None = None,
                 *, add_special_tokens: bool = True, truncation: Truncation = False,
                 padding: Padding = False, max_length: int | None = None
                 ) -> dict[str, list[int]] | dict[str, list[list[int]]]:
        """Tokenizes one text (or pair) or a batch, returning ``input_ids``,
        ``token_type_ids`` and ``attention_mask`` as lists (batches: lists of lists).

        Example:
            >>> tok("a long text", truncation=True, max_length=4)  # doctest: +SKIP
        """
        batched = not isinstance(text, str)
        texts = list(text) if batched else [text]
        if text_pair is None:
            pairs: list[str | None] = [None] * len(texts)
        else:
            pairs = list(text_pair) if batched else [text_pair]
            if len(pairs) != len(texts):
                raise ValueError(f"{len(texts)} texts but {len(pairs)} text pairs")

        strategy = {True: "longest_first", False: "do_not_truncate"}.get(truncation, truncation)
        pad = {True: "longest", False: "do_not_pad"}.get(padding, padding)
        if strategy not in ("longest_first", "only_first", "only_second", "do_not_truncate"):
            raise ValueError(f"unknown truncation strategy {truncation!r}")
        if pad not in ("longest", "max_length", "do_not_pad"):
            raise ValueError(f"unknown padding strategy {padding!r}")
        if max_length is None and (strategy != "do_not_truncate" or pad == "max_length"):
            max_length = self.model_max_length

        rows = []
        for a_text, b_text in zip(texts, pairs):
            a = self.encode(a_text)
            b = self.encode(b_text) if b_text is not None else None
            if strategy != "do_not_truncate":
                a, b = self._truncate(a, b, strategy, max_length, add_special_tokens)
            if add_special_tokens:
                rows.append(self.build_inputs(a, b))
            else:
                ids = a + (b or [])
                rows.append({"input_ids": ids,
                             "token_type_ids": [0] * len(a) + [1] * len(b or []),
                             "attention_mask": [1] * len(ids)})

        if pad != "do_not_pad":
            target = max_length if pad == "max_length" else max(len(r["input_ids"]) for r in rows)
            for r in rows:
                extra = target - len(r["input_ids"])
                if extra > 0:
                    r["input_ids"] += [self.pad_token_id] * extra
                    r["token_type_ids"] += [0] * extra
                    r["attention_mask"] += [0] * extra

        if batched:
            return {key: [r[key] for r in rows] for key in
                    ("input_ids", "token_type_ids", "attention_mask")}
        return rows[0]
