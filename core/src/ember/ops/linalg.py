"""Linear algebra: matmul and its family, einsum, tensordot, kron, norms, trace.

GEMM is OpenBLAS through NumPy: measured on this 2-core machine it gives 100-137
GFLOP/s at 256-2048 against 95-108 for torch's MKL, while a hand-written AVX2
kernel reached only 25-40% of it. Integer matmul uses NumPy's own loops (not a hot
path in deep learning). Half types compute in float32 and round once at the end.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype as D
from .._sparse_coo_tensor import SparseCooTensor
from .._tensor import Tensor, _empty
from ..backends import blas
from ..amp.autocast_mode import cast_low
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from .._C import lib
from ._util import (backend_of, broadcast_shapes, cast, check_out, device_of, expand_to,
                    pretty_dtype, wrap_dim)
from .conv import dense
from .creation import zeros_like


def _np_matmul(a: Tensor, b: Tensor, out_shape, dtype) -> Tensor:
    if a.device.type == "cuda":
        from ..backends import cuda
        return cuda.matmul(a, b, out_shape, dtype)
    if dtype is D.float32 or dtype is D.float64:  # the training case, without the casts
        out = _empty(out_shape, dtype, a.device)
        blas.matmul_tensors(a, b, out)
        return out
    compute = D.float32 if dtype in (D.float16, D.bfloat16) else dtype
    an, bn = cast(a, compute), cast(b, compute)
    out = _empty(out_shape, compute, a.device)
    if out.numel():
        if compute in (D.float32, D.float64):
            blas.matmul_tensors(an, bn, out)
        else:
            np.matmul(an._np(), bn._np(), out=out._np())
    return cast(out, dtype)


class Matmul(Function):
    """a @ b for a, b with at least 2 dims (batch dims broadcast)."""

    _builtin = True
    node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        device_of(a, b)
        if a._dtype is not b._dtype:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                               f"{a._dtype} != {b._dtype}")
        if a._shape[-1] != b._shape[-2]:
            sa = "x".join(str(s) for s in a._shape[-2:])
            sb = "x".join(str(s) for s in b._shape[-2:])
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and {sb})")
        ctx.save_for_backward(a, b)
        return _product(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        # Outside create_graph nothing is recorded: the products then skip the view op and
        # Function.apply (about 7 us each, a fifth of a small layer's backward)
        mm = Matmul.apply if STATE.enabled else _product
        ga = mm(g, b.mT if STATE.enabled else _transposed(b)) if n[0] else None
        gb = mm(a.mT if STATE.enabled else _transposed(a), g) if n[1] else None
        return ga, gb


class Linear(Function):
    """input @ weight.T + bias as one node (torch's AddmmBackward0): the input's batch dims
    fold into rows, the bias is added in place, and the weight's gradient comes out in the
    weight's own (out, in) layout, where the composite (a transposed view, a matmul and an
    add) made three nodes and a transposed gradient that optimizers had to copy."""

    _builtin = True
    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, x, w, b):
        device_of(x, w, *([b] if b is not None else []))
        if w._dtype is not x._dtype:  # torch's messages (from mm and addmm)
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                               f"{x._dtype} != {w._dtype}")
        if b is not None and b._dtype is not x._dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                               f"{pretty_dtype(b._dtype)} and {pretty_dtype(w._dtype)}")
        if b is not None and b._shape[0] not in (1, w._shape[0]):
            raise RuntimeError(f"The size of tensor a ({w._shape[0]}) must match the size of "
                               f"tensor b ({b._shape[0]}) at non-singleton dimension 1")
        rows = _as_rows(x)
        out = _np_matmul(rows, _transposed(w), (rows._shape[0], w._shape[0]), x._dtype)
        if b is not None:
            backend_of(out).binary(lib.EM_ADD, out, expand_to(b, out._shape), out, 1.0,
                                   name="linear")
        ctx.save_for_backward(x, w)
        return out if x.dim() == 2 else out.reshape(x._shape[:-1] + (w._shape[0],))

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        n = ctx.needs_input_grad
        if not STATE.enabled and x.dim() == 2:  # nothing recorded: bare products, as Matmul's
            gx = _product(g, w) if n[0] else None
            gw = _product(_transposed(g), x) if n[1] else None
            return gx, gw, g.sum(0) if n[2] else None
        g2 = g.reshape(-1, g.shape[-1])
        gx = (g2 @ w).reshape(x.shape) if n[0] else None
        gw = g2.mT @ x.reshape(-1, x.shape[-1]) if n[1] else None
        gb = g2.sum(0) if n[2] else None
        return gx, gw, gb


def _as_rows(x: Tensor) -> Tensor:
    """x (..., k) as a (rows, k) matrix for the kernels, copied only when its layout needs
    it; no autograd."""
    if x.dim() == 2:
        return x
    x = dense(x)
    k = x._shape[-1]
    return Tensor._make(x._storage, (x.numel() // k if k else 0, k), (k, 1), x._offset,
                        x._dtype)


def _transposed(x: Tensor) -> Tensor:
    """x.mT as a bare view, for operands that autograd never sees."""
    st = x._stride
    return Tensor._make(x._storage, x._shape[:-2] + (x._shape[-1], x._shape[-2]),
                        st[:-2] + (st[-1], st[-2]), x._offset, x._dtype)


def _product(a: Tensor, b: Tensor) -> Tensor:
    """a @ b with broadcast batch dims, for operands Matmul.forward has checked."""
    batch = a._shape[:-2] if a._shape[:-2] == b._shape[:-2] else broadcast_shapes(
        a._shape[:-2], b._shape[:-2])
    return _np_matmul(a, b, batch + (a._shape[-2], b._shape[-1]), a._dtype)


def matmul(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Matrix product with torch's 1-D, 2-D and batched broadcasting rules."""
    if input.__class__ is SparseCooTensor or other.__class__ is SparseCooTensor:
        from ..sparse._matmul import matmul_with_sparse
        r = matmul_with_sparse(input, other)
        return check_out(out, r, "matmul") if out is not None else r
    a, b = cast_low(input, other)  # autocast: float inputs in the region's low dtype
    if a.dim() == 0 or b.dim() == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.dim()}D and {b.dim()}D")
    if a._dtype is not b._dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a._dtype} != "
                           f"{b._dtype}")
    if a._dtype.is_complex:
        from .complex import matmul as complex_matmul  # four real GEMMs
        r = complex_matmul(a, b)
        return check_out(out, r, "matmul") if out is not None else r
    if a.dim() == 1 and b.dim() == 1:
        if a._shape[0] != b._shape[0]:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a._shape[0]}] and "
                               f"src [{b._shape[0]}] to have the same number of elements, but "
                               "got {} and {} elements respectively".format(a._shape[0],
                                                                            b._shape[0]))
        r = Matmul.apply(a.unsqueeze(0), b.unsqueeze(1)).reshape(())
    elif a.dim() == 1:
        r = Matmul.apply(a.unsqueeze(0), b).squeeze(-2)
    elif b.dim() == 1:
        r = Matmul.apply(a, b.unsqueeze(1)).squeeze(-1)
    elif a.dim() > 2 and b.dim() == 2:
        # batch dims against one matrix fold into rows, as torch does: one large GEMM (a view
        # when a's layout allows, else a copy) instead of a small one per batch entry, which
        # a transposed activation (seq-first attention) made 8x768 GEMMs by the hundred
        r = Matmul.apply(a.reshape(-1, a._shape[-1]), b).reshape(
            a._shape[:-1] + (b._shape[-1],))
    else:
        r = Matmul.apply(a, b)
    return check_out(out, r, "matmul") if out is not None else r


