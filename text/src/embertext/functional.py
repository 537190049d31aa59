"""Functional forms of the text transforms (torchtext.functional).

These take the nested lists that tokenizers produce: ``List[int]``, ``List[str]``,
``List[List[int]]`` or ``List[List[str]]``, checked element by element like torchtext's
``torch.jit.isinstance``; anything else raises TypeError.

Example:
    >>> to_tensor([[1, 2, 3], [4, 5]], padding_value=0).tolist()
    [[1, 2, 3], [4, 5, 0]]
    >>> add_token([[1, 2], [3]], 0)
    [[0, 1, 2], [0, 3]]
"""

from __future__ import annotations

from typing import Any

import ember
from ember.nn.utils.rnn import pad_sequence

__all__ = ["add_token", "str_to_int", "to_tensor", "truncate"]


def _is_list_of(value: Any, kind: type) -> bool:
    # bool is an int subclass, but torchtext's List[int] excludes it
    return isinstance(value, list) and all(
        isinstance(x, kind) and not (kind is int and isinstance(x, bool)) for x in value)


def _is_nested_list_of(value: Any, kind: type) -> bool:
    return isinstance(value, list) and all(_is_list_of(x, kind) for x in value)


def to_tensor(input: Any, padding_value: int | None = None, dtype: ember.dtype = ember.long
              ) -> ember.Tensor:
    """A tensor from token ids; ragged batches are right-padded with ``padding_value``.

    Args:
        input: ``List[int]`` or ``List[List[int]]``.
        padding_value: pad id for ragged batches (None: the rows must have equal length).
        dtype: the output dtype.

    Example:
        >>> to_tensor([1, 2]).tolist()
        [1, 2]
    """
    if _is_list_of(input, int):
        return ember.tensor(input, dtype=dtype)
    if _is_nested_list_of(input, int):
        if padding_value is None:
            return ember.tensor(input, dtype=dtype)
        return pad_sequence([ember.tensor(ids, dtype=dtype) for ids in input],
                            batch_first=True, padding_value=float(padding_value))
    raise TypeError("Input type not supported")


def truncate(input: Any, max_seq_len: int) -> Any:
    """Keeps the first ``max_seq_len`` items of a sequence or of each sequence.

    Example:
        >>> truncate([[1, 2, 3], [4]], 2)
        [[1, 2], [4]]
    """
    if _is_list_of(input, int) or _is_list_of(input, str):
        return input[:max_seq_len]
    if _is_nested_list_of(input, int) or _is_nested_list_of(input, str):
        return [ids[:max_seq_len] for ids in input]
    raise TypeError("Input type not supported")


def add_token(input: Any, token_id: int | str, begin: bool = True) -> Any:
    """Adds a token (id or string, matching the input) at the start or the end.

    Example:
        >>> add_token(["a", "b"], "</s>", begin=False)
        ['a', 'b', '</s>']
    """
    for kind in (int, str):
        if not isinstance(token_id, kind) or (kind is int and isinstance(token_id, bool)):
            continue
        if _is_list_of(input, kind):
            return [token_id, *input] if begin else [*input, token_id]
        if _is_nested_list_of(input, kind):
            return [[token_id, *ids] if begin else [*ids, token_id] for ids in input]
    raise TypeError("Input type not supported")


def str_to_int(input: Any) -> Any:
    """Converts strings of digits (as GPT2BPETokenizer/BERTTokenizer emit) to ints.

    Example:
        >>> str_to_int([["1", "2"], ["3"]])
        [[1, 2], [3]]
    """
    if _is_list_of(input, str):
        return [int(x) for x in input]
    if _is_nested_list_of(input, str):
        return [[int(x) for x in ids] for ids in input]
    raise TypeError("Input type not supported")
