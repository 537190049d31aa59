"""LazyModuleMixin: modules whose parameter shapes come from their first input.

Example:
    >>> m = nn.LazyLinear(3)
    >>> m.has_uninitialized_params()
    True
    >>> _ = m(ember.ones(2, 5))
    >>> type(m).__name__, m.weight.shape
    ('Linear', ember.Size([3, 5]))
"""

from __future__ import annotations

import itertools
from typing import Any

from ...autograd.grad_mode import no_grad
from ..parameter import is_lazy


class LazyModuleMixin:
    """A mixin for modules holding UninitializedParameter/UninitializedBuffer until the
    first forward, which calls ``initialize_parameters(*args, **kwargs)`` and then turns
    the module into ``cls_to_become``. A lazy module saves its uninitialized tensors in
    its state_dict as they are, and loading initialized tensors into it materializes them
    with the loaded shapes.

    Example:
        >>> lazy = nn.LazyLinear(2)
        >>> lazy.load_state_dict(nn.Linear(4, 2).state_dict())
        <All keys matched successfully>
        >>> lazy.weight.shape, lazy.in_features
        (ember.Size([2, 4]), 0)
    """

    cls_to_become: type[Any] | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                               with_kwargs=True)

    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool) -> None:
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = (param if is_lazy(param) or keep_vars
                                              else param.detach())
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if is_lazy(buf) or keep_vars else buf.detach()

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys,
                        unexpected_keys, error_msgs) -> None:
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None and is_lazy(param):
                loaded = state_dict[key]
                if not is_lazy(loaded):
                    with no_grad():
                        param.materialize(loaded.shape)

    def initialize_parameters(self, *args, **kwargs) -> None:
        """Materializes the uninitialized tensors from the first forward's arguments."""
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {self.__class__.__name__}")

    def has_uninitialized_params(self) -> bool:
        """Whether any parameter or buffer is still uninitialized."""
        return any(is_lazy(t) for t in itertools.chain(self._parameters.values(),
                                                        self._buffers.values()))

    def _infer_parameters(self, module, args, kwargs=None) -> None:
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _replicate_for_data_parallel(self):
        raise RuntimeError("Modules with uninitialized parameters can't be used with "
                           "`DataParallel`. Run a dummy forward pass to correctly initialize "
                           "the modules")
