"""Padding (constant, reflect, replicate, circular): nn.functional.pad, also used by stft."""

from __future__ import annotations

from .._tensor import Tensor
from .creation import full
from .join import cat


def _edge_parts(x: Tensor, dim: int, before: int, after: int, mode: str) -> list:
    """The pieces reflect/replicate/circular padding puts before and after x along dim
    (views, flips and expands: one copy in the final cat)."""
    size = x.shape[dim]
    if mode == "reflect":
        left = x.narrow(dim, 1, before).flip(dim) if before else None
        right = x.narrow(dim, size - 1 - after, after).flip(dim) if after else None
    elif mode == "replicate":
        def edge(start, n):
            shape = list(x.shape)
            shape[dim] = n
            return x.narrow(dim, start, 1).expand(shape)
        left = edge(0, before) if before else None
        right = edge(size - 1, after) if after else None
    else:  # circular
        left = x.narrow(dim, size - before, before) if before else None
        right = x.narrow(dim, 0, after) if after else None
    return [t for t in (left, x, right) if t is not None]


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pads the last len(pad)//2 dims: pad = (left_last, right_last, left_prev, ...).

    Example:
        >>> ember.nn.functional.pad(ember.ones(1, 2), (1, 1)).tolist()
        [[0.0, 1.0, 1.0, 0.0]]
    """
    pad = list(pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           "dimension but got padding length " + str(len(pad)) +
                           " and input of dimension " + str(input.dim()))
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode != "constant" and value not in (None, 0):
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if mode != "constant" and input.dim() not in (len(pad) // 2 + 1, len(pad) // 2 + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    out = input
    for k in range(len(pad) // 2):
        dim = input.dim() - 1 - k
        before, after = pad[2 * k], pad[2 * k + 1]
        if before == 0 and after == 0:
            continue
        # negative padding crops first, in every mode (as torch: circular then wraps the
        # cropped tensor)
        if before < 0:
            out = out.narrow(dim, -before, out.shape[dim] + before)
            before = 0
        if after < 0:
            out = out.narrow(dim, 0, out.shape[dim] + after)
            after = 0
        size = out.shape[dim]
        if mode == "constant":
            parts = []
            fill = 0.0 if value is None else value
            for n in (before, None, after):
                if n is None:
                    parts.append(out)
                elif n > 0:
                    shape = list(out.shape)
                    shape[dim] = n
                    parts.append(full(shape, fill, dtype=out.dtype, device=out.device))
            out = cat(parts, dim) if len(parts) > 1 else out
            continue
        if mode == "reflect" and (before >= size or after >= size):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({before}, {after}) at "
                               f"dimension {dim} of input {list(input.shape)}")
        if mode == "circular" and (before > size or after > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if before or after:
            out = cat(_edge_parts(out, dim, before, after, mode), dim)
    return out
