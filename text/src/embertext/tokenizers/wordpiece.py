"""WordPiece tokenization exactly as BERT (HF ``tokenizers``' BertWordPiece pipeline).

Normalisation (clean text, CJK isolation, accent stripping, lowercasing), pre-tokenisation
(white space, punctuation) and greedy longest-match-first WordPiece all run in one C pass;
Python only applies NFD first when accents are stripped (CPython's normaliser is C too)
and splits out special tokens such as ``[CLS]`` written in the text.

Example:
    >>> wp = WordPieceTokenizer(["[UNK]", "un", "##aff", "##able", "!"])
    >>> wp.tokenize("Unaffable!")
    ['un', '##aff', '##able', '!']
    >>> wp.encode("Unaffable!")
    [1, 2, 3, 4]
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from embertext._native import call_with_output, check, encode_many, ffi, lib

__all__ = ["WordPieceTokenizer", "load_vocab_txt"]

# HF's WordPiece decoder "cleanup": undo the spaces the tokenizer put around punctuation.
_CLEANUP = [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
            (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"),
            (" 're", "'re")]


def load_vocab_txt(path: str | os.PathLike) -> dict[str, int]:
    """Reads BERT's ``vocab.txt`` (one token a line, id = line number)."""
    vocab: dict[str, int] = {}
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            token = line.rstrip("\n").rstrip("\r")
            vocab.setdefault(token, i)
    return vocab


