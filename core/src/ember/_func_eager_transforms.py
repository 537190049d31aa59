"""The torch.func names that exist for functorch's tensor wrappers, which ember's eager
transforms do not use: ``functionalize``, ``debug_unwrap`` and
``replace_all_batch_norm_modules_``.

ember.func's transforms run the function on ordinary tensors, so there is no wrapper to
unwrap and no functional layer to route mutations through: a functionalized function is
the function itself, run as written, which gives the values and input mutations torch's
functionalize guarantees.

Example:
    >>> def f(a):
    ...     b = a + 1
    ...     b.add_(1)
    ...     return b
    >>> ember.func.functionalize(f)(ember.zeros(2))
    tensor([2., 2.])
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from ._tensor import Tensor
from .nn.modules.module import Module
from .nn.modules.normalization import _BatchNorm

_REMOVE_CHOICES = ("mutations", "mutations_and_views")


def functionalize(func: Callable[..., Any], *, remove: str = "mutations") -> Callable[..., Any]:
    """A function with func's semantics, mutations included (``remove`` is checked as
    torch checks it: "mutations" or "mutations_and_views").

    Example:
        >>> ember.func.functionalize(ember.sin, remove="mutations_and_views")(ember.zeros(1))
        tensor([0.])
    """
    if remove not in _REMOVE_CHOICES:
        raise RuntimeError(
            f"functionalize(f, remove='mutations'): received invalid argument for "
            f"remove={remove}. Valid options are:\n"
            "     remove='mutations': in-place and out= operators are replaced by their "
            "out-of-place forms.\n"
            "     remove='mutations_and_views': as 'mutations', and view operators are also "
            "replaced by copying ones ({view}_copy).\n")

    @functools.wraps(func)
    def functionalized(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return functionalized


def debug_unwrap(tensor: Tensor, *, recurse: bool = True) -> Tensor:
    """The tensor under a transform's wrapper: ember's transforms wrap nothing, so the
    tensor itself.

    Example:
        >>> x = ember.ones(2)
        >>> ember.func.debug_unwrap(x) is x
        True
    """
    return tensor


def _drop_running_stats(module: Module) -> None:
    if isinstance(module, _BatchNorm) and module.track_running_stats:
        module.running_mean = None
        module.running_var = None
        module.num_batches_tracked = None
        module.track_running_stats = False


def replace_all_batch_norm_modules_(root: Module) -> Module:
    """Makes every batch norm module of root (root included) normalize by batch statistics
    only: running_mean, running_var and num_batches_tracked become None and
    track_running_stats False. Returns root, changed in place.

    Example:
        >>> net = ember.nn.Sequential(ember.nn.Linear(3, 3), ember.nn.BatchNorm1d(3))
        >>> ember.func.replace_all_batch_norm_modules_(net)[1].running_mean is None
        True
    """
    for module in root.modules():
        _drop_running_stats(module)
    return root
