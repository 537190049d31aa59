"""ember.func: function transforms, as torch.func: grad, grad_and_value, vjp, jvp, jacrev,
jacfwd, hessian, vmap and functional_call (and functionalize, debug_unwrap and
replace_all_batch_norm_modules_, from ``_func_eager_transforms.py``).

The derivative transforms run ember's reverse-mode autograd on the function's own graph
and keep that graph when their inputs belong to an outer one, so they nest: ``grad(grad(f))``
is f's second derivative and ``vmap(grad(loss))`` gives per-sample gradients. ``vmap`` calls
the function once per slice of the batched inputs and stacks the results: the same values
as torch's batching rules, at a loop's speed. Forward mode (jvp, jacfwd) is computed in
reverse mode, by the double-vjp identity.

Example:
    >>> f = lambda x: (x ** 3).sum()
    >>> ember.func.grad(ember.func.grad(lambda x: f(x)))(ember.tensor(2.0))
    tensor(12.)
    >>> ember.func.vmap(ember.dot)(ember.ones(3, 2), ember.ones(3, 2))
    tensor([2., 2., 2.])
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable

from ._func_eager_transforms import debug_unwrap, functionalize, replace_all_batch_norm_modules_
from ._tensor import Tensor
from .autograd import grad as _autograd_grad
from .autograd.grad_mode import enable_grad
from .utils._pytree import broadcast_prefix, tree_flatten, tree_map, tree_unflatten

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap",
           "functional_call", "linearize", "stack_module_state", "functionalize",
           "debug_unwrap", "replace_all_batch_norm_modules_"]


# ---- reverse mode ----------------------------------------------------------------------

def _watch(t):
    """t as an input to differentiate by: a new leaf when t is outside any graph, else a
    view of it, so that the result still depends on t for an outer transform."""
    if not isinstance(t, Tensor):
        return t
    return t.view_as(t) if t.requires_grad else t.detach().requires_grad_(True)


def _argnums(argnums, n: int) -> tuple:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums:
        raise RuntimeError("argnums must be non-empty")
    for i in nums:
        if not isinstance(i, int) or not -n <= i < n:
            raise RuntimeError(f"Got argnums={argnums} but only {n} positional inputs")
    return tuple(i % n for i in nums)


def _differentiate(outputs: list, inputs: list, cotangents: list, keep: bool) -> list:
    """d(outputs . cotangents)/d inputs, zeros where an input does not matter; keep: the
    result stays differentiable (an outer transform or graph will need it)."""
    pairs = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
    if not pairs:
        return [x.new_zeros(x.shape) for x in inputs]
    grads = _autograd_grad([o for o, _ in pairs], inputs, [c for _, c in pairs],
                           create_graph=keep, allow_unused=True, materialize_grads=True)
    return [g if keep else g.detach() for g in grads]


def grad_and_value(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """A function returning (gradient of func's scalar output with respect to the
    argnums arguments, the output) (and func's aux with has_aux).

    Example:
        >>> ember.func.grad_and_value(lambda x: (x * x).sum())(ember.tensor([1.0, 2.0]))
        (tensor([2., 4.]), tensor(5.))
    """
    def wrapper(*args, **kwargs):
        nums = _argnums(argnums, len(args))
        args = list(args)
        outer = any(isinstance(t, Tensor) and t.requires_grad
                    for i in nums for t in tree_flatten(args[i])[0])
        with enable_grad():
            specs = {}
            for i in nums:
                args[i] = tree_map(_watch, args[i])
                specs[i] = tree_flatten(args[i])
            result = func(*args, **kwargs)
            output, aux = _split_aux(result, has_aux, "grad_and_value")
            if not isinstance(output, Tensor) or output.numel() != 1:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   "scalar Tensor, got tensor with "
                                   f"{getattr(output, 'dim', lambda: 'no')()} dims. Maybe you "
                                   "wanted to use the vjp or jacrev APIs instead?")
            inputs = [t for i in nums for t in specs[i][0] if isinstance(t, Tensor)]
            grads = iter(_differentiate([output], inputs, [output.new_ones(())], outer))
        per_arg = tuple(tree_unflatten([next(grads) if isinstance(t, Tensor) else None
                                        for t in specs[i][0]], specs[i][1]) for i in nums)
        g = per_arg[0] if isinstance(argnums, int) else per_arg
        value = output if outer else output.detach()
        return ((g, (value, aux)) if has_aux else (g, value))
    return wrapper


def grad(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """The gradient of func's scalar output with respect to its argnums arguments, as a
    function of the same arguments (with has_aux: (gradient, aux)).

    Example:
        >>> ember.func.grad(lambda x: x.sin().sum())(ember.tensor([0.0]))
        tensor([1.])
    """
    both = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = both(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def _split_aux(result, has_aux: bool, name: str):
    if not has_aux:
        return result, None
    if not (isinstance(result, tuple) and len(result) == 2):
        raise RuntimeError(f"{name}(f)(*args): output of function f should be a tuple: "
                           "(output, aux) if has_aux is True")
    return result


def vjp(func: Callable, *primals, has_aux: bool = False):
    """(func(*primals), a function from output cotangents to the primals' cotangents)
    (and func's aux with has_aux).

    Example:
        >>> out, pullback = ember.func.vjp(lambda x: x * 3, ember.ones(2))
        >>> pullback(ember.tensor([1.0, 2.0]))
        (tensor([3., 6.]),)
    """
    outer = any(isinstance(t, Tensor) and t.requires_grad for t in tree_flatten(primals)[0])
    with enable_grad():
        watched = tree_map(_watch, primals)
        result = func(*watched)
    output, aux = _split_aux(result, has_aux, "vjp")
    out_leaves, out_spec = tree_flatten(output)
    in_leaves, in_spec = tree_flatten(watched)

    def pullback(cotangents, *, retain_graph: bool = True):
        cot_leaves = tree_flatten(cotangents)[0]
        if len(cot_leaves) != len(out_leaves):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as "
                               "pytree structure of outputs to the function")
        inputs = [t for t in in_leaves if isinstance(t, Tensor)]
        with enable_grad():
            grads = iter(_differentiate(out_leaves, inputs, cot_leaves, True))
        return tree_unflatten([(next(grads) if outer else next(grads).detach())
                               if isinstance(t, Tensor) else None for t in in_leaves], in_spec)

    shown = output if outer else tree_map(lambda t: t.detach() if isinstance(t, Tensor) else t,
                                          output)
    return (shown, pullback, aux) if has_aux else (shown, pullback)


def jacrev(func: Callable, argnums=0, *, has_aux: bool = False,
           chunk_size: int | None = None) -> Callable:
    """The Jacobian of func with respect to its argnums arguments, a row of the output's
    shape per vjp with a one-hot cotangent: shape output.shape + input.shape.

    Example:
        >>> ember.func.jacrev(lambda x: x * x)(ember.tensor([1.0, 2.0]))
        tensor([[2., 0.],
                [0., 4.]])
    """
    def wrapper(*args, **kwargs):
        nums = _argnums(argnums, len(args))
        outer = any(isinstance(t, Tensor) and t.requires_grad for t in tree_flatten(args)[0])
        args = list(args)
        with enable_grad():
            for i in nums:
                args[i] = _watch(args[i])
            result = func(*args, **kwargs)
            output, aux = _split_aux(result, has_aux, "jacrev")
            inputs = [args[i] for i in nums]
            flat = output.reshape(-1)
            rows = []
            for k in range(flat.numel()):
                onehot = flat.new_zeros(flat.shape)
                onehot[k] = 1
                rows.append(_differentiate([flat], inputs, [onehot], True))
        jac = tuple(_stack_rows([r[j] for r in rows], output.shape, x.shape, x, outer)
                    for j, x in enumerate(inputs))
        j = jac[0] if isinstance(argnums, int) else jac
        return (j, aux) if has_aux else j
    return wrapper


def _stack_rows(rows: list, out_shape, in_shape, like: Tensor, keep: bool) -> Tensor:
    from .ops.join import stack
    jac = (stack(rows, 0) if rows else like.new_zeros((0,) + tuple(in_shape)))
    jac = jac.reshape(tuple(out_shape) + tuple(in_shape))
    return jac if keep else jac.detach()


def jvp(func: Callable, primals: tuple, tangents: tuple, *, strict: bool = False,
        has_aux: bool = False):
    """(func(*primals), the directional derivative along tangents), computed as the vjp of
    a vjp (ember has no forward mode).

    Example:
        >>> ember.func.jvp(lambda x: x * x, (ember.tensor([3.0]),), (ember.tensor([1.0]),))
        (tensor([9.]), tensor([6.]))
    """
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be "
                           "tuples")
    if len(primals) != len(tangents):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have "
                           "the same length")
    outer = any(isinstance(t, Tensor) and t.requires_grad for t in primals + tangents)
    with enable_grad():
        watched = tuple(_watch(p) for p in primals)
        result = func(*watched)
        output, aux = _split_aux(result, has_aux, "jvp")
        outs, spec = tree_flatten(output)
        dummies = [o.new_zeros(o.shape).requires_grad_(True) for o in outs]
        pulled = _differentiate(outs, list(watched), dummies, True)
        pushed = _differentiate(pulled, dummies, list(tangents), outer)
    shown = output if outer else tree_map(lambda t: t.detach(), output)
    tangent_out = tree_unflatten(pushed, spec)
    return (shown, tangent_out, aux) if has_aux else (shown, tangent_out)


def linearize(func: Callable, *primals) -> tuple[Any, Callable]:
    """(func(*primals), jvp_fn): jvp_fn(*tangents) is the directional derivative of func at
    primals along tangents, as ``jvp`` gives it. func runs once; the linear map is kept as the
    graph of a vjp against placeholder cotangents, so each jvp_fn call is one backward pass
    through it and never reruns func.

    Example:
        >>> out, jvp_fn = ember.func.linearize(lambda x: x.sin(), ember.tensor([0.0, 1.0]))
        >>> jvp_fn(ember.tensor([1.0, 1.0]))
        tensor([1.0000, 0.5403])
    """
    in_leaves, in_spec = tree_flatten(primals)
    with enable_grad():
        watched = [_watch(p) for p in in_leaves]
        output = func(*tree_unflatten(watched, in_spec))
        outs, out_spec = tree_flatten(output)
        dummies = [o.new_zeros(o.shape).requires_grad_(True) for o in outs]
        pulled = _differentiate(outs, watched, dummies, True)
    linear = [(p, t) for p, t in zip(pulled, in_leaves) if p.requires_grad]

    def jvp_fn(*tangents):
        tan_leaves, tan_spec = tree_flatten(tangents)
        if tan_spec != in_spec:
            raise RuntimeError(f"Expected the tangents {tan_spec} to have the same argspec as "
                               f"the primals {in_spec}")
        for i, (t, p) in enumerate(zip(tan_leaves, in_leaves)):
            for what in ("shape", "device", "dtype"):
                if getattr(t, what) != getattr(p, what):
                    raise RuntimeError(f"tangent:{i} with {what} {getattr(t, what)} in flattened "
                                       f"pytree doesn't match the {what} {getattr(p, what)} of "
                                       "the corresponding primal.")
        chosen = [t for (p, _), t in zip(zip(pulled, in_leaves), tan_leaves) if p.requires_grad]
        if not linear:
            pushed = [d.new_zeros(d.shape) for d in dummies]
        else:
            pushed = _autograd_grad([p for p, _ in linear], dummies, chosen, retain_graph=True,
                                    allow_unused=True, materialize_grads=True)
        return tree_unflatten([x.detach() for x in pushed], out_spec)

    return tree_map(lambda t: t.detach() if isinstance(t, Tensor) else t, output), jvp_fn


def jacfwd(func: Callable, argnums=0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """The Jacobian as jacrev computes it: the same values (ember has no forward mode)."""
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func: Callable, argnums=0) -> Callable:
    """The Jacobian of the Jacobian: shape output.shape + input.shape + input.shape.

    Example:
        >>> ember.func.hessian(lambda x: (x ** 3).sum())(ember.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)


# ---- vmap ------------------------------------------------------------------------------

def vmap(func: Callable, in_dims=0, out_dims=0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """func mapped over a dim of its inputs: in_dims gives the dim of each positional
    argument (None: not mapped; a tuple per argument, nested like the arguments), out_dims
    where the mapped dim goes in each output. randomness="same" gives every slice the same
    random draws; "error" and "different" draw afresh for each.

    Example:
        >>> ember.func.vmap(lambda x, y: x * y, in_dims=(0, None))(ember.ones(2, 3),
        ...                                                       ember.arange(3.0))
        tensor([[0., 1., 2.],
                [0., 1., 2.]])
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")

    def wrapper(*args, **kwargs):
        leaves, spec = tree_flatten(args)
        prefix = (tuple(in_dims) if isinstance(in_dims, (tuple, list))
                  else (in_dims,) * len(args))
        dims = broadcast_prefix(prefix, args)
        sizes = set()
        for leaf, d in zip(leaves, dims):
            if d is None:
                continue
            if not isinstance(leaf, Tensor):
                raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got "
                                 f"in_dim={d} for an input but the input is of type "
                                 f"{type(leaf)}. We cannot vmap over non-Tensor arguments, "
                                 "please use None as the respective in_dim")
            if not -max(leaf.dim(), 1) <= d < max(leaf.dim(), 1) or leaf.dim() == 0:
                raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got "
                                 f"in_dim={d} for some input, but that input is a Tensor of "
                                 f"dimensionality {leaf.dim()} so expected in_dim to satisfy "
                                 f"-{leaf.dim()} <= in_dim < {leaf.dim()}.")
            sizes.add(leaf.shape[d])
        if not sizes:
            raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): At least "
                             "one input must be mapped over (got all in_dims = None)")
        if len(sizes) > 1:
            raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Expected "
                             "all tensors to have the same size in the mapped dimension, got "
                             f"sizes {sorted(sizes)} for the mapped dimension")
        size = sizes.pop()
        results = []
        with _same_randomness(randomness == "same") as reset:
            for i in range(size):
                reset()
                sliced = [leaf.select(d, i) if d is not None else leaf
                          for leaf, d in zip(leaves, dims)]
                results.append(func(*tree_unflatten(sliced, spec), **kwargs))
        return _stack_results(results, out_dims, func)
    return wrapper


def _name(func) -> str:
    return getattr(func, "__name__", repr(func))


@contextlib.contextmanager
def _same_randomness(same: bool):
    """Yields a reset() that, for randomness="same", rewinds the generator to where the
    first slice began."""
    if not same:
        yield lambda: None
        return
    from ._generator import get_rng_state, set_rng_state
    state = get_rng_state()
    yield lambda: set_rng_state(state)


def _stack_results(results: list, out_dims, func) -> Any:
    from .ops.join import stack
    first_leaves, spec = tree_flatten(results[0])
    dims = broadcast_prefix(out_dims, results[0])
    columns = list(zip(*(tree_flatten(r)[0] for r in results)))
    stacked = []
    for column, d in zip(columns, dims):
        if not all(isinstance(t, Tensor) for t in column):
            raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` must only return "
                             f"Tensors, got type {type(column[0])}. Did you mean to set "
                             "out_dims= to None for output?")
        stacked.append(stack(list(column), 0 if d is None else d))
    return tree_unflatten(stacked, spec)


# ---- modules as functions --------------------------------------------------------------

def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """module(*args, **kwargs) with some of its parameters and buffers replaced, by name,
    for this call only (the module is left as it was).

    Example:
        >>> lin = ember.nn.Linear(2, 1)
        >>> w = {"weight": ember.ones(1, 2), "bias": ember.zeros(1)}
        >>> ember.func.functional_call(lin, w, (ember.tensor([[1.0, 2.0]]),))
        tensor([[3.]])
    """
    from .nn.utils.stateless import _call_with
    dicts = (parameter_and_buffer_dicts if isinstance(parameter_and_buffer_dicts, (list, tuple))
             else [parameter_and_buffer_dicts])
    merged: dict = {}
    for d in dicts:
        clash = merged.keys() & d.keys()
        if clash:
            raise ValueError(f"{sorted(clash)} appeared in multiple dictionaries; behavior "
                             "of functional call is ambiguous")
        merged.update(d)
    return _call_with(module, merged, args, kwargs, tie_weights=tie_weights, strict=strict)


def stack_module_state(models) -> tuple[dict[str, Any], dict[str, Any]]:
    """(parameters, buffers) of same-class models, each name's tensors stacked along a new
    dim 0, for running an ensemble through ``vmap`` with ``functional_call``. The stacked
    parameters are new leaves (an optimizer can train them), apart from the models'.

    Example:
        >>> models = [ember.nn.Linear(3, 2) for _ in range(4)]
        >>> params, buffers = ember.func.stack_module_state(models)
        >>> call = lambda p, b, x: ember.func.functional_call(models[0], (p, b), (x,))
        >>> ember.func.vmap(call, in_dims=(0, 0, None))(params, buffers, ember.ones(5, 3)).shape
        ember.Size([4, 5, 2])
    """
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({m.training for m in models}) != 1:
        raise RuntimeError("stack_module_state: Expected all models to have the same "
                           "training/eval mode.")
    if len({type(m) for m in models}) != 1:
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    params = _stack_by_name([dict(m.named_parameters()) for m in models])
    buffers = _stack_by_name([dict(m.named_buffers()) for m in models])
    return params, buffers


def _stack_by_name(per_model: list) -> dict:
    from .ops.join import stack
    stacked = {}
    for name in per_model[0]:
        tensors = [entries[name] for entries in per_model]
        flags = {t.requires_grad for t in tensors}
        if len(flags) != 1:
            raise RuntimeError(f"Expected {name} from each model to have the same "
                               ".requires_grad")
        joined = stack(tensors)
        stacked[name] = joined.detach().requires_grad_() if flags.pop() else joined
    return stacked
