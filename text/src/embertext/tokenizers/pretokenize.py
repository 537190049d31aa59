"""GPT-2's pre-tokenisation (the regex split before BPE), run by the C scanner.

Example:
    >>> gpt2_pretokenize("Hello world's  end!")
    ['Hello', ' world', "'s", ' ', ' end', '!']
"""

from __future__ import annotations

from embertext._native import call_with_output, ffi, lib

__all__ = ["GPT2_PATTERN", "gpt2_pretokenize", "gpt2_pretokenize_bytes"]

#: The pattern the scanner implements (for tiktoken, HF tokenizers and the docs).
GPT2_PATTERN = (r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+"""
                r"""|\s+(?!\S)|\s+""")


def gpt2_pretokenize_bytes(data: bytes) -> list[bytes]:
    """Splits UTF-8 bytes into GPT-2 pieces; ValueError on invalid UTF-8."""
    ends, n = call_with_output(lib.et_gpt2_split, (data, len(data)), "int64_t", len(data) + 1,
                               "GPT-2 pre-tokenizer")
    pieces, start = [], 0
    for end in ffi.unpack(ends, n):
        pieces.append(data[start:end])
        start = end
    return pieces


def gpt2_pretokenize(text: str) -> list[str]:
    """Splits text into GPT-2 pieces exactly as GPT-2's regex does."""
    return [p.decode("utf-8") for p in gpt2_pretokenize_bytes(text.encode("utf-8"))]
