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
