"""Single-process data parallelism (``torch.nn.DataParallel``) and its helpers: scatter,
gather, replicate, parallel_apply, data_parallel.

Without CUDA, DataParallel keeps no device ids and calls the wrapped module directly; with
one device id it moves the module there and runs it on the inputs moved there. With several,
the batch is split along ``dim``, the module is replicated per device (replica parameters
are differentiable copies, so gradients reach the original parameters), the replicas run
one after the other, and the outputs are concatenated on ``output_device``.

Example:
    >>> dp = nn.DataParallel(nn.Linear(3, 2))
    >>> dp(ember.ones(4, 3)).shape, list(dp.state_dict())
    (ember.Size([4, 2]), ['module.weight', 'module.bias'])
"""

from __future__ import annotations

import itertools
from typing import Any, Sequence

import ember

from ..._device import as_device
from ..._tensor import Tensor
from ..modules.lazy import LazyModuleMixin
from ..modules.module import Module


def _device(d) -> ember.device:
    """An int is a CUDA ordinal (as in torch); -1 the CPU; anything else ember.device(d)."""
    if isinstance(d, int):
        return ember.device("cpu") if d == -1 else ember.device("cuda", d)
    return as_device(d)


def scatter(inputs: Any, target_gpus: Sequence, dim: int = 0) -> list:
    """Splits the tensors in ``inputs`` (recursing into tuples, lists and dicts) into
    ``len(target_gpus)`` chunks along ``dim``, chunk i moved to ``target_gpus[i]``; other
    objects are repeated by reference.

    Example:
        >>> [x.shape for x in nn.parallel.scatter(ember.ones(4, 2), ["cpu", "cpu"])]
        [ember.Size([2, 2]), ember.Size([2, 2])]
    """
    devices = [_device(d) for d in target_gpus]

    def scatter_map(obj):
        if isinstance(obj, Tensor):
            return [c.to(d) for c, d in zip(obj.chunk(len(devices), dim), devices)]
        if isinstance(obj, tuple) and hasattr(obj, "_fields"):
            return [type(obj)(*args) for args in zip(*map(scatter_map, obj))]
        if isinstance(obj, tuple) and len(obj) > 0:
            return list(zip(*map(scatter_map, obj)))
        if isinstance(obj, list) and len(obj) > 0:
            return [list(i) for i in zip(*map(scatter_map, obj))]
        if isinstance(obj, dict) and len(obj) > 0:
            return [type(obj)(i) for i in zip(*map(scatter_map, obj.items()))]
        return [obj for _ in devices]

    return scatter_map(inputs)


def scatter_kwargs(inputs: tuple, kwargs: dict | None, target_gpus: Sequence,
                   dim: int = 0) -> tuple[tuple, tuple]:
    """``scatter`` of positional and keyword arguments, padded to the same count.

    Example:
        >>> args, kw = nn.parallel.scatter_kwargs((ember.ones(2, 1),), {"k": 1}, ["cpu"] * 2)
        >>> len(args), kw
        (2, ({'k': 1}, {'k': 1}))
    """
    scattered_inputs = scatter(inputs, target_gpus, dim) if inputs else []
    scattered_kwargs = scatter(kwargs, target_gpus, dim) if kwargs else []
    if len(scattered_inputs) < len(scattered_kwargs):
        scattered_inputs.extend(() for _ in range(len(scattered_kwargs) - len(scattered_inputs)))
    elif len(scattered_kwargs) < len(scattered_inputs):
        scattered_kwargs.extend({} for _ in range(len(scattered_inputs) - len(scattered_kwargs)))
    return tuple(scattered_inputs), tuple(scattered_kwargs)


