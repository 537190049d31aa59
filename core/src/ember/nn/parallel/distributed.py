"""DistributedDataParallel: one model replica per process, gradients averaged in backward.

At construction rank 0's parameters and buffers are broadcast to every rank. Parameters are
packed (in reverse registration order, the order backward usually reaches them) into buckets
of at most ``bucket_cap_mb``; a post-accumulate-grad hook on each parameter counts it ready,
and a full bucket is flattened and sent with a non-blocking MPI all-reduce, so communication
overlaps the rest of backward. Buckets are launched in index order on every rank (MPI needs
collectives in the same order everywhere). The hook of the last parameter to become ready
waits for every bucket and writes the averaged gradients back into ``.grad``, so when
``backward()`` returns the gradients are synchronised and ``optimizer.step()`` is safe.
A communication hook (``register_comm_hook``) takes the all-reduce's place: it gets each
ready bucket as a ``dist.GradBucket`` and returns a Future of the reduced buffer.
"""

from __future__ import annotations

import contextlib
import inspect
import weakref
from typing import Any, Callable, Iterator

import ember
from ... import distributed as dist
from ...futures import Future
from ..modules.module import Module


class _Bucket:
    """Parameters of one dtype reduced together through one flat buffer."""

    def __init__(self, index: int, params: list, dtype) -> None:
        self.index = index
        self.params = params
        self.dtype = dtype
        self.offsets = []
        n = 0
        for p in params:
            self.offsets.append(n)
            n += p.numel()
        self.numel = n
        self.pending = len(params)
        self.flat = None
        self.work = None          # the all-reduce's Work, or the comm hook's Future


