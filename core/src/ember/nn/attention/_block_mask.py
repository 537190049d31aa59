"""Masks for ``flex_attention``: mask_mods, the dense masks they give, and BlockMask, the
block-sparse summary of one (torch.nn.attention.flex_attention's mask half).

A mask_mod ``mask_mod(b, h, q_idx, kv_idx) -> bool`` says whether query ``q_idx`` of head
``h`` in batch ``b`` may attend to key ``kv_idx``. Ember calls it once, with index tensors
shaped to broadcast against each other ((B,1,1,1), (1,H,1,1), (1,1,L,1), (1,1,1,S)),
where torch vmaps it over scalars; elementwise code, including indexing a tensor with the
indices, behaves the same either way.

Example:
    >>> causal = create_block_mask(lambda b, h, q, kv: q >= kv, None, None, 256, 256, "cpu")
    >>> causal.kv_num_blocks.tolist(), causal.full_kv_num_blocks.tolist()
    ([[[1, 1]]], [[[0, 1]]])
"""

from __future__ import annotations

import inspect
import itertools
import math
import warnings
from collections.abc import Callable

import ember

from ... import _dtype as D
from ..._tensor import Tensor
from ...ops.pad import pad

__all__ = ["BlockMask", "create_block_mask", "create_mask", "and_masks", "or_masks",
           "noop_mask"]

_score_mod_signature = Callable[[Tensor, Tensor, Tensor, Tensor, Tensor], Tensor]
_mask_mod_signature = Callable[[Tensor, Tensor, Tensor, Tensor], Tensor]

_DEFAULT_SPARSE_BLOCK_SIZE = 128


def noop_mask(batch: Tensor, head: Tensor, token_q: Tensor, token_kv: Tensor) -> Tensor:
    """The mask_mod that masks nothing.

    Example:
        >>> noop_mask(*[ember.arange(2)] * 4)
        tensor(True)
    """
    return batch.new_ones((), dtype=D.bool_)


def _sliced_mask_mod_error(batch: Tensor, head: Tensor, token_q: Tensor,
                           token_kv: Tensor) -> Tensor:
    # a slice of a BlockMask keeps the block layout but not the meaning of the indices its
    # mask_mod would receive, so the slice carries this stand-in instead
    raise RuntimeError(
        "Cannot use mask_mod from a sliced BlockMask: slicing a BlockMask resets its "
        "mask_mod. Build the sliced mask's mask_mod from the original BlockMask's "
        "mask_mod (e.g. an offset version of base_mask.mask_mod), not from the slice's.")


