"""Sequence helpers: pad_sequence, and PackedSequence with its pack/pad functions.

A PackedSequence holds the time steps of a batch of sorted (longest first) sequences
back to back: ``data`` is (sum of lengths, *), ``batch_sizes[t]`` says how many
sequences are still running at step t. Packing and unpacking are each a single
``index_select`` (the index is integer bookkeeping done once in NumPy), so gradients
flow through them like through any other op.

Example:
    >>> from ember.nn.utils.rnn import pad_sequence, pack_sequence, pad_packed_sequence
    >>> pad_sequence([ember.ones(2), ember.ones(3)], batch_first=True).tolist()
    [[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]]
    >>> packed = pack_sequence([ember.tensor([1., 2., 3.]), ember.tensor([4.])])
    >>> packed.data.tolist(), packed.batch_sizes.tolist()
    ([1.0, 4.0, 2.0, 3.0], [2, 1, 1])
    >>> pad_packed_sequence(packed, batch_first=True)[0].tolist()
    [[1.0, 2.0, 3.0], [4.0, 0.0, 0.0]]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

import ember

from ..._tensor import Tensor


def pad_sequence(sequences: list[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stacks variable-length sequences (L_i, *) into (B, L_max, *) (or (L_max, B, *))."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    max_len = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        n = max_len - s.shape[0]
        if n:
            fill = ember.full((n,) + tuple(s.shape[1:]), padding_value, dtype=s.dtype)
            s = ember.cat([s, fill] if padding_side == "right" else [fill, s], 0)
        padded.append(s)
    out = ember.stack(padded, 0)
    return out if batch_first else out.transpose(0, 1)


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor,
                   batch_first: bool = False) -> list[Tensor]:
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, lengths)]


class PackedSequence(NamedTuple):
    """Output of pack_padded_sequence / pack_sequence (see the module docstring).

    sorted_indices maps sorted position -> original batch index; unsorted_indices is its
    inverse (both None when the input was already sorted with enforce_sorted=True).
    """

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args, **kwargs) -> PackedSequence:
        return self._replace(data=self.data.to(*args, **kwargs))

    def float(self) -> PackedSequence:
        return self._replace(data=self.data.float())

    def double(self) -> PackedSequence:
        return self._replace(data=self.data.double())

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a 1-D permutation of ``0..n-1``: ``out[permutation[i]] = i`` (None
    passes through, as for a PackedSequence that was never sorted).

    Example:
        >>> invert_permutation(ember.tensor([2, 0, 1]))
        tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    positions = ember.arange(permutation.numel(), dtype=permutation.dtype,
                             device=permutation.device)
    return ember.empty_like(permutation).scatter_(0, permutation, positions)


def _lengths_array(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        return lengths.detach().cpu().numpy().astype(np.int64).reshape(-1)
    return np.asarray(list(lengths), dtype=np.int64).reshape(-1)


def _packed_index(lengths_sorted: np.ndarray, batch: int) -> np.ndarray:
    """Rows of the flattened (T * B) time-major tensor, in packed order."""
    steps = int(lengths_sorted[0])
    running = lengths_sorted[None, :] > np.arange(steps)[:, None]  # (T, B)
    return np.flatnonzero(running.reshape(-1)).astype(np.int64)


def _batch_sizes(lengths_sorted: np.ndarray) -> np.ndarray:
    steps = int(lengths_sorted[0])
    return (lengths_sorted[None, :] > np.arange(steps)[:, None]).sum(1).astype(np.int64)


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Packs a padded batch (T, B, *) (or (B, T, *)) of sequences with the given lengths.

    Example:
        >>> x = ember.tensor([[1., 2.], [3., 0.]])
        >>> pack_padded_sequence(x, [2, 1], batch_first=True).data.tolist()
        [1.0, 3.0, 2.0]
    """
    lens = _lengths_array(lengths)
    batch_dim = 0 if batch_first else 1
    if lens.size != input.shape[batch_dim]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lens.size} (batch_size={input.shape[batch_dim]})")
    if enforce_sorted:
        if np.any(lens[:-1] < lens[1:]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` "
                               "to pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        order = None
    else:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
    if lens.size and lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    steps = input.shape[0 if not batch_first else 1]
    if lens[0] > steps:
        raise RuntimeError(f"Expected sequence length to be at most {steps}, but got "
                           f"{int(lens[0])}")
    x = input.transpose(0, 1) if batch_first else input
    sorted_indices = unsorted_indices = None
    if order is not None:
        sorted_indices = ember.tensor(order, device=input.device)
        unsorted_indices = invert_permutation(sorted_indices)
        x = x.index_select(1, sorted_indices)
    batch = lens.size
    flat = x[:int(lens[0])].reshape((int(lens[0]) * batch,) + tuple(x.shape[2:]))
    data = flat.index_select(0, ember.tensor(_packed_index(lens, batch)))
    # batch_sizes and lengths stay on the CPU whatever the data's device, as in torch
    return PackedSequence(data, ember.tensor(_batch_sizes(lens), device="cpu"), sorted_indices,
                          unsorted_indices)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Inverse of pack_padded_sequence: (padded, lengths), batch in the original order.

    Example:
        >>> p = pack_sequence([ember.tensor([1., 2.]), ember.tensor([3.])])
        >>> pad_packed_sequence(p)[1].tolist()
        [2, 1]
    """
    data, batch_sizes = sequence.data, sequence.batch_sizes
    sizes = _lengths_array(batch_sizes)
    steps, batch = sizes.size, int(sizes[0])
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {steps}")
        steps_out = total_length
    else:
        steps_out = steps
    running = np.arange(batch)[None, :] < sizes[:, None]  # (T, B) in sorted order
    lens = running.sum(0).astype(np.int64)
    # every padded slot reads row data.shape[0]: one extra row holding padding_value
    index = np.full((steps_out, batch), data.shape[0], dtype=np.int64)
    index[:steps][running] = np.arange(int(sizes.sum()))
    pad_row = ember.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype,
                         device=data.device)
    rows = ember.cat([data, pad_row], 0).index_select(0, ember.tensor(index.reshape(-1)))
    padded = rows.reshape((steps_out, batch) + tuple(data.shape[1:]))
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lens = lens[_lengths_array(sequence.unsorted_indices)]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, ember.tensor(lens, device="cpu")


def pack_sequence(sequences: list[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Packs a list of (L_i, *) tensors (sorted longest first unless enforce_sorted=False)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """Inverse of pack_sequence: the list of (L_i, *) tensors in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
