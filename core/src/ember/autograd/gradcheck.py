"""Finite-difference checks of analytical gradients (float64)."""

from __future__ import annotations


def _flat_inputs(inputs):
    from .._tensor import Tensor
    return [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]


def _numerical_jacobian(fn, inputs, eps):
    from .._tensor import Tensor
    from .grad_mode import no_grad
    out0 = fn(*inputs)
    outs = out0 if isinstance(out0, tuple) else (out0,)
    jac = []
    with no_grad():
        for x in _flat_inputs(inputs):
            flat = x.detach().reshape(-1)
            cols = []
            for i in range(flat.numel()):
                orig = flat[i].item()
                x.data.reshape(-1)[i] = orig + eps
                plus = [o.detach().clone() for o in _as_tuple(fn(*inputs))
                        if isinstance(o, Tensor)]
                x.data.reshape(-1)[i] = orig - eps
                minus = [o.detach().clone() for o in _as_tuple(fn(*inputs))
                         if isinstance(o, Tensor)]
                x.data.reshape(-1)[i] = orig
                cols.append([((p - m) / (2 * eps)).reshape(-1) for p, m in zip(plus, minus)])
            jac.append(cols)
    return outs, jac


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad=True,
              check_grad_dtypes=False, check_batched_grad=False, fast_mode=False) -> bool:
    """Compares analytical gradients of func at inputs with central differences."""
    from .._tensor import Tensor
    from . import grad as _grad
    inputs = _as_tuple(inputs)
    outs, numeric = _numerical_jacobian(func, inputs, eps)
    diff_inputs = _flat_inputs(inputs)
    for k, out in enumerate(o for o in outs if isinstance(o, Tensor)):
        if not out.requires_grad:
            continue
        n_out = out.numel()
        for j in range(n_out):
            g = out.new_zeros(out.shape).reshape(-1)
            g[j] = 1.0
            fresh = _as_tuple(func(*inputs))[k]
            analytic = _grad(fresh, diff_inputs, g.reshape(out.shape), allow_unused=True)
            for i, (x, a) in enumerate(zip(diff_inputs, analytic)):
                num = [col[k][j].item() for col in numeric[i]]
                ana = a.reshape(-1).tolist() if a is not None else [0.0] * x.numel()
                for p, (nv, av) in enumerate(zip(num, ana)):
                    if abs(nv - av) > atol + rtol * abs(nv):
                        if raise_exception:
                            raise RuntimeError(
                                f"Jacobian mismatch for output {k} with respect to input {i},\n"
                                f"numerical:{nv}\nanalytical:{av}\n(element {p} of input, "
                                f"element {j} of output)")
                        return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception: bool = True, **kwargs) -> bool:
    """gradcheck of the gradient function (second derivatives)."""
    from . import grad as _grad
    from ..ops.random import randn
    inputs = _as_tuple(inputs)
    outs = _as_tuple(func(*inputs))
    if grad_outputs is None:
        grad_outputs = tuple(randn(o.shape, dtype=o.dtype, device=o.device).requires_grad_(True)
                             for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_grad(*args):
        # finite differences evaluate this under no_grad; the inner gradient needs a graph
        from .grad_mode import enable_grad
        with enable_grad():
            ins, gos = args[:n_in], args[n_in:]
            o = _as_tuple(func(*ins))
            diff = _flat_inputs(ins)
            gs = _grad(o, diff, gos, create_graph=True, allow_unused=True)
            return tuple(g for g in gs if g is not None)

    return gradcheck(first_grad, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