def or_masks(*mask_mods: _mask_mod_signature) -> _mask_mod_signature:
    """The mask_mod that allows what any of ``mask_mods`` allows.

    Example:
        >>> either = or_masks(lambda b, h, q, kv: q == kv, lambda b, h, q, kv: kv == 0)
        >>> create_mask(either, 1, 1, 2, 2, "cpu")[0, 0].tolist()
        [[True, False], [True, True]]
    """
    if not all(callable(mod) for mod in mask_mods):
        raise RuntimeError(f"All inputs should be callable mask_mods: {mask_mods}")

    def or_mask(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
        allowed = b.new_zeros((), dtype=D.bool_)
        for mod in mask_mods:
            allowed = allowed | mod(b, h, q_idx, kv_idx)
        return allowed

    return or_mask


def and_masks(*mask_mods: _mask_mod_signature) -> _mask_mod_signature:
    """The mask_mod that allows only what all of ``mask_mods`` allow.

    Example:
        >>> both = and_masks(lambda b, h, q, kv: q >= kv, lambda b, h, q, kv: q - kv < 2)
        >>> create_mask(both, 1, 1, 3, 3, "cpu")[0, 0, 2].tolist()
        [False, True, True]
    """
    if not all(callable(mod) for mod in mask_mods):
        raise RuntimeError(f"All inputs should be callable mask_mods: {mask_mods}")

    def and_mask(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
        allowed = b.new_ones((), dtype=D.bool_)
        for mod in mask_mods:
            allowed = allowed & mod(b, h, q_idx, kv_idx)
        return allowed

    return and_mask


def _is_score_mod(fn: Callable) -> bool:
    """A score_mod takes 5 positional arguments (score first), a mask_mod 4."""
    required = [p for p in inspect.signature(fn).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                and p.default is p.empty]
    if len(required) not in (4, 5):
        raise AssertionError(f"Expected 4 or 5 positional args, got {len(required)}")
    return len(required) == 5


def _index_grid(B: int, H: int, Q_LEN: int, KV_LEN: int,
                device) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """arange(B), arange(H), arange(Q_LEN), arange(KV_LEN), each along its own one of four
    dims, so that any elementwise expression of them broadcasts to (B, H, Q_LEN, KV_LEN)."""
    sizes = (B, H, Q_LEN, KV_LEN)
    grid = []
    for dim, size in enumerate(sizes):
        shape = [1, 1, 1, 1]
        shape[dim] = size
        grid.append(ember.arange(size, device=device).reshape(shape))
    return tuple(grid)


def create_mask(mod_fn: _score_mod_signature | _mask_mod_signature, B: int | None,
                H: int | None, Q_LEN: int, KV_LEN: int, device=None) -> Tensor:
    """The dense bool mask (B, H, Q_LEN, KV_LEN) of a mask_mod, or of a score_mod (where
    it gives -inf on zero scores is masked). B or H None means 1.

    Example:
        >>> create_mask(lambda b, h, q, kv: q >= kv, None, None, 2, 2, "cpu")
        tensor([[[[ True, False],
                  [ True,  True]]]])
    """
    if device is None:
        device = ember.accelerator.current_accelerator() or "cpu"
    B = 1 if B is None else B
    H = 1 if H is None else H
    b, h, q_idx, kv_idx = _index_grid(B, H, Q_LEN, KV_LEN, device)
    if _is_score_mod(mod_fn):
        scores = mod_fn(ember.zeros(B, H, Q_LEN, KV_LEN, device=device), b, h, q_idx, kv_idx)
        allowed = ~ember.isneginf(scores)
    else:
        allowed = mod_fn(b, h, q_idx, kv_idx)
    return allowed.expand(B, H, Q_LEN, KV_LEN).contiguous()


def _dense_to_ordered(dense: Tensor) -> tuple[Tensor, Tensor]:
    """Per row of a 0/1 block matrix: how many blocks it holds, and the block columns
    present first (ascending) followed by the absent ones, both int32."""
    dense = dense.to(D.int32)
    counts = dense.sum(-1).to(D.int32)
    columns = ember.argsort(dense, dim=-1, descending=True, stable=True).to(D.int32)
    return counts, columns


def _ordered_to_dense(counts: Tensor, columns: Tensor, num_cols: int) -> Tensor:
    """The int32 0/1 block matrix whose rows hold the first ``counts`` of ``columns``."""
    slots = ember.arange(columns.shape[-1], device=columns.device)
    # a row's entries past its count are unspecified: they go to one spare column, cut off
    present = ember.where(slots < counts.unsqueeze(-1), columns, num_cols).to(D.int64)
    dense = ember.zeros(*columns.shape[:-1], num_cols + 1, dtype=D.int32,
                        device=columns.device)
    return dense.scatter(-1, present, 1)[..., :num_cols].contiguous()


def _transpose_ordered(counts: Tensor, columns: Tensor) -> tuple[Tensor, Tensor]:
    dense = _ordered_to_dense(counts, columns, columns.shape[-1])
    return _dense_to_ordered(dense.transpose(-2, -1))


def _keep_dim(i: int, size: int) -> slice:
    """The one-element slice at integer index ``i`` of a dim of ``size``."""
    start = i + size if i < 0 else i
    return slice(start, start + 1)


class BlockMask:
    """A block-sparse description of an attention mask: the (Q_BLOCK_SIZE, KV_BLOCK_SIZE)
    tiles of the (Q_LEN, KV_LEN) mask that hold any allowed pair, plus the ``mask_mod``
    that says which pairs inside them are allowed.

    Per batch and head, row ``i`` of ``kv_indices`` lists the key blocks query block
    ``i`` visits, of which the first ``kv_num_blocks[i]`` count. With full blocks kept
    apart, ``kv_*`` hold the partly masked tiles and ``full_kv_*`` those with no masked
    pair; ``q_*`` and ``full_q_*`` are the same layouts seen from the key blocks.

    Ember's ``flex_attention`` evaluates ``mask_mod`` over the whole score matrix instead
    of skipping the absent tiles (as torch's own unfused eager path does), so the block
    layout describes the mask and does not speed attention up.

    Example:
        >>> bm = create_block_mask(lambda b, h, q, kv: q >= kv, 1, 1, 4, 4, "cpu",
        ...                        BLOCK_SIZE=2)
        >>> bm.to_dense()[0, 0].tolist()
        [[1, 0], [1, 1]]
    """

    def __init__(self, seq_lengths: tuple[int, int], kv_num_blocks: Tensor,
                 kv_indices: Tensor, full_kv_num_blocks: Tensor | None,
                 full_kv_indices: Tensor | None, q_num_blocks: Tensor | None,
                 q_indices: Tensor | None, full_q_num_blocks: Tensor | None,
                 full_q_indices: Tensor | None,
                 BLOCK_SIZE: tuple[int, int] = (_DEFAULT_SPARSE_BLOCK_SIZE,
                                                _DEFAULT_SPARSE_BLOCK_SIZE),
                 mask_mod: _mask_mod_signature = noop_mask) -> None:
        if kv_indices.dim() < 2:
            raise RuntimeError("BlockMask must have at least 2 dimensions")
        if (full_kv_num_blocks is None) != (full_kv_indices is None):
            raise AssertionError("full_kv_num_blocks and full_kv_indices must be both "
                                 "provided or omitted")
        if (full_q_num_blocks is None) != (full_q_indices is None):
            raise AssertionError("full_q_num_blocks and full_q_indices must be both "
                                 "provided or omitted")
        self.seq_lengths = tuple(seq_lengths)
        self.kv_num_blocks = kv_num_blocks
        self.kv_indices = kv_indices
        self.full_kv_num_blocks = full_kv_num_blocks
        self.full_kv_indices = full_kv_indices
        self.q_num_blocks = q_num_blocks
        self.q_indices = q_indices
        self.full_q_num_blocks = full_q_num_blocks
        self.full_q_indices = full_q_indices
        self.BLOCK_SIZE = tuple(BLOCK_SIZE)
        self.mask_mod = mask_mod

    _TENSOR_ATTRS = ("kv_num_blocks", "kv_indices", "full_kv_num_blocks", "full_kv_indices",
                     "q_num_blocks", "q_indices", "full_q_num_blocks", "full_q_indices")

    @classmethod
    def from_kv_blocks(cls, kv_num_blocks: Tensor, kv_indices: Tensor,
                       full_kv_num_blocks: Tensor | None = None,
                       full_kv_indices: Tensor | None = None,
                       BLOCK_SIZE: int | tuple[int, int] = _DEFAULT_SPARSE_BLOCK_SIZE,
                       mask_mod: _mask_mod_signature | None = None,
                       seq_lengths: tuple[int, int] | None = None,
                       compute_q_blocks: bool = True) -> BlockMask:
        """A BlockMask from its key-block layout, deriving the query-block one (unless
        ``compute_q_blocks=False``); ``seq_lengths`` defaults to whole blocks.

        Example:
            >>> counts = ember.tensor([[[1, 2]]], dtype=ember.int32)
            >>> columns = ember.tensor([[[[0, 1], [0, 1]]]], dtype=ember.int32)
            >>> bm = BlockMask.from_kv_blocks(counts, columns, BLOCK_SIZE=16)
            >>> bm.shape, bm.q_num_blocks.tolist()
            ((1, 1, 32, 32), [[[2, 1]]])
        """
        if kv_indices.dim() < 2:
            raise RuntimeError("BlockMask must have at least 2 dimensions")
        if (full_kv_num_blocks is None) != (full_kv_indices is None):
            raise AssertionError("full_kv_num_blocks and full_kv_indices must be both "
                                 "provided or omitted")
        q_num_blocks = q_indices = full_q_num_blocks = full_q_indices = None
        if compute_q_blocks:
            q_num_blocks, q_indices = _transpose_ordered(kv_num_blocks, kv_indices)
            if full_kv_num_blocks is not None:
                full_q_num_blocks, full_q_indices = _transpose_ordered(full_kv_num_blocks,
                                                                       full_kv_indices)
        if isinstance(BLOCK_SIZE, int):
            BLOCK_SIZE = (BLOCK_SIZE, BLOCK_SIZE)
        if seq_lengths is None:
            seq_lengths = (kv_indices.shape[-2] * BLOCK_SIZE[0],
                           kv_indices.shape[-1] * BLOCK_SIZE[1])
        return cls(seq_lengths, kv_num_blocks, kv_indices, full_kv_num_blocks,
                   full_kv_indices, q_num_blocks, q_indices, full_q_num_blocks,
                   full_q_indices, BLOCK_SIZE=BLOCK_SIZE,
                   mask_mod=noop_mask if mask_mod is None else mask_mod)

    @property
    def shape(self) -> tuple[int, ...]:
        """(*batch dims, Q_LEN, KV_LEN)."""
        return tuple(self.kv_indices.shape[:-2]) + self.seq_lengths

    def numel(self) -> int:
        """The number of (query, key) pairs the mask covers, masked or not."""
        return math.prod(self.shape)

    def sparsity(self) -> float:
        """The percentage of the mask lying in absent blocks.

        Example:
            >>> create_block_mask(noop_mask, 1, 1, 64, 64, "cpu", BLOCK_SIZE=32).sparsity()
            0.0
        """
        blocks = self.kv_num_blocks.sum().item()
        if self.full_kv_num_blocks is not None:
            blocks += self.full_kv_num_blocks.sum().item()
        covered = blocks * self.BLOCK_SIZE[0] * self.BLOCK_SIZE[1]
        return 100 * (1 - covered / self.numel())

    def to_dense(self) -> Tensor:
        """The int32 0/1 matrix (*batch dims, query blocks, key blocks) of present blocks.

        Example:
            >>> create_block_mask(noop_mask, 1, 1, 3, 3, "cpu", BLOCK_SIZE=2).to_dense().tolist()
            [[[[1, 1], [1, 1]]]]
        """
        dense = _ordered_to_dense(self.kv_num_blocks, self.kv_indices,
                                  self.kv_indices.shape[-1])
        if self.full_kv_num_blocks is not None:
            dense = dense | _ordered_to_dense(self.full_kv_num_blocks, self.full_kv_indices,
                                              self.full_kv_indices.shape[-1])
        return dense

    def to_string(self, grid_size: int | tuple[int, int] = (20, 20), limit: int = 4) -> str:
        """A picture of the block layout per batch and head (at most ``limit`` of them),
        each cell summarizing a patch of blocks: full, empty or partly present. A
        ``grid_size`` of -1 draws one cell per block.

        Example:
            >>> causal = create_block_mask(lambda b, h, q, kv: q >= kv, 1, 1, 4, 4, "cpu",
            ...                            BLOCK_SIZE=2)
            >>> causal.to_string().splitlines()
            ['(0, 0)', '██  ', '████']
        """
        dense = self.to_dense()
        *batch_dims, rows, cols = dense.shape
        if grid_size == -1:
            max_rows, max_cols = rows, cols
        elif isinstance(grid_size, int):
            max_rows = max_cols = grid_size
        else:
            max_rows, max_cols = grid_size
        row_step = max(1, -(-rows // max_rows))
        col_step = max(1, -(-cols // max_cols))
        pictures = []
        for n, index in enumerate(itertools.product(*(range(d) for d in batch_dims))):
            if n == limit:
                pictures += ["...", "To print out more, set BlockMask.to_string(limit=N)",
                             "You can also index (BlockMask[batch, head]) to choose a "
                             "specific batch or head"]
                break
            blocks = dense[index]
            lines = [f"{index}"]
            for r in range(0, rows, row_step):
                line = ""
                for c in range(0, cols, col_step):
                    share = blocks[r:r + row_step, c:c + col_step].float().mean().item()
                    line += ("█" if share == 1 else " " if share == 0 else "░") * 2
                lines.append(line)
            pictures.append("\n".join(lines) + "\n")
        return "\n".join(pictures)

    def __str__(self) -> str:
        return (f"BlockMask(shape={self.shape}, sparsity={self.sparsity():.2f}%, \n"
                f"{self.to_string().strip()}\n)")

    def __repr__(self) -> str:
        def shape_of(name: str):
            value = getattr(self, name)
            return None if value is None else value.shape

        fields = [f"    {name}={shape_of(name)}," for name in self._TENSOR_ATTRS]
        mod_name = getattr(self.mask_mod, "__name__", self.mask_mod)
        fields += [f"    BLOCK_SIZE={self.BLOCK_SIZE},", f"    shape={self.shape},",
                   f"    sparsity={self.sparsity():.2f}%,", f"    mask_mod={mod_name}"]
        return "BlockMask(\n" + "\n".join(fields) + "\n)"

    def __getitem__(self, index) -> BlockMask:
        """The mask of some batches, heads and query blocks. An integer index keeps its
        dim (with size 1), as torch's does. The slice's ``mask_mod`` raises when called,
        since its indices no longer line up with the original's.

        Example:
            >>> bm = create_block_mask(noop_mask, 2, 3, 8, 8, "cpu", BLOCK_SIZE=4)
            >>> bm[1].kv_num_blocks.shape, bm[0:2, 1].kv_indices.shape
            (ember.Size([1, 3, 2]), ember.Size([2, 1, 2, 2]))
        """
        index = index if isinstance(index, tuple) else (index,)
        padded = (*index, slice(None), slice(None), slice(None))[:3]
        sizes = self.kv_num_blocks.shape[:3]
        index = tuple(_keep_dim(i, n) if isinstance(i, int) else i
                      for i, n in zip(padded, sizes))
        full = self.full_kv_num_blocks is not None
        return BlockMask.from_kv_blocks(
            self.kv_num_blocks[index], self.kv_indices[index],
            self.full_kv_num_blocks[index] if full else None,
            self.full_kv_indices[index] if full else None,
            BLOCK_SIZE=self.BLOCK_SIZE, mask_mod=_sliced_mask_mod_error,
            seq_lengths=self.seq_lengths, compute_q_blocks=self.q_indices is not None)

    def _adjust(self, new_q_len: int, new_kv_len: int) -> BlockMask:
        """This mask cropped to its top-left (new_q_len, new_kv_len) corner (right for
        masks whose pattern does not depend on the lengths, such as causal)."""
        rows = -(-new_q_len // self.BLOCK_SIZE[0])
        cols = -(-new_kv_len // self.BLOCK_SIZE[1])

        def crop(counts: Tensor | None, columns: Tensor | None):
            if counts is None:
                return None, None
            columns = columns[..., :rows, :cols]
            counts = counts[..., :rows].clamp(max=cols)
            # only the listed blocks left of the cut still count
            counts = (columns < counts.unsqueeze(-1)).sum(-1).to(D.int32)
            return counts, columns

        return self.from_kv_blocks(
            *crop(self.kv_num_blocks, self.kv_indices),
            *crop(self.full_kv_num_blocks, self.full_kv_indices),
            BLOCK_SIZE=self.BLOCK_SIZE, mask_mod=self.mask_mod,
            seq_lengths=(new_q_len, new_kv_len), compute_q_blocks=self.q_indices is not None)

    def to(self, device) -> BlockMask:
        """A BlockMask with its tensors on ``device``.

        Example:
            >>> create_block_mask(noop_mask, 1, 1, 4, 4, "cpu").to("cpu").kv_indices.device
            device(type='cpu')
        """
        moved = {name: None if getattr(self, name) is None else getattr(self, name).to(device)
                 for name in self._TENSOR_ATTRS}
        return BlockMask(self.seq_lengths, **moved, BLOCK_SIZE=self.BLOCK_SIZE,
                         mask_mod=self.mask_mod)


def _mask_to_blocks(mask: Tensor, Q_BLOCK_SIZE: int, KV_BLOCK_SIZE: int,
                    separate_full_blocks: bool) -> tuple[Tensor, Tensor | None]:
    """0/1 (B, H, query blocks, key blocks) matrices of the partly allowed tiles of a dense
    bool mask, and of the wholly allowed ones (None: counted among the partial ones)."""
    B, H, Q_LEN, KV_LEN = mask.shape
    # padding counts as masked, so a ragged last tile is never a full one
    mask = pad(mask, (0, -KV_LEN % KV_BLOCK_SIZE, 0, -Q_LEN % Q_BLOCK_SIZE))
    rows, cols = mask.shape[-2] // Q_BLOCK_SIZE, mask.shape[-1] // KV_BLOCK_SIZE
    allowed_per_tile = mask.reshape(B, H, rows, Q_BLOCK_SIZE, cols, KV_BLOCK_SIZE).sum(
        dim=[-3, -1])
    if not separate_full_blocks:
        return (allowed_per_tile > 0).to(D.int8), None
    tile_size = Q_BLOCK_SIZE * KV_BLOCK_SIZE
    partial = (allowed_per_tile > 0) & (allowed_per_tile < tile_size)
    return partial.to(D.int8), (allowed_per_tile == tile_size).to(D.int8)


def create_block_mask(mask_mod: _mask_mod_signature, B: int | None, H: int | None,
                      Q_LEN: int, KV_LEN: int, device=None,
                      BLOCK_SIZE: int | tuple[int, int] = _DEFAULT_SPARSE_BLOCK_SIZE,
                      _compile: bool = False,
                      separate_full_blocks: bool = True) -> BlockMask:
    """The BlockMask of ``mask_mod`` (True = may attend) for Q_LEN queries and KV_LEN
    keys, with B batches and H heads (None: one, shared by all). ``BLOCK_SIZE`` is an int
    or (Q_BLOCK_SIZE, KV_BLOCK_SIZE); with ``separate_full_blocks`` the tiles with no
    masked pair go to ``full_kv_*``.

    Example:
        >>> def sliding_window(b, h, q_idx, kv_idx):
        ...     return (q_idx - kv_idx).abs() <= 64
        >>> bm = create_block_mask(sliding_window, None, None, 512, 512, "cpu")
        >>> bm.shape, round(bm.sparsity(), 2)
        ((1, 1, 512, 512), 37.5)
    """
    if device is None:
        device = ember.accelerator.current_accelerator() or "cpu"
    if _is_score_mod(mask_mod):
        raise AssertionError(f"create-block_mask requires a mask_mod function! Got {mask_mod}")
    if _compile:
        # torch compiled the mask building here; ember has no compiler, so the flag only warns
        warnings.warn("_compile flag on create_block_mask is deprecated: it has no effect "
                      "and will be removed in the future.", DeprecationWarning, stacklevel=2)
    q_block, kv_block = (BLOCK_SIZE, BLOCK_SIZE) if isinstance(BLOCK_SIZE, int) else BLOCK_SIZE
    mask = create_mask(mask_mod, B, H, Q_LEN, KV_LEN, device)
    partial, full = _mask_to_blocks(mask, q_block, kv_block, separate_full_blocks)
    full_layout = (None, None) if full is None else _dense_to_ordered(full)
    return BlockMask.from_kv_blocks(*_dense_to_ordered(partial), *full_layout,
                                    BLOCK_SIZE=(q_block, kv_block), mask_mod=mask_mod,
                                    seq_lengths=(Q_LEN, KV_LEN))