def gather(outputs: Any, target_device, dim: int = 0) -> Any:
    """Concatenates per-device outputs along ``dim`` on ``target_device`` (-1: the CPU),
    recursing into tuples, lists and dicts; 0-d tensors are stacked into a vector.

    Example:
        >>> nn.parallel.gather([ember.ones(1, 2), ember.zeros(2, 2)], "cpu").shape
        ember.Size([3, 2])
    """
    device = _device(target_device)

    def gather_map(outs):
        out = outs[0]
        if isinstance(out, Tensor):
            parts = [o.to(device) for o in outs]
            if all(p.dim() == 0 for p in parts):
                import warnings
                warnings.warn("Was asked to gather along dimension 0, but all input tensors "
                              "were scalars; will instead unsqueeze and return a vector.",
                              stacklevel=2)
                return ember.stack(parts)
            return ember.cat(parts, dim)
        if out is None:
            return None
        if isinstance(out, dict):
            if not all(len(out) == len(d) for d in outs):
                raise ValueError("All dicts must have the same number of keys")
            return type(out)((k, gather_map([d[k] for d in outs])) for k in out)
        if isinstance(out, tuple) and hasattr(out, "_fields"):
            return type(out)(*map(gather_map, zip(*outs)))
        return type(out)(map(gather_map, zip(*outs)))

    return gather_map(outputs)


def _replica(module: Module) -> Module:
    """A shallow copy of a module with its own parameter/buffer/child tables."""
    if isinstance(module, LazyModuleMixin) and module.has_uninitialized_params():
        module._replicate_for_data_parallel()
    replica = object.__new__(type(module))
    replica.__dict__ = module.__dict__.copy()
    replica.__dict__["_parameters"] = dict(module._parameters)
    replica.__dict__["_buffers"] = dict(module._buffers)
    replica.__dict__["_modules"] = dict(module._modules)
    replica.__dict__["_is_replica"] = True
    return replica


def replicate(network: Module, devices: Sequence, detach: bool = False) -> list:
    """One copy of ``network`` per device. Replica parameters are differentiable copies
    of the originals (``detach=True``: detached leaves), buffers are copied.

    Example:
        >>> lin = nn.Linear(2, 1)
        >>> a, b = nn.parallel.replicate(lin, ["cpu", "cpu"])
        >>> (a(ember.ones(1, 2)) + b(ember.ones(1, 2))).sum().backward()
        >>> lin.bias.grad
        tensor([2.])
    """
    devices = [_device(d) for d in devices]
    modules = list(network.modules())
    replicas = []
    for device in devices:
        copies = {id(m): _replica(m) for m in modules}
        for m in modules:
            r = copies[id(m)]
            for name, child in m._modules.items():
                r._modules[name] = None if child is None else copies[id(child)]
            for name, p in m._parameters.items():
                if p is not None:
                    q = p.detach().to(device) if detach else p.to(device)
                    if detach:
                        q.requires_grad_(p.requires_grad)
                    r._parameters[name] = q
            for name, b in m._buffers.items():
                if b is not None:
                    r._buffers[name] = b.to(device) if b.requires_grad and not detach \
                        else b.detach().to(device)
        replicas.append(copies[id(network)])
    return replicas


def parallel_apply(modules: Sequence[Module], inputs: Sequence[Any],
                   kwargs_tup: Sequence[dict] | None = None,
                   devices: Sequence | None = None) -> list:
    """Runs ``modules[i](*inputs[i], **kwargs_tup[i])`` for each i and returns the outputs
    (one after the other, not in threads as torch does: the results are the same).

    Example:
        >>> lin = nn.Linear(2, 2)
        >>> [o.shape for o in nn.parallel.parallel_apply([lin, lin], [ember.ones(1, 2)] * 2)]
        [ember.Size([1, 2]), ember.Size([1, 2])]
    """
    if len(modules) != len(inputs):
        raise AssertionError(f"The number of modules {len(modules)} is not equal to the "
                             f"number of inputs {len(inputs)}")
    if kwargs_tup is None:
        kwargs_tup = ({},) * len(modules)
    elif len(modules) != len(kwargs_tup):
        raise AssertionError(f"The number of modules {len(modules)} is not equal to the "
                             f"number of kwargs {len(kwargs_tup)}")
    outputs = []
    for module, args, kwargs in zip(modules, inputs, kwargs_tup):
        if not isinstance(args, (list, tuple)):
            args = (args,)
        outputs.append(module(*args, **kwargs))
    return outputs


