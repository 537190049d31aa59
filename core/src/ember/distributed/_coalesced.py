"""Collectives over several tensors at once (one message for all of them), and the
``*_single`` spellings of the one-tensor gather / reduce-scatter."""

from __future__ import annotations

import warnings

import ember

from .distributed_c10d import (ReduceOp, _check, _resolve, all_gather_into_tensor,
                               all_reduce, reduce_scatter_tensor)


def _deprecated(name: str) -> None:
    warnings.warn(f"`ember.distributed.{name}` will be deprecated (as torch's is); prefer "
                  "one collective per tensor or a flattened buffer", FutureWarning,
                  stacklevel=3)


def _same_dtype(tensors: list, name: str) -> None:
    for t in tensors:
        _check(t, name)
    if len({t.dtype for t in tensors}) > 1:
        raise ValueError(f"All tensors in {name} must have the same dtype, got "
                         f"{sorted({str(t.dtype) for t in tensors})}")


def _flat(tensors: list):
    return ember.cat([t.detach().reshape(-1) for t in tensors])


def _unflatten_into(flat, tensors: list) -> None:
    at = 0
    for t in tensors:
        n = t.numel()
        t.detach().copy_(flat[at:at + n].view(t.shape))
        at += n


def _finished(work, finish, outputs: list, async_op: bool):
    """None once finish ran (sync), or, as torch's async coalesced collectives return, a
    future completed with outputs after the work and finish."""
    if not async_op:
        finish()
        return None

    def complete(_):
        finish()
        return outputs

    return work.get_future().then(complete)


def all_reduce_coalesced(tensors: list, op: ReduceOp = ReduceOp.SUM, group=None,
                         async_op: bool = False):
    """all_reduce of every tensor in the list, sent as one flattened message.

    Example:
        >>> dist.all_reduce_coalesced([weight_grad, bias_grad])
    """
    _deprecated("all_reduce_coalesced")
    tensors = [tensors] if isinstance(tensors, ember.Tensor) else list(tensors)
    _same_dtype(tensors, "tensors")
    if _resolve(group) is None or not tensors:
        return None
    flat = _flat(tensors)
    work = all_reduce(flat, op=op, group=group, async_op=async_op)
    return _finished(work, lambda: _unflatten_into(flat, tensors), tensors, async_op)


def all_gather_coalesced(output_tensor_lists: list, input_tensor_list: list, group=None,
                         async_op: bool = False):
    """output_tensor_lists[r][i] receives rank r's input_tensor_list[i], on every rank.

    Example:
        >>> outs = [[ember.empty(2), ember.empty(3)] for _ in range(world)]
        >>> dist.all_gather_coalesced(outs, [a2, b3])
    """
    _deprecated("all_gather_coalesced")
    _same_dtype(input_tensor_list, "input_tensor_list")
    if not isinstance(output_tensor_lists, list):
        raise TypeError("Invalid function argument: output_tensor_lists should be a list")
    pg = _resolve(group)
    if pg is None:
        return None
    if len(output_tensor_lists) != pg.size():
        raise ValueError(f"output_tensor_lists must hold one list per rank ({pg.size()}), "
                         f"got {len(output_tensor_lists)}")
    for outputs in output_tensor_lists:
        _same_dtype(outputs, "output_tensor_lists")
        if [t.numel() for t in outputs] != [t.numel() for t in input_tensor_list]:
            raise ValueError("each list of output_tensor_lists must match input_tensor_list's "
                             "sizes")
    flat = _flat(input_tensor_list)
    gathered = ember.empty(flat.numel() * pg.size(), dtype=flat.dtype, device=flat.device)
    work = all_gather_into_tensor(gathered, flat, group=group, async_op=async_op)

    def finish():
        for r, outputs in enumerate(output_tensor_lists):
            _unflatten_into(gathered[r * flat.numel():(r + 1) * flat.numel()], outputs)

    return _finished(work, finish, [t for outputs in output_tensor_lists for t in outputs],
                     async_op)


def all_gather_single(output_tensor, input_tensor, group=None, async_op: bool = False):
    """all_gather_into_tensor under its other torch name.

    Example:
        >>> out = ember.empty(world * 2)
        >>> dist.all_gather_single(out, ember.tensor([1., 2.]))
    """
    return all_gather_into_tensor(output_tensor, input_tensor, group=group, async_op=async_op)


def reduce_scatter_single(output, input, op: ReduceOp = ReduceOp.SUM, group=None,
                          async_op: bool = False):
    """reduce_scatter_tensor under its other torch name.

    Example:
        >>> out = ember.empty(2)
        >>> dist.reduce_scatter_single(out, ember.arange(world * 2.))
    """
    return reduce_scatter_tensor(output, input, op=op, group=group, async_op=async_op)
