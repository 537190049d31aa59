"""The optimizer updates that take a sparse COO gradient (nn.Embedding(sparse=True)'s):
SGD's, Adagrad's and SparseAdam's, as torch computes them. Only the rows the gradient
holds are read and written, through ember's index_select / index_add_ on row views of
the dense parameter and state tensors."""

from __future__ import annotations

import math

from .._tensor import Tensor
from ..sparse._index_math import flat_positions


def _row_positions(grad: Tensor) -> Tensor:
    """Each stored slice's row in the (positions of the sparse dims, *dense dims) view."""
    return flat_positions(grad._sparse_indices, grad._shape[:grad.sparse_dim()])


def _add_rows(target: Tensor, sparse_dim: int, rows: Tensor, values: Tensor) -> None:
    """target[rows] += values in place, target seen as (positions, *dense dims)."""
    shape = (-1,) + target._shape[sparse_dim:]
    if target.is_contiguous():
        target.detach().view(shape).index_add_(0, rows, values)
        return
    flat = target.detach().contiguous().view(shape).index_add_(0, rows, values)
    target.detach().copy_(flat.view(target._shape))


def _read_rows(source: Tensor, sparse_dim: int, rows: Tensor) -> Tensor:
    return source.detach().reshape((-1,) + source._shape[sparse_dim:]).index_select(0, rows)


def add_sparse_(param: Tensor, grad: Tensor, alpha: float) -> None:
    """param += alpha * grad for a dense param and a sparse grad (duplicates add up)."""
    _add_rows(param, grad.sparse_dim(), _row_positions(grad), grad._sparse_values * alpha)


def sgd_step(param: Tensor, grad: Tensor, state: dict, group: dict) -> None:
    """SGD on a sparse gradient; the momentum buffer is sparse too, as in torch (coalesced
    here, so that it does not grow by the gradient's nnz every step)."""
    if group["fused"]:
        raise RuntimeError("`_fused_sgd` does not support sparse gradients")
    momentum, weight_decay = group["momentum"], group["weight_decay"]
    if group["maximize"]:
        grad = -grad
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)  # torch's error: sparse + dense
    if momentum != 0:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = grad.detach().clone()
        else:
            buf = (buf * momentum).add(grad, alpha=1 - group["dampening"]).coalesce()
        state["momentum_buffer"] = buf
        grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
    add_sparse_(param, grad, -float(group["lr"]))


def adagrad_step(param: Tensor, grad: Tensor, state_sum: Tensor, clr: float,
                 group: dict) -> None:
    """Adagrad on a sparse gradient: the squared-gradient sums and the parameter change
    only at the gradient's (coalesced) rows."""
    if group["fused"]:
        raise RuntimeError("`fused` does not support sparse grad or complex param")
    if group["weight_decay"] != 0:
        raise RuntimeError("weight_decay option is not compatible with sparse gradients")
    if group["maximize"]:
        grad = -grad
    grad = grad.coalesce()  # the update is not linear in the gradient: sum duplicates first
    sparse_dim, rows, values = grad.sparse_dim(), _row_positions(grad), grad._sparse_values
    _add_rows(state_sum, sparse_dim, rows, values.pow(2))
    std = _read_rows(state_sum, sparse_dim, rows).sqrt() + group["eps"]
    _add_rows(param, sparse_dim, rows, (values / std) * -clr)


def sparse_adam_step(param: Tensor, grad: Tensor, state: dict, group: dict) -> None:
    """SparseAdam: Adam's moment and parameter updates at the gradient's rows only, with
    the bias corrections of the parameter's step count."""
    if group["maximize"]:
        grad = -grad
    grad = grad.coalesce()
    if grad._sparse_values.numel() == 0:
        return
    beta1, beta2 = group["betas"]
    step = state["step"]
    sparse_dim, rows, values = grad.sparse_dim(), _row_positions(grad), grad._sparse_values
    old_avg = _read_rows(state["exp_avg"], sparse_dim, rows)
    avg_change = (values - old_avg) * (1 - beta1)
    _add_rows(state["exp_avg"], sparse_dim, rows, avg_change)
    old_sq = _read_rows(state["exp_avg_sq"], sparse_dim, rows)
    sq_change = (values.pow(2) - old_sq) * (1 - beta2)
    _add_rows(state["exp_avg_sq"], sparse_dim, rows, sq_change)
    # the new moments at these rows, summed as the in-place adds above did
    numerator = avg_change + old_avg
    denominator = (sq_change + old_sq).sqrt() + group["eps"]
    step_size = float(group["lr"]) * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
    _add_rows(param, sparse_dim, rows, -step_size * (numerator / denominator))
