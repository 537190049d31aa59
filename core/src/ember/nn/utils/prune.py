"""Pruning of module parameters by masks, with the mechanics of torch.nn.utils.prune.

Pruning parameter ``name`` of a module moves it to a Parameter ``name + "_orig"``,
registers a buffer ``name + "_mask"`` and installs a forward pre-hook (the pruning
method itself) that recomputes the plain attribute ``name`` as ``orig * mask`` before
every forward. Pruning the same parameter again composes the methods through a
:class:`PruningContainer`: each new method acts only on the entries (or channels) that
are still unpruned. :func:`remove` makes the pruning permanent.

Example:
    >>> m = ember.nn.Linear(4, 3)
    >>> prune.l1_unstructured(m, "weight", amount=0.5)
    >>> sorted(k for k in m.state_dict())
    ['bias', 'weight_mask', 'weight_orig']
    >>> int((m.weight == 0).sum())
    6
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

import ember

from ..._tensor import Tensor
from ..modules.module import Module

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
           "L1Unstructured", "RandomStructured", "LnStructured", "CustomFromMask", "identity",
           "random_unstructured", "l1_unstructured", "random_structured", "ln_structured",
           "global_unstructured", "custom_from_mask", "remove", "is_pruned"]


class BasePruningMethod(ABC):
    """Base of pruning methods: a subclass defines ``compute_mask``.

    An instance is also the forward pre-hook that recomputes the pruned attribute from
    ``name + "_orig"`` and ``name + "_mask"`` before each forward.

    Example:
        >>> class EveryOther(prune.BasePruningMethod):
        ...     PRUNING_TYPE = "unstructured"
        ...     def compute_mask(self, t, default_mask):
        ...         mask = default_mask.clone()
        ...         mask.view(-1)[::2] = 0
        ...         return mask
        >>> EveryOther.apply(ember.nn.Linear(3, 2), "weight")
    """

    _tensor_name: str
    PRUNING_TYPE: str

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The mask for ``t``: ``default_mask`` with this method's pruning applied on top."""

    def apply_mask(self, module: Module) -> Tensor:
        """``name + "_orig"`` times ``name + "_mask"`` of ``module`` (the pruned tensor)."""
        assert getattr(self, "_tensor_name", None) is not None, \
            f"Module {module} has to be pruned"
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module: Module, name: str, *args: Any, importance_scores: Tensor | None = None,
              **kwargs: Any) -> BasePruningMethod:
        """Prunes parameter ``name`` of ``module`` with ``cls(*args, **kwargs)``, composed
        with any pruning already on it; returns the method installed as the hook."""
        method = _composite_method(cls, module, name, *args, **kwargs)
        orig = getattr(module, name)
        if importance_scores is not None:
            assert importance_scores.shape == orig.shape, \
                f"importance_scores should have the same shape as parameter {name} of {module}"
        else:
            importance_scores = orig
        if not isinstance(method, PruningContainer):
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = ember.ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone(
                memory_format=ember.contiguous_format)
        try:
            mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if not isinstance(method, PruningContainer):
                orig = getattr(module, name + "_orig")
                module.register_parameter(name, orig)
                del module._parameters[name + "_orig"]
            raise
        return method

    def prune(self, t: Tensor, default_mask: Tensor | None = None,
              importance_scores: Tensor | None = None) -> Tensor:
        """``t`` times the mask this method computes for it (a new tensor; nothing is
        attached to any module)."""
        if importance_scores is not None:
            assert importance_scores.shape == t.shape, \
                "importance_scores should have the same shape as tensor t"
        else:
            importance_scores = t
        default_mask = default_mask if default_mask is not None else ember.ones_like(t)
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module: Module) -> None:
        """Makes the pruning permanent: ``name`` becomes a Parameter holding the pruned
        values, and ``name + "_orig"`` and ``name + "_mask"`` are dropped."""
        assert getattr(self, "_tensor_name", None) is not None, \
            f"Module {module} has to be pruned before pruning can be removed"
        name = self._tensor_name
        weight = self.apply_mask(module)
        if hasattr(module, name):
            delattr(module, name)
        orig = module._parameters[name + "_orig"]
        orig.data = weight.data
        del module._parameters[name + "_orig"]
        del module._buffers[name + "_mask"]
        setattr(module, name, orig)


