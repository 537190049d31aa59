"""Higher-level autograd: jacobian, hessian, vjp, jvp (jvp by the double-backward trick)."""

from __future__ import annotations


def _tuple(x):
    return x if isinstance(x, tuple) else (x,)


def _prep(inputs):
    return tuple(t.detach().requires_grad_(True) for t in _tuple(inputs))


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J)."""
    from . import grad
    from .grad_mode import enable_grad
    single = not isinstance(inputs, tuple)
    ins = _prep(inputs)
    with enable_grad():
        out = func(*ins)
        outs = _tuple(out)
        vs = _tuple(v) if v is not None else tuple(o.new_ones(o.shape) for o in outs)
        gs = grad(outs, ins, vs, create_graph=create_graph, allow_unused=True,
                  materialize_grads=True)
    res = tuple(g if create_graph else g.detach() for g in gs)
    o = out if create_graph else (tuple(x.detach() for x in outs) if isinstance(out, tuple)
                                   else out.detach())
    return o, res[0] if single else res


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v), computed as the vjp of a vjp."""
    from . import grad
    from .grad_mode import enable_grad
    single = not isinstance(inputs, tuple)
    ins = _prep(inputs)
    vs = _tuple(v) if v is not None else tuple(i.new_ones(i.shape) for i in ins)
    with enable_grad():
        out = func(*ins)
        outs = _tuple(out)
        dummies = tuple(o.new_zeros(o.shape).requires_grad_(True) for o in outs)
        gs = grad(outs, ins, dummies, create_graph=True, allow_unused=True,
                  materialize_grads=True)
        jv = grad(gs, dummies, vs, create_graph=create_graph, allow_unused=True,
                  materialize_grads=True)
    res = tuple(j if create_graph else j.detach() for j in jv)
    o = out if create_graph else (tuple(x.detach() for x in outs) if isinstance(out, tuple)
                                   else out.detach())
    return o, res[0] if single and not isinstance(out, tuple) else res


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian of func at inputs, one row per output element."""
    from . import grad
    from .grad_mode import enable_grad
    from ..ops.join import stack
    single_in = not isinstance(inputs, tuple)
    ins = _prep(inputs)
    with enable_grad():
        out = func(*ins)
    single_out = not isinstance(out, tuple)
    rows = []
    for o in _tuple(out):
        per_input = [[] for _ in ins]
        flat = o.reshape(-1)
        for j in range(flat.numel()):
            with enable_grad():
                gs = grad(flat[j], ins, retain_graph=True, create_graph=create_graph,
                          allow_unused=True, materialize_grads=True)
            for k, g in enumerate(gs):
                per_input[k].append(g if create_graph else g.detach())
        jac = []
        for k, x in enumerate(ins):
            if per_input[k]:
                jac.append(stack(per_input[k]).reshape(tuple(o.shape) + tuple(x.shape)))
            else:
                jac.append(x.new_zeros(tuple(o.shape) + tuple(x.shape)))
        rows.append(jac[0] if single_in else tuple(jac))
    return rows[0] if single_out else tuple(rows)


def hessian(func, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a scalar func at inputs."""
    single = not isinstance(inputs, tuple)

    def gradient(*xs):
        from . import grad
        out = func(*xs)
        gs = grad(out, xs, create_graph=True, allow_unused=True, materialize_grads=True)
        return gs[0] if single else gs

    return jacobian(gradient, inputs, create_graph=create_graph)


def _scalar_and_gradient(name: str, func, inputs, v, strict: bool):
    """Shared front of vhp/hvp: the inputs as fresh leaves, v checked against them, and
    (func's single-element output, its gradient kept differentiable)."""
    from . import grad
    from .grad_mode import enable_grad
    ins = _prep(inputs)
    if v is None:
        if len(ins) != 1 or ins[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        vs = (ins[0].new_ones(ins[0].shape),)
    else:
        vs = tuple(t.detach() for t in _tuple(v))
        if len(vs) != len(ins):
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(ins)} but got "
                               f"{len(vs)}." if isinstance(inputs, tuple)
                               else "The given v should contain a single Tensor.")
        for i, (a, b) in enumerate(zip(vs, ins)):
            if a.shape != b.shape:
                where = f"Entry {i} in " if isinstance(inputs, tuple) else ""
                raise RuntimeError(f"{where}v has invalid size: should be {b.shape} but got "
                                   f"{a.shape}.")
    with enable_grad():
        out = func(*ins)
        if isinstance(out, tuple) or not hasattr(out, "numel"):
            raise RuntimeError(f"The function given to {name} should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {name} should "
                               "contain a single element")
        if strict and not out.requires_grad:
            raise RuntimeError("The output of the user-provided function is independent of "
                               "input 0. This is not allowed in strict mode.")
        gs = grad(out, ins, create_graph=True, allow_unused=True, materialize_grads=True)
    if strict:
        for i, g in enumerate(gs):
            if not g.requires_grad:
                raise RuntimeError(
                    "While computing the hessian, found that the jacobian of the user-provided "
                    f"function with respect to input {i} is independent of the input. This is "
                    "not allowed in strict mode. You should ensure that your function is twice "
                    "differentiable and that the jacobian depends on the inputs (this would be "
                    "violated by a linear function for example).")
    return ins, vs, out, gs


def _grad_or_zeros(outputs, inputs, cotangents, create_graph: bool) -> tuple:
    """grad of outputs . cotangents by inputs, zeros where no output depends on them (a
    function linear in an input has a constant gradient, outside any graph)."""
    from . import grad
    pairs = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
    if not pairs:
        return tuple(x.new_zeros(x.shape) for x in inputs)
    return grad([o for o, _ in pairs], inputs, [c for _, c in pairs], create_graph=create_graph,
                allow_unused=True, materialize_grads=True)


def _finish(inputs, out, products, create_graph: bool):
    res = tuple(p if create_graph else p.detach() for p in products)
    return (out if create_graph else out.detach(),
            res if isinstance(inputs, tuple) else res[0])


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T H): the vector-Hessian product of a single-element func, the
    gradient of (gradient . v).

    Example:
        >>> f = lambda x: (x ** 3).sum()
        >>> vhp(f, ember.tensor([1.0, 2.0]), ember.tensor([1.0, 1.0]))[1]
        tensor([ 6., 12.])
    """
    from .grad_mode import enable_grad
    ins, vs, out, gs = _scalar_and_gradient("vhp", func, inputs, v, strict)
    with enable_grad():
        products = _grad_or_zeros(gs, ins, vs, create_graph)
    return _finish(inputs, out, products, create_graph)


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H v): the Hessian-vector product of a single-element func, the
    directional derivative of its gradient along v, by the double-vjp identity (the
    transpose of v^T H through a dummy cotangent). Equals vhp where H is symmetric.

    Example:
        >>> f = lambda x: (x ** 3).sum()
        >>> hvp(f, ember.tensor([1.0, 2.0]), ember.tensor([1.0, 0.0]))[1]
        tensor([6., 0.])
    """
    from .grad_mode import enable_grad
    ins, vs, out, gs = _scalar_and_gradient("hvp", func, inputs, v, strict)
    with enable_grad():
        dummies = tuple(g.new_zeros(g.shape).requires_grad_(True) for g in gs)
        pulled = _grad_or_zeros(gs, ins, dummies, True)
        products = _grad_or_zeros(pulled, dummies, vs, create_graph)
    return _finish(inputs, out, products, create_graph)
