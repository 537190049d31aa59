"""Byte-level BPE compatible with GPT-2 and tiktoken.

Text is split with GPT-2's pattern (C scanner), then each piece is merged with tiktoken's
rule (lowest-rank adjacent pair first, leftmost on ties) by the C merge loop over a rank
hash table. Special tokens such as ``<|endoftext|>`` follow tiktoken's
``allowed_special``/``disallowed_special`` semantics.

Example:
    >>> tok = ByteLevelBPETokenizer.from_files("vocab.json", "merges.txt")  # doctest: +SKIP
    >>> tok.encode("Hello world")  # doctest: +SKIP
    [15496, 995]
    >>> tok.decode([15496, 995])  # doctest: +SKIP
    'Hello world'
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Literal

from embertext._native import call_with_output, check, encode_many, ffi, lib
from embertext.tokenizers.byte_level import bytes_to_token_string, token_string_to_bytes

__all__ = ["ByteLevelBPETokenizer"]

AllOrSet = Literal["all"] | Collection[str]


def _disallowed_message(token: str) -> str:
    return (
        f"Encountered text corresponding to disallowed special token {token!r}.\n"
        f"If you want this text to be encoded as a special token, pass it to "
        f"`allowed_special`, e.g. `allowed_special={{{token!r}, ...}}`.\n"
        f"If you want this text to be encoded as normal text, disable the check for this "
        f"token by passing `disallowed_special=(enc.special_tokens_set - {{{token!r}}})`.\n"
        f"To disable this check for all special tokens, pass `disallowed_special=()`.\n"
    )


def _fix_surrogates(text: str) -> str:
    # Lone surrogates cannot be UTF-8 encoded; like tiktoken, pair what pairs and replace
    # the rest with U+FFFD.
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _map_chunks(run, texts: list[str], num_threads: int) -> list[list[int]]:
    """Splits texts into one chunk per thread and runs ``run(chunk)`` on a pool."""
    if num_threads <= 1 or len(texts) < 2:
        return run(texts)
    # one chunk per thread: a task per text would cost more in pool overhead than short
    # texts cost to encode
    size = -(-len(texts) // num_threads)
    chunks = [texts[i:i + size] for i in range(0, len(texts), size)]
    with ThreadPoolExecutor(len(chunks)) as pool:
        results = pool.map(run, chunks)
    return [ids for chunk in results for ids in chunk]


class ByteLevelBPETokenizer:
    """A byte-level BPE tokenizer (GPT-2, tiktoken and HF ``ByteLevelBPETokenizer`` files).

    Args:
        mergeable_ranks: token bytes -> rank; lower ranks merge first. Must contain all 256
            single bytes.
        special_tokens: special token text -> id.
        ids: token bytes -> output id when ids differ from ranks (HF files); defaults to
            the ranks (tiktoken files, GPT-2).
        name: a label for repr.

    Example:
        >>> ranks = {bytes([b]): b for b in range(256)}
        >>> ranks[b"ab"] = 256
        >>> tok = ByteLevelBPETokenizer(ranks, {"<|end|>": 257})
        >>> tok.encode("abc<|end|>", allowed_special="all")
        [256, 99, 257]
        >>> tok.decode([256, 99])
        'abc'
    """

    def __init__(self, mergeable_ranks: Mapping[bytes, int],
                 special_tokens: Mapping[str, int] | None = None, *,
                 ids: Mapping[bytes, int] | None = None, name: str = "bpe") -> None:
        self.name = name
        self._ranks = dict(mergeable_ranks)
        self._ids = dict(ids) if ids is not None else None
        self._special_tokens = dict(special_tokens or {})
        token_ids = self._ids if self._ids is not None else self._ranks
        if self._ids is not None and self._ids.keys() != self._ranks.keys():
            raise ValueError("ids must give an id to exactly the tokens of mergeable_ranks")
        missing = [b for b in range(256) if bytes([b]) not in self._ranks]
        if missing:
            raise ValueError(f"mergeable_ranks lacks single bytes {missing[:8]}...; byte-level "
                             f"BPE needs all 256 to encode any text")
        self._decoder: dict[int, bytes] = {i: t for t, i in token_ids.items()}
        if len(self._decoder) != len(token_ids):
            raise ValueError("two tokens share one id")
        for text, i in self._special_tokens.items():
            if i in self._decoder:
                raise ValueError(f"special token {text!r} reuses id {i}")
            self._decoder[i] = text.encode("utf-8")
        self._model = self._build_native(token_ids)

    def _build_native(self, token_ids: Mapping[bytes, int]):
        tokens = list(self._ranks)
        specials = [t.encode("utf-8") for t in self._special_tokens]
        blob = b"".join(tokens) + b"".join(specials)
        offsets, pos = [0], 0
        for t in tokens + specials:
            pos += len(t)
            offsets.append(pos)
        ranks = [self._ranks[t] for t in tokens] + [-1] * len(specials)
        ids = [token_ids[t] for t in tokens] + list(self._special_tokens.values())
        if max(ranks, default=0) >= 2**31 or max(ids, default=0) >= 2**31 or min(ids) < 0:
            raise ValueError("ranks and ids must lie in [0, 2**31)")
        out = ffi.new("et_bpe **")
        check(lib.et_bpe_new(blob, len(blob), ffi.new("int64_t[]", offsets),
                             ffi.new("int32_t[]", ranks), ffi.new("int32_t[]", ids),
                             len(tokens) + len(specials), out), "building the BPE model")
        return ffi.gc(out[0], lib.et_bpe_free)

    # ------------------------------------------------------------------ loading / saving
    @classmethod
    def from_tiktoken(cls, path: str | os.PathLike,
                      special_tokens: Mapping[str, int] | None = None,
                      name: str | None = None) -> ByteLevelBPETokenizer:
        """Loads a ``.tiktoken`` rank file (lines of ``base64(token) rank``).

        Example:
            >>> tok = ByteLevelBPETokenizer.from_tiktoken(
            ...     "gpt2.tiktoken", {"<|endoftext|>": 50256})  # doctest: +SKIP
        """
        ranks: dict[bytes, int] = {}
        with open(path, "rb") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    token, rank = line.split()
                    ranks[base64.b64decode(token, validate=True)] = int(rank)
                except ValueError as e:
                    raise ValueError(f"{path}:{lineno}: not a tiktoken rank line") from e
        return cls(ranks, special_tokens, name=name or os.path.basename(str(path)))

    @classmethod
    def from_files(cls, vocab_path: str | os.PathLike, merges_path: str | os.PathLike,
                   special_tokens: Mapping[str, int] | None = None) -> ByteLevelBPETokenizer:
        """Loads GPT-2/HF ``vocab.json`` + ``merges.txt``.

        Merge i gives its token rank 256 + i (the first merge wins when two produce the
        same bytes), which for GPT-2 reproduces tiktoken's ranks. Entries of vocab.json that
        are neither single bytes nor produced by a merge (GPT-2's ``<|endoftext|>``) become
        special tokens unless ``special_tokens`` is given.
        """
        with open(vocab_path, encoding="utf-8") as f:
            vocab: dict[str, int] = json.load(f)
        ranks: dict[bytes, int] = {}
        with open(merges_path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        if lines and lines[0].startswith("#version"):
            lines = lines[1:]
        for i, line in enumerate(ln for ln in lines if ln):
            parts = line.split(" ")
            if len(parts) != 2:
                raise ValueError(f"{merges_path}: merge line {line!r} is not 'left right'")
            merged = token_string_to_bytes(parts[0] + parts[1])
            ranks.setdefault(merged, 256 + i)
        ids: dict[bytes, int] = {}
        found_specials: dict[str, int] = {}
        for text, i in vocab.items():
            try:
                data = token_string_to_bytes(text)
            except ValueError:
                data = None
            if data is not None and (len(data) == 1 or data in ranks):
                ids[data] = i
            else:
                found_specials[text] = i
        for data in list(ranks):
            if data not in ids:
                raise ValueError(f"merge result {bytes_to_token_string(data)!r} is not in "
                                 f"{vocab_path}")
        for b in range(256):
            ranks.setdefault(bytes([b]), b)
        if special_tokens is None:
            special_tokens = found_specials
        return cls(ranks, special_tokens, ids=ids, name=os.path.basename(str(vocab_path)))

    def save(self, directory: str | os.PathLike, prefix: str | None = None) -> list[str]:
        """Writes ``vocab.json`` and ``merges.txt`` (GPT-2 format); returns their paths.

        The merges are recovered from the ranks: each multi-byte token is split into the
        two tokens whose merge produces it under this tokenizer's own rule.
        """
        os.makedirs(directory, exist_ok=True)
        stem = f"{prefix}-" if prefix else ""
        vocab_path = os.path.join(directory, f"{stem}vocab.json")
        merges_path = os.path.join(directory, f"{stem}merges.txt")
        token_ids = self._ids if self._ids is not None else self._ranks
        vocab = {bytes_to_token_string(t): i for t, i in token_ids.items()}
        vocab.update(self._special_tokens)
        with open(vocab_path, "w", encoding="utf-8") as f:
            json.dump(dict(sorted(vocab.items(), key=lambda kv: kv[1])), f, ensure_ascii=False)
        merged = sorted((r, t) for t, r in self._ranks.items() if len(t) > 1)
        with open(merges_path, "w", encoding="utf-8") as f:
            f.write("#version: 0.2\n")
            for _, token in merged:
                left, right = self._split_merge(token)
                f.write(f"{bytes_to_token_string(left)} {bytes_to_token_string(right)}\n")
        return [vocab_path, merges_path]

    def _split_merge(self, token: bytes) -> tuple[bytes, bytes]:
        # The last merge that builds `token` joins the two parts the merge loop yields
        # when only ranks below the token's own are available.
        rank = self._ranks[token]
        parts = [bytes([b]) for b in token]
        while len(parts) > 2:
            best = None
            for i in range(len(parts) - 1):
                r = self._ranks.get(parts[i] + parts[i + 1])
                if r is not None and r < rank and (best is None or r < best[0]):
                    best = (r, i)
            if best is None:
                break
            i = best[1]
            parts[i:i + 2] = [parts[i] + parts[i + 1]]
        if len(parts) == 2:
            return parts[0], parts[1]
        # Not buildable from lower ranks (possible in hand-made rank files): any split into
        # two known tokens keeps the merges file loadable.
        splits = [(max(self._ranks[token[:i]], self._ranks[token[i:]]), i)
                  for i in range(1, len(token))
                  if token[:i] in self._ranks and token[i:] in self._ranks]
        if not splits:
            raise ValueError(f"token {token!r} is not the concatenation of two tokens")
        i = min(splits)[1]
        return token[:i], token[i:]

    def save_tiktoken(self, path: str | os.PathLike) -> None:
        """Writes the ranks in the ``.tiktoken`` format (special tokens are not stored)."""
        with open(path, "wb") as f:
            for token, rank in sorted(self._ranks.items(), key=lambda kv: kv[1]):
                f.write(base64.b64encode(token) + b" " + str(rank).encode() + b"\n")

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int, min_frequency: int = 2,
              special_tokens: Sequence[str] = ()) -> ByteLevelBPETokenizer:
        """Learns merges from texts; see :func:`embertext.tokenizers.train_bpe`."""
        from embertext.tokenizers.bpe_trainer import train_bpe

        ranks, specials = train_bpe(texts, vocab_size, min_frequency, special_tokens)
        return cls(ranks, specials, name="trained")

    # ------------------------------------------------------------------ properties
    @property
    def n_vocab(self) -> int:
        """One past the largest id (tiktoken's definition)."""
        return max(self._decoder) + 1

    @property
    def mergeable_ranks(self) -> dict[bytes, int]:
        """Token bytes -> merge rank (a copy)."""
        return dict(self._ranks)

    @property
    def token_ids(self) -> dict[bytes, int]:
        """Token bytes -> output id for the ordinary (non-special) tokens (a copy)."""
        return dict(self._ids if self._ids is not None else self._ranks)

    @property
    def special_tokens_set(self) -> set[str]:
        return set(self._special_tokens)

    @property
    def special_tokens(self) -> dict[str, int]:
        return dict(self._special_tokens)

    @property
    def eot_token(self) -> int | None:
        """The id of ``<|endoftext|>`` when there is one."""
        return self._special_tokens.get("<|endoftext|>")

    def token_to_id(self, token: str) -> int | None:
        """Id of a token written as in vocab.json (``'Ġworld'``) or a special token."""
        if token in self._special_tokens:
            return self._special_tokens[token]
        try:
            data = token_string_to_bytes(token)
        except ValueError:
            return None
        table = self._ids if self._ids is not None else self._ranks
        return table.get(data)

    def id_to_token(self, token_id: int) -> str:
        """The vocab.json spelling of an id; KeyError if unknown."""
        data = self._decoder[token_id]
        for text, i in self._special_tokens.items():
            if i == token_id:
                return text
        return bytes_to_token_string(data)

    # ------------------------------------------------------------------ encoding
    @staticmethod
    @lru_cache(maxsize=64)
    def _special_regex(tokens: frozenset[str]) -> re.Pattern:
        return re.compile("|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True)))

    def _encode_native(self, data: bytes) -> list[int]:
        out, n = call_with_output(lib.et_bpe_encode, (self._model, data, len(data)), "int32_t",
                                  len(data), "BPE encode")
        return ffi.unpack(out, n)

    def encode_ordinary(self, text: str) -> list[int]:
        """Encodes text ignoring special tokens (their text is encoded as ordinary text)."""
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            data = _fix_surrogates(text).encode("utf-8")
        return self._encode_native(data)

    def encode(self, text: str, *, allowed_special: AllOrSet = frozenset(),
               disallowed_special: AllOrSet = "all") -> list[int]:
        """Encodes text; special tokens follow tiktoken's rules.

        Text matching a special token is an error unless the token is allowed (then it is
        encoded as the special id) or taken out of ``disallowed_special`` (then it is
        ordinary text).

        Example:
            >>> tok.encode("hi<|endoftext|>", allowed_special="all")  # doctest: +SKIP
            [5303, 50256]
        """
        allowed = self.special_tokens_set if allowed_special == "all" else set(allowed_special)
        if disallowed_special == "all":
            disallowed = self.special_tokens_set - allowed
        else:
            disallowed = set(disallowed_special)
        if disallowed:
            match = self._special_regex(frozenset(disallowed)).search(text)
            if match:
                raise ValueError(_disallowed_message(match.group()))
        allowed &= self.special_tokens_set
        if not allowed:
            return self.encode_ordinary(text)
        ids: list[int] = []
        start = 0
        for match in self._special_regex(frozenset(allowed)).finditer(text):
            ids += self.encode_ordinary(text[start:match.start()])
            ids.append(self._special_tokens[match.group()])
            start = match.end()
        ids += self.encode_ordinary(text[start:])
        return ids

    def encode_single_token(self, piece: str | bytes) -> int:
        """The id of text that is exactly one token; KeyError otherwise."""
        if isinstance(piece, str):
            if piece in self._special_tokens:
                return self._special_tokens[piece]
            piece = piece.encode("utf-8")
        table = self._ids if self._ids is not None else self._ranks
        return table[piece]

    def encode_bytes(self, data: bytes) -> list[int]:
        """Runs the merge loop on raw bytes as one piece (no pre-tokenisation)."""
        out, n = call_with_output(lib.et_bpe_encode_bytes, (self._model, data, len(data)),
                                  "int32_t", len(data), "BPE encode")
        return ffi.unpack(out, n)

    def encode_batch(self, texts: Sequence[str], *, num_threads: int = 8,
                     allowed_special: AllOrSet = frozenset(),
                     disallowed_special: AllOrSet = "all") -> list[list[int]]:
        """Encodes many texts on a thread pool (the C code runs without the GIL).

        Example:
            >>> tok.encode_batch(["hello", "world"], num_threads=2)  # doctest: +SKIP
            [[31373], [6894]]
        """
        if allowed_special == "all" or (set(allowed_special) & self.special_tokens_set):
            def run(chunk: Sequence[str]) -> list[list[int]]:
                return [self.encode(t, allowed_special=allowed_special,
                                    disallowed_special=disallowed_special) for t in chunk]
            return _map_chunks(run, list(texts), num_threads)
        texts = list(texts)
        disallowed = (self.special_tokens_set if disallowed_special == "all"
                      else set(disallowed_special))
        if disallowed:
            pattern = self._special_regex(frozenset(disallowed))
            for text in texts:
                match = pattern.search(text)
                if match:
                    raise ValueError(_disallowed_message(match.group()))
        return self.encode_ordinary_batch(texts, num_threads=num_threads)

    def encode_ordinary_batch(self, texts: Sequence[str], *,
                              num_threads: int = 8) -> list[list[int]]:
        """Like :meth:`encode_batch` without special-token handling."""
        def run(chunk: Sequence[str]) -> list[list[int]]:
            datas = []
            for t in chunk:
                try:
                    datas.append(t.encode("utf-8"))
                except UnicodeEncodeError:
                    datas.append(_fix_surrogates(t).encode("utf-8"))
            return encode_many(lib.et_bpe_encode_many, self._model, datas, "BPE encode")
        return _map_chunks(run, list(texts), num_threads)

    # ------------------------------------------------------------------ decoding
    def decode_bytes(self, tokens: Sequence[int]) -> bytes:
        """The concatenated bytes of tokens; KeyError for an unknown id."""
        tokens = list(tokens)
        try:
            ids = ffi.new("int32_t[]", tokens)
        except OverflowError:
            bad = next(t for t in tokens if not 0 <= t < 2**31)
            raise KeyError(bad) from None
        n_out = ffi.new("size_t *")
        cap = 4 * len(tokens) + 16
        for _ in range(2):
            out = ffi.new("char[]", cap)
            status = lib.et_bpe_decode(self._model, ids, len(tokens), out, cap, n_out)
            if status == lib.ET_ERR_RANGE:
                raise KeyError(tokens[n_out[0]])
            if status != lib.ET_ERR_CAPACITY:
                break
            cap = n_out[0]
        check(status, "BPE decode")
        return ffi.buffer(out, n_out[0])[:]

    def decode(self, tokens: Sequence[int], errors: str = "replace") -> str:
        """Decodes ids to text; invalid UTF-8 is replaced by default (tiktoken's rule)."""
        return self.decode_bytes(tokens).decode("utf-8", errors=errors)

    def decode_single_token_bytes(self, token: int) -> bytes:
        """The bytes of one token; KeyError if unknown."""
        return self._decoder[token]

    def decode_tokens_bytes(self, tokens: Sequence[int]) -> list[bytes]:
        """The bytes of each token."""
        return [self._decoder[t] for t in tokens]

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict:
        return {"ranks": self._ranks, "special_tokens": self._special_tokens, "ids": self._ids,
                "name": self.name}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["ranks"], state["special_tokens"], ids=state["ids"],
                      name=state["name"])

    def __repr__(self) -> str:
        return f"<ByteLevelBPETokenizer {self.name!r} n_vocab={self.n_vocab}>"