def mm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    if input.dim() != 2 or mat2.dim() != 2:
        raise RuntimeError(f"{'self' if input.dim() != 2 else 'mat2'} must be a matrix")
    return matmul(input, mat2, out=out)


def bmm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    if input.dim() != 3 or mat2.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if input.dim() != 3
                           else "batch2 must be a 3D tensor")
    if input._shape[0] != mat2._shape[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{input._shape[0]}, {input._shape[2]}] but got: "
                           f"[{mat2._shape[0]}, {mat2._shape[1]}].")
    return matmul(input, mat2, out=out)


def mv(input: Tensor, vec: Tensor, *, out=None) -> Tensor:
    if input.dim() != 2 or vec.dim() != 1:
        raise RuntimeError("vector + matrix @ vector expected, got " +
                           f"{input.dim()}, {vec.dim()}")
    return matmul(input, vec, out=out)


def dot(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    if input.dim() != 1 or other.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.dim()}D and {other.dim()}D "
                           "tensors")
    return matmul(input, other, out=out)


vdot = dot


def inner(input: Tensor, other: Tensor) -> Tensor:
    if input.dim() == 0 or other.dim() == 0:
        return input * other
    return tensordot(input, other, ([-1], [-1]))


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = outer


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2).

    Example:
        >>> ember.addmm(ember.ones(2, 2), ember.eye(2), ember.eye(2), beta=0.5)
        tensor([[1.5000, 0.5000],
                [0.5000, 1.5000]])
    """
    return _scale_add(input, mm, mat1, mat2, beta, alpha, out, "addmm")


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None) -> Tensor:
    return _scale_add(input, mv, mat, vec, beta, alpha, out, "addmv")


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> Tensor:
    return _scale_add(input, bmm, batch1, batch2, beta, alpha, out, "baddbmm")


def _bmm_sum(batch1: Tensor, batch2: Tensor) -> Tensor:
    return bmm(batch1, batch2).sum(0)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> Tensor:
    """beta * input + alpha * sum_i batch1[i] @ batch2[i]."""
    if batch1._dtype in (D.float16, D.bfloat16) and batch1.dim() == 3:
        # torch adds the products one batch at a time, each rounded as an addmm: in half
        # precision that order shows in the result
        # beta 0 ignores input, NaN included
        acc = zeros_like(input) if beta == 0 else input if beta == 1 else input * beta
        for i in range(batch1.shape[0]):
            acc = addmm(acc, batch1[i], batch2[i], alpha=alpha)
        return check_out(out, acc, "addbmm") if out is not None else acc
    return _scale_add(input, _bmm_sum, batch1, batch2, beta, alpha, out, "addbmm")


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None) -> Tensor:
    """beta * input + alpha * outer(vec1, vec2), rounded op by op in torch's order (alpha
    scales vec1), as its elementwise kernel computes it."""
    r = _combine(input, outer(vec1 if alpha == 1 else vec1 * alpha, vec2), beta, 1)
    return check_out(out, r, "addr") if out is not None else r


def _scale_add(input, product, a, b, beta, alpha, out, name):
    """beta * input + alpha * product(a, b). In float16/bfloat16 the sum and scaling are
    done in float32 and rounded once, as torch's reduced-precision GEMMs (CPU and cuBLAS)
    do: rounding the product first lost whole units of the result's last place where the
    two terms cancel."""
    reduced = a._dtype in (D.float16, D.bfloat16)
    if reduced and beta != 0 and input._dtype is a._dtype is b._dtype:
        r = _combine(input.float(), product(a.float(), b.float()), beta, alpha).to(a._dtype)
    elif reduced and beta == 0 and alpha != 1 and a._dtype is b._dtype:
        r = _combine(input, product(a.float(), b.float()), 0, alpha).to(a._dtype)
    else:
        r = _combine(input, product(a, b), beta, alpha)
    return check_out(out, r, name) if out is not None else r


def _combine(input, prod, beta, alpha):
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:  # torch ignores input entirely (even NaN) when beta is 0
        return prod
    return (input if beta == 1 else input * beta) + prod


def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    if isinstance(dims, int):
        da, db = list(range(a.dim() - dims, a.dim())), list(range(dims))
    else:
        da, db = ([dims[0]] if isinstance(dims[0], int) else list(dims[0]),
                  [dims[1]] if isinstance(dims[1], int) else list(dims[1]))
    da = [wrap_dim(d, a.dim()) for d in da]
    db = [wrap_dim(d, b.dim()) for d in db]
    for x, y in zip(da, db):
        if a._shape[x] != b._shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a._shape[x]} in dim {x} and second has size {b._shape[y]} in "
                               f"dim {y}")
    fa = [d for d in range(a.dim()) if d not in da]
    fb = [d for d in range(b.dim()) if d not in db]
    k = 1
    for d in da:
        k *= a._shape[d]
    am = a.permute(fa + da).reshape(-1, k)
    bm = b.permute(db + fb).reshape(k, -1)
    return mm(am, bm).reshape(tuple(a._shape[d] for d in fa) + tuple(b._shape[d] for d in fb))


def kron(input: Tensor, other: Tensor) -> Tensor:
    nd = max(input.dim(), other.dim())
    a = input.reshape((1,) * (nd - input.dim()) + input._shape)
    b = other.reshape((1,) * (nd - other.dim()) + other._shape)
    ai = a.reshape([v for s in a._shape for v in (s, 1)])
    bi = b.reshape([v for s in b._shape for v in (1, s)])
    return (ai * bi).reshape(tuple(x * y for x, y in zip(a._shape, b._shape)))


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along dim; the other dims broadcast.

    Example:
        >>> ember.linalg.cross(ember.tensor([1., 0., 0.]), ember.tensor([0., 1., 0.]))
        tensor([0., 0., 1.])
    """
    if input.dim() != other.dim():
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if input._dtype is not other._dtype:
        raise RuntimeError(f"linalg.cross: expected input and other to have the same dtype, "
                           f"got {pretty_dtype(input._dtype)} and {pretty_dtype(other._dtype)}")
    if input._dtype is D.bool_:
        raise NotImplementedError('"cross" not implemented for \'Bool\'')
    d = wrap_dim(dim, input.dim())
    if input._shape[d] != 3 or other._shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input._shape[d]} and {other._shape[d]}")
    shape = broadcast_shapes(input._shape, other._shape)
    a, b = input.expand(shape), other.expand(shape)
    # component i is a[i+1] b[i+2] - a[i+2] b[i+1], indices mod 3
    return a.roll(-1, d) * b.roll(-2, d) - a.roll(-2, d) * b.roll(-1, d)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of input - other (broadcast), as a 0-d tensor.

    Example:
        >>> ember.dist(ember.tensor([3.0, 4.0]), ember.zeros(2))
        tensor(5.)
    """
    from .reduce import vector_norm
    return vector_norm(input - other, p)


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """torch.cross: linalg.cross along dim, which defaults (deprecated, as in torch) to the
    first dim of size 3.

    Example:
        >>> ember.cross(ember.eye(3), ember.eye(3).roll(1, 0), dim=1)[0]
        tensor([0., -1., 0.])
    """
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated. Please "
                      "either pass the dim explicitly or simply use linalg.cross. The default "
                      "value of dim will change to agree with that of linalg.cross in a future "
                      "release.", UserWarning, stacklevel=2)
        dim = next((d for d, n in enumerate(input._shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return linalg_cross(input, other, dim=dim)


def trace(input: Tensor) -> Tensor:
    if input.dim() != 2:
        raise RuntimeError("trace: expected a matrix")
    return input.diagonal().sum()


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None):
    from .reduce import amax, amin, sum, vector_norm
    import math
    if ord == "fro":
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    d0, d1 = (wrap_dim(d, A.dim()) for d in dim)
    a = A.abs()
    if ord in (1, -1):
        s = sum(a, d0, keepdim=True)
        r = (amax if ord == 1 else amin)(s, d1, keepdim=True)
    elif ord in (math.inf, -math.inf):
        s = sum(a, d1, keepdim=True)
        r = (amax if ord == math.inf else amin)(s, d0, keepdim=True)
    elif ord in (2, -2, "nuc"):
        from .decompositions import svdvals
        s = svdvals(A.movedim((d0, d1), (-2, -1)))
        r = s.sum(-1) if ord == "nuc" else (amax if ord == 2 else amin)(s, -1)
        return r.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1)) if keepdim else r
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    return r if keepdim else r.squeeze((d0, d1))


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation: contracts operands pairwise through batched matmul."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, rhs = eq.split("->")
    else:
        lhs, rhs = eq, None
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ValueError("einsum(): more operands were provided than specified in the equation"
                         if len(operands) > len(terms) else
                         "einsum(): fewer operands were provided than specified in the equation")
    # expand ellipses into fresh uppercase-free symbols
    letters = [chr(c) for c in range(ord("A"), ord("Z") + 1) if chr(c) not in eq]
    ell_dims = 0
    for t, op in zip(terms, operands):
        if "..." in t:
            ell_dims = max(ell_dims, op.dim() - (len(t) - 3))
    ell = "".join(letters[:ell_dims])
    terms = [t.replace("...", ell[len(ell) - (op.dim() - (len(t) - 3)):]) if "..." in t else t
             for t, op in zip(terms, operands)]
    if rhs is None:
        counts = {}
        for t in terms:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        rhs = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        rhs = rhs.replace("...", ell)
    ops = []
    for t, op in zip(terms, operands):
        if len(t) != op.dim():
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(t)}) "
                               f"does not match the number of dimensions ({op.dim()}) for "
                               "operand {} and no ellipsis was given".format(len(ops)))
        op, t = _take_diagonals(op, t)
        ops.append((op, t))
    # sum out letters appearing in only one operand and not in the output
    while len(ops) > 1:
        (a, ta), (b, tb) = ops[0], ops[1]
        rest = "".join(t for _, t in ops[2:]) + rhs
        a, ta = _sum_private(a, ta, tb + rest)
        b, tb = _sum_private(b, tb, ta + rest)
        c, tc = _contract(a, ta, b, tb, rest)
        ops = [(c, tc)] + ops[2:]
    x, t = ops[0]
    x, t = _sum_private(x, t, rhs)
    return x.permute([t.index(c) for c in rhs]) if t != rhs else x


def _take_diagonals(op, t):
    while len(set(t)) != len(t):
        for i, c in enumerate(t):
            j = t.find(c, i + 1)
            if j >= 0:
                op = op.diagonal(0, i, j)
                t = t[:i] + t[i + 1:j] + t[j + 1:] + c
                break
    return op, t


def _sum_private(x, t, keep):
    drop = [i for i, c in enumerate(t) if c not in keep]
    if not drop:
        return x, t
    return x.sum(drop), "".join(c for i, c in enumerate(t) if i not in drop)


def _contract(a, ta, b, tb, rest):
    batch = [c for c in ta if c in tb and c in rest]
    contr = [c for c in ta if c in tb and c not in rest]
    left = [c for c in ta if c not in tb]
    right = [c for c in tb if c not in ta]
    size = {}
    for c, n in zip(ta, a._shape):
        size[c] = n
    for c, n in zip(tb, b._shape):
        size[c] = max(size.get(c, 1), n)

    def prod(cs):
        p = 1
        for c in cs:
            p *= size[c]
        return p

    a2 = a.permute([ta.index(c) for c in batch + left + contr])
    b2 = b.permute([tb.index(c) for c in batch + contr + right])
    a2 = a2.expand([size[c] for c in batch] + list(a2._shape[len(batch):]))
    b2 = b2.expand([size[c] for c in batch] + list(b2._shape[len(batch):]))
    am = a2.reshape(prod(batch), prod(left), prod(contr))
    bm = b2.reshape(prod(batch), prod(contr), prod(right))
    c = matmul(am, bm).reshape([size[x] for x in batch + left + right])
    return c, "".join(batch + left + right)