class DistributedDataParallel(Module):
    """Data parallelism across processes (``torch.nn.parallel.DistributedDataParallel``).

    Each process feeds its own share of the batch; after ``loss.backward()`` every rank holds
    the gradients averaged over all ranks. The wrapped model is ``ddp.module`` and state_dict
    keys carry a ``module.`` prefix.

    Example:
        >>> dist.init_process_group("mpi")
        >>> model = nn.parallel.DistributedDataParallel(nn.Linear(10, 1))
        >>> opt = ember.optim.SGD(model.parameters(), lr=0.1)
        >>> model(x).pow(2).mean().backward(); opt.step()
        >>> with model.no_sync():           # accumulate locally, reduce on the next backward
        ...     model(x2).sum().backward()
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group=None,
                 bucket_cap_mb: float | None = 25, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False) -> None:
        super().__init__()
        if device_ids is not None and len(device_ids) > 1:
            raise ValueError("DistributedDataParallel drives one device per process: "
                             f"device_ids must name one device, got {list(device_ids)}")
        if not dist.is_initialized():
            raise ValueError("Default process group has not been initialized, please make sure "
                             "to call init_process_group.")
        self.module = module
        self.process_group = process_group
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self._world = dist.get_world_size(process_group)
        self._src = dist.get_global_rank(process_group or dist.GroupMember.WORLD, 0)
        seen: set[int] = set()
        self._params = []
        for p in module.parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                self._params.append(p)
        self._sync_state(module.parameters())
        self._sync_state(module.buffers())
        self._buckets = self._make_buckets(bucket_cap_mb if bucket_cap_mb is not None else 25)
        self._bucket_of = {}
        for bi, b in enumerate(self._buckets):
            for i, p in enumerate(b.params):
                self._bucket_of[id(p)] = (bi, i)
        self._comm_hook = None    # (hook, state) once register_comm_hook ran
        self._active = False      # set by a forward that will be followed by a synced backward
        self._next = 0            # index of the next bucket to launch
        self._ready: set[int] = set()
        me = weakref.ref(self)
        self._hooks = [p.register_post_accumulate_grad_hook(
            lambda p, me=me: me() is not None and me()._on_grad(p)) for p in self._params]

    # ---- setup -----------------------------------------------------------------------
    def _sync_state(self, tensors: Iterator) -> None:
        if self._world == 1:
            return
        with ember.no_grad():
            for t in tensors:
                dist.broadcast(t.detach(), self._src, group=self.process_group)

    def _make_buckets(self, cap_mb: float) -> list[_Bucket]:
        cap = int(cap_mb * 1024 * 1024)
        groups, current, size, dtype = [], [], 0, None
        for p in reversed(self._params):
            nbytes = p.numel() * p.element_size()
            if current and (p.dtype != dtype or size + nbytes > cap):
                groups.append((current, dtype))
                current, size = [], 0
            current.append(p)
            size += nbytes
            dtype = p.dtype
        if current:
            groups.append((current, dtype))
        # within a bucket, registration order (what GradBucket.parameters() lists in torch)
        return [_Bucket(i, params[::-1], dtype) for i, (params, dtype) in enumerate(groups)]

    # ---- forward ---------------------------------------------------------------------
    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self._active and self._ready:
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a "
                "new one. This error indicates that your module has parameters that were not "
                "used in producing loss. You can enable unused parameter detection by passing "
                "the keyword argument `find_unused_parameters=True` to "
                "`ember.nn.parallel.DistributedDataParallel`, and by making sure all `forward` "
                "function outputs participate in calculating loss.")
        # a world of one reduces nothing, unless a comm hook is there to be called
        sync = self.require_backward_grad_sync and ember.is_grad_enabled() and \
            (self._world > 1 or self._comm_hook is not None)
        if self.broadcast_buffers and ember.is_grad_enabled() and self._world > 1:
            self._sync_state(self.module.buffers())
        self._reset(sync)
        out = self.module(*inputs, **kwargs)
        if sync and self.find_unused_parameters:
            used = _reachable_leaves(out)
            for p in self._params:
                if id(p) not in used:
                    self._on_grad(p)
        return out

    def _reset(self, active: bool) -> None:
        self._active = active
        self._next = 0
        self._ready = set()
        for b in self._buckets:
            b.pending = len(b.params)
            b.work = b.flat = None

    @contextlib.contextmanager
    def no_sync(self):
        """Within this context gradients accumulate locally; the first backward after it
        reduces the accumulated gradients."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    # ---- backward --------------------------------------------------------------------
    def _on_grad(self, p) -> None:
        if not self._active or id(p) in self._ready:
            return
        self._ready.add(id(p))
        bi, _ = self._bucket_of[id(p)]
        self._buckets[bi].pending -= 1
        while self._next < len(self._buckets) and self._buckets[self._next].pending == 0:
            self._launch(self._buckets[self._next])
            self._next += 1
        if self._next == len(self._buckets):
            self._finish()

    def _launch(self, b: _Bucket) -> None:
        flat = ember.empty(b.numel, dtype=b.dtype, device=b.params[0].device)
        with ember.no_grad():
            for p, at in zip(b.params, b.offsets):
                piece = flat[at:at + p.numel()]
                if p.grad is None:
                    piece.zero_()
                else:
                    piece.copy_(p.grad.reshape(-1))
        b.flat = flat
        if self._comm_hook is None:
            b.work = dist.all_reduce(flat, group=self.process_group, async_op=True)
        else:
            b.work = self._call_comm_hook(b)

    def _finish(self) -> None:
        """Waits for every bucket and writes the averaged gradients into ``.grad``."""
        self._active = False
        used = None
        if self.find_unused_parameters:  # which parameters got a gradient on some rank
            used = ember.tensor([p.grad is not None for p in self._params], dtype=ember.uint8,
                                device=self._params[0].device if self._params else None)
            dist.all_reduce(used, op=dist.ReduceOp.MAX, group=self.process_group)
            used = dict(zip(map(id, self._params), used.tolist()))
        with ember.no_grad():
            for b in self._buckets:
                if self._comm_hook is None:
                    b.work.wait()
                    reduced = b.flat.div_(self._world)
                else:
                    reduced = self._comm_hook_result(b)
                for p, at in zip(b.params, b.offsets):
                    avg = reduced[at:at + p.numel()].view(p.shape)
                    if p.grad is not None:
                        p.grad.copy_(avg)
                    elif used is None or used[id(p)]:
                        p.grad = avg.clone()
                b.work = b.flat = None
        self._ready = set()

    # ---- communication hooks ---------------------------------------------------------
    def register_comm_hook(self, state: object, hook: Callable) -> None:
        """Replaces the all-reduce of each gradient bucket with hook(state, bucket).

        DDP calls the hook with a ``dist.GradBucket`` as soon as the bucket's gradients are
        ready; it returns an ``ember.futures.Future`` whose value is one tensor with the
        bucket buffer's element count: the reduced gradients, which DDP writes into ``.grad``
        once backward has launched every bucket. The buffer is not divided by the world size
        beforehand: averaging is the hook's job (as ``default_hooks.allreduce_hook`` does).
        A hook may be registered once per model. Unlike the built-in path, a hook runs even
        in a world of one.

        Example:
            >>> from ember.distributed.algorithms.ddp_comm_hooks import default_hooks
            >>> ddp.register_comm_hook(None, default_hooks.fp16_compress_hook)
        """
        _check_comm_hook(hook)
        if self._comm_hook is not None:
            raise RuntimeError("register_comm_hook or register_builtin_comm_hook can only be "
                               "called once.")
        self._comm_hook = (hook, state)

    def _call_comm_hook(self, b: _Bucket) -> Future:
        hook, state = self._comm_hook
        bucket = dist.GradBucket(b.index, b.flat, b.params, b.offsets,
                                 b.index == len(self._buckets) - 1)
        fut = hook(state, bucket)
        if not isinstance(fut, Future):
            raise RuntimeError("DDP communication hook's callback must return an "
                               "ember.futures.Future object, but got "
                               f"{type(fut).__module__}.{type(fut).__qualname__}")
        return fut

    def _comm_hook_result(self, b: _Bucket):
        """The flat reduced gradients the hook's future holds, in the bucket's dtype."""
        out = b.work.wait()
        if not isinstance(out, ember.Tensor):
            raise RuntimeError("DDP communication hook's Future must hold one tensor (the "
                               f"reduced bucket buffer), got {type(out).__name__}")
        if out.numel() != b.numel:
            raise RuntimeError(f"DDP communication hook's result for bucket {b.index} has "
                               f"{out.numel()} elements; the bucket buffer has {b.numel}")
        return out.reshape(-1).to(b.dtype)