def _composite_method(cls, module, name, *args, **kwargs):
    """cls(*args, **kwargs) for parameter name, merged with the pruning hook already on it
    (which is taken off the module: the caller installs the result)."""
    old, keys = None, []
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            old = hook
            keys.append(k)
    assert len(keys) <= 1, (f"Avoid adding multiple pruning hooks to the same tensor {name} of "
                            f"module {module}. Use a PruningContainer.")
    for k in keys:
        del module._forward_pre_hooks[k]
    method = cls(*args, **kwargs)
    method._tensor_name = name
    if old is not None:
        if isinstance(old, PruningContainer):
            old.add_pruning_method(method)
            method = old
        else:
            container = PruningContainer(old)
            container.add_pruning_method(method)
            method = container
    return method


class PruningContainer(BasePruningMethod):
    """A sequence of pruning methods on one parameter, applied one after another: its
    mask is the last method's, computed only over what the earlier ones left.

    Example:
        >>> m = ember.nn.Linear(4, 4)
        >>> prune.l1_unstructured(m, "weight", amount=4)
        >>> prune.random_unstructured(m, "weight", amount=4)  # 4 more, among the unpruned
        >>> type(m._forward_pre_hooks[next(iter(m._forward_pre_hooks))]).__name__
        'PruningContainer'
    """

    def __init__(self, *args: BasePruningMethod):
        self._pruning_methods: tuple = ()
        if not isinstance(args, Iterable):
            self._tensor_name = args._tensor_name
            self.add_pruning_method(args)
        elif len(args) == 1:
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:
            for method in args:
                self.add_pruning_method(method)

    def add_pruning_method(self, method: BasePruningMethod | None) -> None:
        """Appends ``method``, which must prune the same parameter as this container."""
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError("Can only add pruning methods acting on the parameter named "
                             f"'{self._tensor_name}' to PruningContainer {self}. Found "
                             f"'{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The last method's mask, computed on the part of ``t`` that ``default_mask``
        leaves unpruned (entries, channels along its ``dim``, or all of it for "global")."""
        method = self._pruning_methods[-1]
        new_mask = default_mask.to(dtype=t.dtype)
        kind = method.PRUNING_TYPE
        if kind == "unstructured":
            where = default_mask == 1
        elif kind == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError("Pruning methods of type 'structured' need to have the "
                                     "attribute `dim` defined.")
            n_dims = t.dim()
            dim = method.dim
            if dim < 0:
                dim += n_dims
            if dim < 0:
                raise IndexError(f"Index is out of bounds for tensor of size {n_dims}")
            keep = default_mask.sum(dim=[d for d in range(n_dims) if d != dim]) != 0
            index = [slice(None)] * n_dims
            index[dim] = keep
            where = tuple(index)
        elif kind == "global":
            where = (slice(None),) * t.dim()
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {kind}")
        partial = method.compute_mask(t[where], default_mask=default_mask[where])
        new_mask[where] = partial.to(dtype=new_mask.dtype)
        return new_mask


class Identity(BasePruningMethod):
    """Prunes nothing: the mask is all ones (useful to attach the pruning mechanics).

    Example:
        >>> prune.Identity.apply(ember.nn.Linear(2, 2), "weight")
    """

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        return default_mask

    @classmethod
    def apply(cls, module: Module, name: str) -> Identity:  # type: ignore[override]
        return super().apply(module, name)


def _zero_extremes(t: Tensor, default_mask: Tensor, amount, scores, largest: bool) -> Tensor:
    """default_mask with the entries of the ``amount`` largest (or smallest) scores() set to
    0; scores is only drawn when something is pruned, as torch draws its random scores."""
    size = t.nelement()
    k = _n_to_prune(amount, size)
    _check_amount_fits(k, size)
    mask = default_mask.clone(memory_format=ember.contiguous_format)
    if k != 0:
        idx = ember.topk(scores().view(-1), k=k, largest=largest).indices
        mask.view(-1)[idx] = 0
    return mask


class RandomUnstructured(BasePruningMethod):
    """Prunes ``amount`` entries (a count, or a fraction of the tensor) chosen at random.

    Example:
        >>> prune.RandomUnstructured.apply(ember.nn.Linear(4, 4), "weight", amount=0.25)
    """

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: int | float):
        _check_amount(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        return _zero_extremes(t, default_mask, self.amount, lambda: ember.rand_like(t), True)

    @classmethod
    def apply(cls, module: Module, name: str,  # type: ignore[override]
              amount: int | float) -> RandomUnstructured:
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prunes the ``amount`` entries of smallest absolute value.

    Example:
        >>> prune.L1Unstructured.apply(ember.nn.Linear(4, 4), "weight", amount=3)
    """

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: int | float):
        _check_amount(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        return _zero_extremes(t, default_mask, self.amount, lambda: ember.abs(t), False)

    @classmethod
    def apply(cls, module: Module, name: str, amount: int | float,  # type: ignore[override]
              importance_scores: Tensor | None = None) -> L1Unstructured:
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Prunes ``amount`` whole channels along ``dim``, chosen at random.

    Example:
        >>> prune.RandomStructured.apply(ember.nn.Linear(4, 4), "weight", amount=1, dim=0)
    """

    PRUNING_TYPE = "structured"

    def __init__(self, amount: int | float, dim: int = -1):
        _check_amount(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        _check_structured(t)
        _check_dim(t, self.dim)
        size = t.shape[self.dim]
        k = _n_to_prune(self.amount, size)
        _check_amount_fits(k, size)
        if k == 0:
            return default_mask
        scores = ember.rand(size)
        threshold = ember.kthvalue(scores, k=k).values
        index = [slice(None)] * t.dim()
        index[self.dim] = scores > threshold
        mask = ember.zeros_like(t)
        mask[tuple(index)] = 1
        mask *= default_mask.to(dtype=mask.dtype)
        return mask

    @classmethod
    def apply(cls, module: Module, name: str, amount: int | float,  # type: ignore[override]
              dim: int = -1) -> RandomStructured:
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Prunes the ``amount`` channels along ``dim`` of smallest ``n``-norm (the norm over
    every other dim; ``n`` as ``p`` of :func:`ember.norm`).

    Example:
        >>> prune.LnStructured.apply(ember.nn.Linear(4, 4), "weight", amount=2, n=2, dim=0)
    """

    PRUNING_TYPE = "structured"

    def __init__(self, amount: int | float, n: int | float | str, dim: int = -1):
        _check_amount(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        _check_structured(t)
        _check_dim(t, self.dim)
        size = t.shape[self.dim]
        k = _n_to_prune(self.amount, size)
        _check_amount_fits(k, size)
        dims = list(range(t.dim()))
        dims.remove(dims[self.dim])
        norm = ember.norm(t, p=self.n, dim=dims)
        keep = ember.topk(norm, k=size - k, largest=True).indices
        if k == 0:
            return default_mask
        index = [slice(None)] * t.dim()
        index[self.dim] = keep
        mask = ember.zeros_like(t)
        mask[tuple(index)] = 1
        mask *= default_mask.to(dtype=mask.dtype)
        return mask

    @classmethod
    def apply(cls, module: Module, name: str, amount: int | float,  # type: ignore[override]
              n: int | float | str, dim: int, importance_scores: Tensor | None = None
              ) -> LnStructured:
        return super().apply(module, name, amount=amount, n=n, dim=dim,
                             importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prunes where a given mask is zero.

    Example:
        >>> prune.CustomFromMask.apply(ember.nn.Linear(2, 1), "bias", ember.tensor([0.]))
    """

    PRUNING_TYPE = "global"

    def __init__(self, mask: Tensor):
        self.mask = mask

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        assert default_mask.shape == self.mask.shape
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module: Module, name: str, mask: Tensor) -> CustomFromMask:  # type: ignore[override]
        return super().apply(module, name, mask=mask)


# ---- functional forms ------------------------------------------------------------------

def identity(module: Module, name: str) -> Module:
    """Attaches the pruning mechanics to ``name`` with an all-ones mask; returns module.

    Example:
        >>> m = prune.identity(ember.nn.Linear(2, 3), "bias")
        >>> m.bias_mask
        tensor([1., 1., 1.])
    """
    Identity.apply(module, name)
    return module


def random_unstructured(module: Module, name: str, amount: int | float) -> Module:
    """Prunes ``amount`` random entries of ``name``; returns module.

    Example:
        >>> m = prune.random_unstructured(ember.nn.Linear(2, 3), "weight", amount=1)
    """
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module: Module, name: str, amount: int | float,
                    importance_scores: Tensor | None = None) -> Module:
    """Prunes the ``amount`` entries of ``name`` of smallest magnitude (of
    ``importance_scores`` when given); returns module.

    Example:
        >>> m = prune.l1_unstructured(ember.nn.Linear(2, 3), "weight", amount=0.5)
    """
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module: Module, name: str, amount: int | float, dim: int) -> Module:
    """Prunes ``amount`` random channels of ``name`` along ``dim``; returns module.

    Example:
        >>> m = prune.random_structured(ember.nn.Linear(2, 3), "weight", amount=1, dim=0)
    """
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module: Module, name: str, amount: int | float, n: int | float | str, dim: int,
                  importance_scores: Tensor | None = None) -> Module:
    """Prunes the ``amount`` channels of ``name`` along ``dim`` of smallest ``n``-norm;
    returns module.

    Example:
        >>> m = prune.ln_structured(ember.nn.Conv2d(2, 4, 3), "weight", amount=0.5, n=2, dim=0)
    """
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters: Iterable, pruning_method: type,
                        importance_scores: dict | None = None, **kwargs: Any) -> None:
    """Prunes the (module, name) pairs in ``parameters`` together: ``pruning_method``
    (an "unstructured" method class, built with ``kwargs``) sees them as one flat tensor,
    so e.g. ``amount`` counts entries across all of them.

    Example:
        >>> a, b = ember.nn.Linear(4, 4), ember.nn.Linear(4, 2)
        >>> prune.global_unstructured([(a, "weight"), (b, "weight")],
        ...                           pruning_method=prune.L1Unstructured, amount=10)
    """
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    from .convert_parameters import parameters_to_vector
    scores = parameters_to_vector([importance_scores.get((m, n), getattr(m, n))
                                   for m, n in parameters])
    default_mask = parameters_to_vector([getattr(m, n + "_mask", ember.ones_like(getattr(m, n)))
                                         for m, n in parameters])
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. '
                        f"Found method {pruning_method} of type {method.PRUNING_TYPE}")
    container.add_pruning_method(method)
    final_mask = container.compute_mask(scores, default_mask)
    start = 0
    for m, n in parameters:
        param = getattr(m, n)
        count = param.numel()
        custom_from_mask(m, n, mask=final_mask[start:start + count].view_as(param))
        start += count


def custom_from_mask(module: Module, name: str, mask: Tensor) -> Module:
    """Prunes ``name`` where ``mask`` is zero; returns module.

    Example:
        >>> m = prune.custom_from_mask(ember.nn.Linear(2, 3), "bias", ember.tensor([0., 1, 0]))
        >>> m.bias_mask
        tensor([0., 1., 0.])
    """
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module: Module, name: str) -> Module:
    """Makes the pruning of ``name`` permanent: ``name`` becomes a Parameter again, holding
    the pruned values, and the mask, the original and the hook are dropped.

    Example:
        >>> m = prune.remove(prune.l1_unstructured(ember.nn.Linear(2, 3), "weight", 2), "weight")
        >>> sorted(m.state_dict())
        ['bias', 'weight']
    """
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning "
                     "can be removed")


def is_pruned(module: Module) -> bool:
    """Whether ``module`` or any submodule carries a pruning hook.

    Example:
        >>> prune.is_pruned(prune.identity(ember.nn.Linear(2, 3), "bias"))
        True
    """
    for _, sub in module.named_modules():
        for hook in sub._forward_pre_hooks.values():
            if isinstance(hook, BasePruningMethod):
                return True
    return False


# ---- validation, as torch's messages ---------------------------------------------------

def _check_amount(amount) -> None:
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral)
            and (float(amount) > 1.0 or float(amount) < 0.0)):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a "
                         "non-negative integer")


def _check_amount_fits(amount, tensor_size: int) -> None:
    if isinstance(amount, numbers.Integral) and amount > tensor_size:
        raise ValueError(f"amount={amount} should be smaller than the number of parameters to "
                         f"prune={tensor_size}")


def _n_to_prune(amount, tensor_size: int) -> int:
    if isinstance(amount, numbers.Integral):
        return amount
    return round(amount * tensor_size)


def _check_structured(t: Tensor) -> None:
    shape = t.shape
    if len(shape) <= 1:
        raise ValueError("Structured pruning can only be applied to multidimensional tensors. "
                         f"Found tensor of shape {shape} with {len(shape)} dims")


def _check_dim(t: Tensor, dim: int) -> None:
    if dim >= t.dim():
        raise IndexError(f"Invalid index {dim} for tensor of size {t.shape}")
