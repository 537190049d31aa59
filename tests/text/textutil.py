"""Helpers for ember-text tests: paths to the real tokenizer files (skipped when absent),
writers of small fixtures in the real on-disk formats, and slow obviously-correct Python
versions of the algorithms the C code implements."""

from __future__ import annotations

import json
import pathlib
import unicodedata

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SHARED_TEXT = REPO.parent / "shared" / "data" / "text"


def shared_file(*parts: str) -> pathlib.Path:
    """A file under ../shared/data/text, or a skip when this checkout has none."""
    path = SHARED_TEXT.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path}")
    return path


def gpt2_byte_map() -> dict[int, str]:
    """GPT-2's bytes_to_unicode table, written independently of the code under test."""
    keep = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    chars = list(keep)
    n = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(keep, chars)}


def write_bpe_files(directory: pathlib.Path, merges: list[tuple[bytes, bytes]],
                    specials: tuple[str, ...] = ("<|endoftext|>",)) -> tuple[str, str]:
    """vocab.json + merges.txt in GPT-2's format: bytes first (in GPT-2's id order),
    then one token per merge, then special tokens."""
    bmap = gpt2_byte_map()
    vocab = {bmap[b]: i for i, b in enumerate(bmap)}
    for a, b in merges:
        vocab.setdefault("".join(bmap[x] for x in a + b), len(vocab))
    for s in specials:
        vocab[s] = len(vocab)
    vocab_path = directory / "vocab.json"
    merges_path = directory / "merges.txt"
    vocab_path.write_text(json.dumps(vocab), encoding="utf-8")
    lines = ["#version: 0.2"] + ["".join(bmap[x] for x in a) + " " + "".join(bmap[x] for x in b)
                                 for a, b in merges]
    merges_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(vocab_path), str(merges_path)



SMALL_MERGES = [(b" ", b"t"), (b"h", b"e"), (b" t", b"he"), (b"i", b"n"), (b" ", b"a"),
                (b"e", b"r"), (b"o", b"n"), (b" a", b"n"), (b" an", b"d"), (b"l", b"l"),
                (b"e", b"l"), (b"h", b"el"), (b"hel", b"l"), (b"hell", b"o"), (b" ", b"hello"),
                (b" ", b"w"),
                (b"o", b"r"), (b" w", b"or"), (b"l", b"d"), (b" wor", b"ld"), (b"a", b"a"),
                (b"aa", b"aa")]

WHITE_SPACE = {*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028,
               0x2029, 0x202F, 0x205F, 0x3000}


def is_letter(c: str) -> bool:
    return unicodedata.category(c).startswith("L")


def is_number(c: str) -> bool:
    return unicodedata.category(c).startswith("N")


def is_space(c: str) -> bool:
    return ord(c) in WHITE_SPACE


def gpt2_split(text: str) -> list[str]:
    """GPT-2's regex, alternative by alternative, with the regex engine's backtracking
    spelled out."""
    out, i, n = [], 0, len(text)

    def run(j, pred):
        while j < n and pred(text[j]):
            j += 1
        return j

    other = lambda c: not (is_letter(c) or is_number(c) or is_space(c))  # noqa: E731
    while i < n:
        end = None
        for suffix in ("s", "t", "re", "ve", "m", "ll", "d"):
            if text.startswith("'" + suffix, i):
                end = i + 1 + len(suffix)
                break
        if end is None:
            for pred in (is_letter, is_number, other):
                j = i + 1 if text[i] == " " and i + 1 < n and pred(text[i + 1]) else i
                if j < n and pred(text[j]):
                    end = run(j, pred)
                    break
        if end is None:
            k = run(i, is_space)
            if k == n:
                end = k
            elif k - i >= 2:
                end = k - 1
            else:
                end = k
        out.append(text[i:end])
        i = end
    return out


def bpe_merge(piece: bytes, ranks: dict[bytes, int]) -> list[bytes]:
    """tiktoken's merge rule: repeatedly merge the lowest-rank adjacent pair, leftmost first."""
    parts = [bytes([b]) for b in piece]
    while True:
        best = None
        for i in range(len(parts) - 1):
            r = ranks.get(parts[i] + parts[i + 1])
            if r is not None and (best is None or r < best[0]):
                best = (r, i)
        if best is None:
            return parts
        i = best[1]
        parts[i:i + 2] = [parts[i] + parts[i + 1]]


def bpe_encode(text: str, ranks: dict[bytes, int]) -> list[int]:
    ids = []
    for piece in gpt2_split(text):
        data = piece.encode("utf-8")
        if data in ranks:
            ids.append(ranks[data])
        else:
            ids.extend(ranks[p] for p in bpe_merge(data, ranks))
    return ids
