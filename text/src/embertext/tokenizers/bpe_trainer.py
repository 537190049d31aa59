"""Learning byte-level BPE merges from text.

The texts are pre-tokenized with GPT-2's pattern, equal pieces are counted once with
their frequency, and the most frequent adjacent pair is merged until the vocabulary is
full or no pair occurs ``min_frequency`` times. Ties go to the pair of smallest ids (as in
HF tokenizers' trainer), so training is deterministic. Pair counts are kept incrementally:
a merge only revisits the pieces that contain the merged pair.

Example:
    >>> ranks, specials = train_bpe(["low lower lowest"] * 10, vocab_size=260,
    ...                             special_tokens=["<|endoftext|>"])
    >>> len(ranks), specials
    (259, {'<|endoftext|>': 259})
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from embertext.tokenizers.pretokenize import gpt2_pretokenize_bytes

__all__ = ["train_bpe"]


def _pairs(word: list[int]) -> Iterable[tuple[int, int]]:
    return zip(word, word[1:])


def _merge_word(word: list[int], a: int, b: int, new: int) -> list[int]:
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
            out.append(new)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return out


def train_bpe(texts: Iterable[str], vocab_size: int, min_frequency: int = 2,
              special_tokens: Sequence[str] = ()) -> tuple[dict[bytes, int], dict[str, int]]:
    """Learns BPE ranks; returns ``(mergeable_ranks, special_tokens)``.

    Ids 0-255 are the single bytes, merges take 256 onwards in order, and special tokens
    come last, so ``vocab_size`` counts all three. A merge whose bytes already form a token
    reuses that token.
    """
    if vocab_size < 256 + len(special_tokens):
        raise ValueError(f"vocab_size must be at least 256 + {len(special_tokens)} special "
                         f"tokens, got {vocab_size}")
    if min_frequency < 1:
        raise ValueError("min_frequency must be at least 1")
    counts: Counter[bytes] = Counter()
    for text in texts:
        counts.update(gpt2_pretokenize_bytes(text.encode("utf-8")))

    tokens: list[bytes] = [bytes([b]) for b in range(256)]
    by_bytes: dict[bytes, int] = {t: i for i, t in enumerate(tokens)}
    words = [list(piece) for piece in counts]
    freqs = list(counts.values())

    pair_count: dict[tuple[int, int], int] = defaultdict(int)
    where: dict[tuple[int, int], set[int]] = defaultdict(set)
    for w, word in enumerate(words):
        for pair in _pairs(word):
            pair_count[pair] += freqs[w]
            where[pair].add(w)
    heap = [(-c, pair) for pair, c in pair_count.items()]
    heapq.heapify(heap)

    budget = vocab_size - len(special_tokens)
    while heap and len(by_bytes) < budget:
        neg, pair = heapq.heappop(heap)
        count = pair_count.get(pair, 0)
        if -neg != count:  # stale entry: re-queue with the current count
            if count > 0:
                heapq.heappush(heap, (-count, pair))
            continue
        if count < min_frequency:
            break
        a, b = pair
        merged = tokens[a] + tokens[b]
        new = by_bytes.get(merged)
        if new is None:
            new = len(tokens)
            tokens.append(merged)
            by_bytes[merged] = new
        changed: set[tuple[int, int]] = set()
        for w in sorted(where.pop(pair)):
            word = words[w]
            for p in _pairs(word):
                pair_count[p] -= freqs[w]
                where[p].discard(w)
                changed.add(p)
            word = words[w] = _merge_word(word, a, b, new)
            for p in _pairs(word):
                pair_count[p] += freqs[w]
                where[p].add(w)
                changed.add(p)
        for p in changed:
            if pair_count[p] > 0:
                heapq.heappush(heap, (-pair_count[p], p))
            else:
                pair_count.pop(p, None)
                where.pop(p, None)

    ranks = {t: i for i, t in enumerate(tokens)}
    specials = {s: len(tokens) + k for k, s in enumerate(special_tokens)}
    return ranks, specials
