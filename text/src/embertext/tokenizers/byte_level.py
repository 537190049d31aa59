"""GPT-2's reversible byte <-> printable character mapping, used in vocab.json/merges.txt.

GPT-2 stores byte-level tokens as text by mapping each byte to one printable code point:
the printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100 onwards in
byte order. So b" world" is written "Ġworld".

Example:
    >>> bytes_to_token_string(b" world")
    'Ġworld'
    >>> token_string_to_bytes("Ġworld")
    b' world'
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["byte_to_unicode", "bytes_to_token_string", "token_string_to_bytes"]


@lru_cache(maxsize=1)
def byte_to_unicode() -> dict[int, str]:
    """The byte -> character table of GPT-2's byte-level BPE files."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1),
                 *range(ord("®"), ord("ÿ") + 1)]
    table = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


@lru_cache(maxsize=1)
def _unicode_to_byte() -> dict[str, int]:
    return {c: b for b, c in byte_to_unicode().items()}


def bytes_to_token_string(data: bytes) -> str:
    """Writes token bytes the way vocab.json and merges.txt do."""
    table = byte_to_unicode()
    return "".join(table[b] for b in data)


def token_string_to_bytes(token: str) -> bytes:
    """Reads a vocab.json/merges.txt token back to its bytes; ValueError if it is not one."""
    table = _unicode_to_byte()
    try:
        return bytes(table[c] for c in token)
    except KeyError as e:
        raise ValueError(f"{token!r} is not a byte-level token string") from e
