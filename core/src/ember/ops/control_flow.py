"""Structured control flow: ``cond`` and ``while_loop``, as torch's higher-order ops run
outside torch.compile.

Ember has no graph capture, so both run eagerly: cond calls one branch, while_loop
calls body_fn while cond_fn holds, and autograd records whatever ops the branches run.
They check their arguments as torch's do before it traces them (a predicate of one
element, callables, operands whose leaves are tensors, carried values that are tensors
or ints). What torch learns only by tracing both branches (that they return the same
structure, shapes and dtypes, and that no output aliases an input) is not checked.

Example:
    >>> x = ember.tensor([1., 2.])
    >>> ember.cond(x.sum() > 0, lambda t: t * 2, lambda t: -t, (x,))
    tensor([2., 4.])
    >>> ember.while_loop(lambda i, t: i < 3, lambda i, t: (i + 1, t * 2), (0, x))
    (3, tensor([ 8., 16.]))
"""

from __future__ import annotations

from typing import Any, Callable

from .._tensor import Tensor
from ..utils._pytree import tree_flatten, tree_unflatten


def cond(pred: bool | int | float | Tensor, true_fn: Callable, false_fn: Callable,
         operands: tuple | list = ()) -> Any:
    """true_fn(*operands) if pred holds, else false_fn(*operands). pred is a Python
    bool or number, or a tensor of one element; operands' leaves (through nested
    tuples, lists and dicts) must be tensors.

    Example:
        >>> ember.cond(True, lambda: ember.ones(1), lambda: ember.zeros(1))
        tensor([1.])
    """
    if isinstance(pred, (bool, int, float)):
        # a constant predicate is plain Python, as in torch
        return true_fn(*operands) if pred else false_fn(*operands)
    if not isinstance(pred, Tensor):
        raise RuntimeError(f"Expected pred to be bool or tensor, but got {pred}.")
    if pred.numel() != 1:
        raise RuntimeError(f"Expected pred to be bool or single-element tensor, but got "
                           f"{pred}.")
    if not callable(true_fn) or not callable(false_fn):
        raise RuntimeError("Expect both branches to be callable.")
    if not isinstance(operands, (tuple, list)) or not all(
            isinstance(leaf, Tensor) for leaf in tree_flatten(operands)[0]):
        raise RuntimeError(f"Expect operands to be a tuple of possibly nested dict/list/tuple "
                           f"that only consists of tensor leaves, but got {operands}.")
    return true_fn(*operands) if bool(pred) else false_fn(*operands)


def while_loop(cond_fn: Callable, body_fn: Callable, carried_inputs: tuple | list) -> Any:
    """Runs ``carried = body_fn(*carried)`` while ``cond_fn(*carried)`` holds and returns
    the last carried values. cond_fn returns a bool or a 0-d bool tensor; body_fn returns
    as many values (leaves of nested tuples, lists and dicts) as carried_inputs holds,
    each a tensor or an int (anything else raises AssertionError, as in torch).

    Example:
        >>> ember.while_loop(lambda n: n < 10, lambda n: (n * 3,), (ember.tensor(1),))
        (tensor(27),)
    """
    if not callable(cond_fn) or not callable(body_fn):
        raise RuntimeError("Expect cond_fn and body_fn to be callable.")
    if not isinstance(carried_inputs, (tuple, list)):
        raise RuntimeError(f"carried_inputs must be a tuple or list but got "
                           f"{type(carried_inputs)}")
    leaves, spec = tree_flatten(carried_inputs)
    _check_carried(leaves, carried_inputs)
    carried = tree_unflatten(leaves, spec)
    if not _holds(cond_fn(*carried)):
        # torch hands back copies: the result never aliases an input
        return tuple(tree_unflatten([x.clone() if isinstance(x, Tensor) else x
                                     for x in leaves], spec))
    while True:
        out = body_fn(*carried)
        out_leaves, out_spec = tree_flatten(out)
        if len(out_leaves) != len(leaves):
            raise RuntimeError(f"Expected body_fn_output and carried_inputs to have same number "
                               f"of outputs but got {len(out_leaves)} and {len(leaves)}")
        _check_carried(out_leaves, out)
        # body_fn's result is the next call's arguments, in carried_inputs' structure
        carried = tree_unflatten(out_leaves, spec)
        if not _holds(cond_fn(*carried)):
            return tree_unflatten(out_leaves, out_spec)


def _check_carried(leaves: list, tree) -> None:
    # torch's argument check for subgraphs raises AssertionError here
    if not all(isinstance(x, (Tensor, int)) for x in leaves):
        kinds = ", ".join(type(x).__name__ for x in leaves)
        raise AssertionError(f"{tree} can only be of (Tensor, int) but got ({kinds})")


def _holds(pred) -> bool:
    """cond_fn's answer as a bool: it must be a bool or a 0-d bool tensor."""
    if isinstance(pred, bool):
        return pred
    if isinstance(pred, Tensor) and pred.dim() == 0 and pred.dtype.name == "bool":
        return bool(pred)
    raise RuntimeError(f"cond_fn must return a boolean scalar tensor or a boolean but got "
                       f"{pred}")