def _check_comm_hook(hook: Any) -> None:
    """torch's checks of a hook's signature: callable, and annotations (when given) naming
    GradBucket for ``bucket`` and Future[Tensor] for the result."""
    if not callable(hook):
        raise TypeError("Communication hook must be callable.")
    try:  # string annotations (postponed evaluation) are compared once resolved
        sig = inspect.signature(hook, eval_str=True)
    except NameError:
        sig = inspect.signature(hook)
    bucket = sig.parameters["bucket"].annotation
    if bucket is not inspect.Parameter.empty and bucket is not dist.GradBucket and \
            not isinstance(bucket, str):
        raise ValueError("Communication hook: bucket annotation should be dist.GradBucket.")
    result = sig.return_annotation
    if result is not inspect.Signature.empty and result != Future[ember.Tensor] and \
            not isinstance(result, str):
        raise ValueError("Communication hook: return annotation should be "
                         "ember.futures.Future[ember.Tensor].")


def _reachable_leaves(out: Any) -> set[int]:
    """ids of the leaf tensors the autograd graph of out reaches (for unused parameters)."""
    stack, seen, leaves = [], set(), set()

    def collect(o):
        if isinstance(o, ember.Tensor):
            if o.grad_fn is not None:
                stack.append(o.grad_fn)
            elif o.requires_grad:
                leaves.add(id(o))
        elif isinstance(o, (list, tuple)):
            for x in o:
                collect(x)
        elif isinstance(o, dict):
            for x in o.values():
                collect(x)

    collect(out)
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        var = getattr(node, "variable", None)
        if var is not None:
            leaves.add(id(var))
        stack.extend(n for n, _ in node.next_functions)
    return leaves