class WordPieceTokenizer:
    """BERT's WordPiece tokenizer: text -> ids without ``[CLS]``/``[SEP]``.

    Args:
        vocab: token -> id mapping, or a token list (id = position).
        unk_token: emitted for words that cannot be covered by vocabulary pieces.
        continuing_subword_prefix: marks pieces that continue a word.
        max_input_chars_per_word: longer words become ``unk_token``.
        lowercase: lowercase the text (uncased models).
        strip_accents: remove accents (NFD + drop non-spacing marks); ``None`` follows
            ``lowercase`` as in BERT.
        clean_text: drop control characters and map white space to spaces.
        handle_chinese_chars: isolate CJK ideographs as words.
        special_tokens: tokens matched verbatim in the input before normalisation.

    Example:
        >>> wp = WordPieceTokenizer(["[UNK]", "hello", "!"], special_tokens=["[UNK]"])
        >>> wp.encode("HELLO world!")
        [1, 0, 2]
    """

    def __init__(self, vocab: Mapping[str, int] | Sequence[str], *, unk_token: str = "[UNK]",
                 continuing_subword_prefix: str = "##", max_input_chars_per_word: int = 100,
                 lowercase: bool = True, strip_accents: bool | None = None,
                 clean_text: bool = True, handle_chinese_chars: bool = True,
                 special_tokens: Iterable[str] | None = None) -> None:
        if not isinstance(vocab, Mapping):
            vocab = {t: i for i, t in reversed(list(enumerate(vocab)))}
        self.vocab: dict[str, int] = dict(vocab)
        if unk_token not in self.vocab:
            raise ValueError(f"unk_token {unk_token!r} is not in the vocabulary")
        self.unk_token = unk_token
        self.continuing_subword_prefix = continuing_subword_prefix
        self.max_input_chars_per_word = max_input_chars_per_word
        self.lowercase = lowercase
        self.strip_accents = lowercase if strip_accents is None else strip_accents
        self.clean_text = clean_text
        self.handle_chinese_chars = handle_chinese_chars
        self.special_tokens = [t for t in (special_tokens or ()) if t in self.vocab]
        self._special_re = (re.compile("|".join(re.escape(t) for t in sorted(
            self.special_tokens, key=len, reverse=True))) if self.special_tokens else None)
        self.ids_to_tokens: dict[int, str] = {}
        for token, i in self.vocab.items():
            self.ids_to_tokens.setdefault(i, token)
        self._model = self._build_native()

    def _build_native(self):
        tokens = [t.encode("utf-8") for t in self.vocab]
        blob = b"".join(tokens)
        offsets, pos = [0], 0
        for t in tokens:
            pos += len(t)
            offsets.append(pos)
        flags = ((lib.ET_WP_CLEAN_TEXT if self.clean_text else 0)
                 | (lib.ET_WP_CHINESE_CHARS if self.handle_chinese_chars else 0)
                 | (lib.ET_WP_STRIP_ACCENTS if self.strip_accents else 0)
                 | (lib.ET_WP_LOWERCASE if self.lowercase else 0))
        prefix = self.continuing_subword_prefix.encode("utf-8")
        out = ffi.new("et_wordpiece **")
        check(lib.et_wordpiece_new(blob, len(blob), ffi.new("int64_t[]", offsets),
                                   ffi.new("int32_t[]", list(self.vocab.values())), len(tokens),
                                   self.vocab[self.unk_token], prefix, len(prefix),
                                   self.max_input_chars_per_word, flags, out),
              "building the WordPiece model")
        return ffi.gc(out[0], lib.et_wordpiece_free)

    @classmethod
    def from_file(cls, vocab_path: str | os.PathLike, **kwargs) -> WordPieceTokenizer:
        """Loads BERT's ``vocab.txt``; keyword arguments as for the constructor.

        ``[UNK] [SEP] [CLS] [PAD] [MASK]`` present in the vocabulary are special tokens by
        default, as in HF's BertWordPieceTokenizer.
        """
        vocab = load_vocab_txt(vocab_path)
        kwargs.setdefault("special_tokens", ["[UNK]", "[SEP]", "[CLS]", "[PAD]", "[MASK]"])
        return cls(vocab, **kwargs)

    @classmethod
    def from_tokenizer_json(cls, path: str | os.PathLike, **kwargs) -> WordPieceTokenizer:
        """Loads an HF ``tokenizer.json`` whose model is WordPiece (BertNormalizer)."""
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
        return cls(vocab=spec["model"]["vocab"], **{**_kwargs_from_json(spec), **kwargs})

    # ------------------------------------------------------------------ encoding
    def _encode_segment(self, text: str) -> list[int]:
        data = self._prepare(text)
        out, n = call_with_output(lib.et_wordpiece_encode, (self._model, data, len(data)),
                                  "int32_t", len(data) + 1, "WordPiece encode")
        return ffi.unpack(out, n)

    def encode(self, text: str) -> list[int]:
        """Token ids of text, without the ``[CLS]``/``[SEP]`` template."""
        if self._special_re is None:
            return self._encode_segment(text)
        ids: list[int] = []
        start = 0
        for m in self._special_re.finditer(text):
            ids += self._encode_segment(text[start:m.start()])
            ids.append(self.vocab[m.group()])
            start = m.end()
        ids += self._encode_segment(text[start:])
        return ids

    def _prepare(self, text: str) -> bytes:
        if self.strip_accents and not text.isascii():
            text = unicodedata.normalize("NFD", text)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            return text.encode("utf-8", "replace")  # lone surrogates: nothing to match

    def _encode_chunk(self, texts: list[str]) -> list[list[int]]:
        plain = [k for k, t in enumerate(texts)
                 if self._special_re is None or not self._special_re.search(t)]
        result: list[list[int]] = [[] for _ in texts]
        encoded = encode_many(lib.et_wordpiece_encode_many, self._model,
                              [self._prepare(texts[k]) for k in plain], "WordPiece encode")
        for k, ids in zip(plain, encoded):
            result[k] = ids
        if len(plain) < len(texts):
            done = set(plain)
            for k, t in enumerate(texts):
                if k not in done:
                    result[k] = self.encode(t)
        return result

    def encode_batch(self, texts: Sequence[str], num_threads: int = 8) -> list[list[int]]:
        """Encodes many texts in few C calls, on a thread pool (the C code runs without
        the GIL)."""
        texts = list(texts)
        if num_threads <= 1 or len(texts) < 2:
            return self._encode_chunk(texts)
        size = -(-len(texts) // num_threads)
        chunks = [texts[i:i + size] for i in range(0, len(texts), size)]
        with ThreadPoolExecutor(len(chunks)) as pool:
            results = pool.map(self._encode_chunk, chunks)
        return [ids for chunk in results for ids in chunk]

    def tokenize(self, text: str) -> list[str]:
        """Token strings of text (``'##'``-prefixed continuations)."""
        return [self.ids_to_tokens[i] for i in self.encode(text)]

    def convert_tokens_to_ids(self, tokens: str | Sequence[str]) -> int | list[int]:
        """Vocabulary ids; unknown tokens map to the unk id."""
        unk = self.vocab[self.unk_token]
        if isinstance(tokens, str):
            return self.vocab.get(tokens, unk)
        return [self.vocab.get(t, unk) for t in tokens]

    def convert_ids_to_tokens(self, ids: int | Sequence[int]) -> str | list[str]:
        """Token strings of ids; KeyError for an unknown id."""
        if isinstance(ids, int):
            return self.ids_to_tokens[ids]
        return [self.ids_to_tokens[i] for i in ids]

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = True,
               cleanup: bool = True) -> str:
        """Joins pieces back into text the way HF's WordPiece decoder does."""
        special = set(self.special_tokens)
        tokens = [self.ids_to_tokens[i] for i in ids]
        if skip_special_tokens:
            tokens = [t for t in tokens if t not in special]
        prefix = self.continuing_subword_prefix
        parts = []
        for k, t in enumerate(tokens):
            if t.startswith(prefix):
                parts.append(t[len(prefix):])
            else:
                parts.append(t if k == 0 else " " + t)
        text = "".join(parts)
        if cleanup:
            for old, new in _CLEANUP:
                text = text.replace(old, new)
        return text

    def __len__(self) -> int:
        return len(self.vocab)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        del state["_model"], state["_special_re"], state["ids_to_tokens"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__init__(state.pop("vocab"), **{k: state[k] for k in (
            "unk_token", "continuing_subword_prefix", "max_input_chars_per_word", "lowercase",
            "strip_accents", "clean_text", "handle_chinese_chars", "special_tokens")})
        for key in set(state) - set(self.__dict__):
            setattr(self, key, state[key])

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} vocab={len(self.vocab)} lowercase={self.lowercase} "
                f"strip_accents={self.strip_accents}>")


def _kwargs_from_json(spec: dict) -> dict:
    model = spec["model"]
    if model.get("type") != "WordPiece":
        raise ValueError(f"tokenizer.json model is {model.get('type')!r}, not WordPiece")
    kwargs = {"unk_token": model.get("unk_token", "[UNK]"),
              "continuing_subword_prefix": model.get("continuing_subword_prefix", "##"),
              "max_input_chars_per_word": model.get("max_input_chars_per_word", 100)}
    norm = spec.get("normalizer") or {}
    if norm.get("type") == "BertNormalizer":
        kwargs.update(lowercase=norm.get("lowercase", True),
                      strip_accents=norm.get("strip_accents"),
                      clean_text=norm.get("clean_text", True),
                      handle_chinese_chars=norm.get("handle_chinese_chars", True))
    elif norm:
        raise ValueError(f"unsupported normalizer {norm.get('type')!r} (BertNormalizer only)")
    else:
        kwargs.update(lowercase=False, strip_accents=False, clean_text=False,
                      handle_chinese_chars=False)
    kwargs["special_tokens"] = [t["content"] for t in spec.get("added_tokens", [])]
    return kwargs