def _device_ids(device_ids) -> list[int]:
    if device_ids is None:
        device_ids = list(range(ember.cuda.device_count()))
    return [d if isinstance(d, int) else ember.cuda._index(d) for d in device_ids]


class DataParallel(Module):
    """Splits each batch over CUDA devices, runs a replica of ``module`` on each part and
    concatenates the outputs. Without CUDA it runs ``module`` itself; its state_dict keys
    carry the ``module.`` prefix.

    Example:
        >>> dp = nn.DataParallel(nn.Linear(3, 2))
        >>> dp.module.__class__.__name__, dp(ember.ones(5, 3)).shape
        ('Linear', ember.Size([5, 2]))
    """

    def __init__(self, module: Module, device_ids: Sequence | None = None,
                 output_device=None, dim: int = 0) -> None:
        super().__init__()
        if not ember.cuda.is_available():
            self.module = module
            self.device_ids = []
            return
        ids = _device_ids(device_ids)
        self.dim = dim
        self.module = module
        self.device_ids = ids
        if output_device is None:
            output_device = ids[0]
        self.output_device = output_device if isinstance(output_device, int) \
            else ember.cuda._index(output_device)
        self.src_device_obj = ember.device("cuda", ids[0])
        if len(ids) == 1:
            self.module.to(self.src_device_obj)

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        for t in itertools.chain(self.module.parameters(), self.module.buffers()):
            if t.device != self.src_device_obj:
                raise RuntimeError("module must have its parameters and buffers on device "
                                   f"{self.src_device_obj} (device_ids[0]) but found one of "
                                   f"them on device: {t.device}")
        inputs, module_kwargs = self.scatter(inputs, kwargs, self.device_ids)
        if not inputs and not module_kwargs:
            inputs, module_kwargs = ((),), ({},)
        if len(self.device_ids) == 1:
            return self.module(*inputs[0], **module_kwargs[0])
        replicas = self.replicate(self.module, self.device_ids[:len(inputs)])
        outputs = self.parallel_apply(replicas, inputs, module_kwargs)
        return self.gather(outputs, self.output_device)

    def replicate(self, module: Module, device_ids: Sequence) -> list:
        return replicate(module, device_ids, not ember.is_grad_enabled())

    def scatter(self, inputs: tuple, kwargs: dict | None, device_ids: Sequence):
        return scatter_kwargs(inputs, kwargs, device_ids, dim=self.dim)

    def parallel_apply(self, replicas: Sequence[Module], inputs: Sequence, kwargs) -> list:
        return parallel_apply(replicas, inputs, kwargs, self.device_ids[:len(replicas)])

    def gather(self, outputs: Sequence, output_device) -> Any:
        return gather(outputs, output_device, dim=self.dim)


def data_parallel(module: Module, inputs: Any, device_ids: Sequence | None = None,
                  output_device=None, dim: int = 0, module_kwargs: Any | None = None) -> Any:
    """The functional form of DataParallel: one call, no wrapper module kept.

    Example:
        >>> nn.parallel.data_parallel(nn.Linear(3, 2), ember.ones(4, 3)).shape
        ember.Size([4, 2])
    """
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    if not ember.cuda.is_available():
        return module(*inputs, **(module_kwargs or {}))
    ids = _device_ids(device_ids)
    if output_device is None:
        output_device = ids[0]
    src = ember.device("cuda", ids[0])
    for t in itertools.chain(module.parameters(), module.buffers()):
        if t.device != src:
            raise RuntimeError("module must have its parameters and buffers on device "
                               f"{src} (device_ids[0]) but found one of them on device: "
                               f"{t.device}")
    inputs, module_kwargs = scatter_kwargs(inputs, module_kwargs, ids, dim)
    if not inputs and not module_kwargs:
        inputs, module_kwargs = ((),), ({},)
    if len(ids) == 1:
        return module(*inputs[0], **module_kwargs[0])
    used = ids[:len(inputs)]
    outputs = parallel_apply(replicate(module, used), inputs, module_kwargs, used)
    return gather(outputs, output_device, dim)
