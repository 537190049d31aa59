"""Random sampling: rand, randn, randint, randperm, normal, bernoulli, multinomial and the
in-place fillers. Every draw comes from a Generator (the default one unless given)."""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._device import as_device
from .._generator import default_generator
from .._tensor import Size, Tensor, _empty, _numel
from ..autograd.function import Function
from ._util import backend_of, pretty_dtype
from .creation import _finish, _shape, from_numpy


def _gen(generator):
    if generator is not None:
        return generator
    return default_generator


def _fill_uniform(t: Tensor, low: float, high: float, generator=None) -> Tensor:
    seed, counter = _gen(generator).take(t.numel())
    if t.device.type == "cpu":
        target = t if t.is_contiguous() else _empty(t._shape, t._dtype)
        backend_of(t).random_uniform(target, seed, counter, low, high)
        if target is not t:
            backend_of(t).copy(target, t)
    else:
        backend_of(t).random_uniform(t, seed, counter, low, high)
    t._storage.version += 1
    return t


def _fill_normal(t: Tensor, mean: float, std: float, generator=None) -> Tensor:
    seed, counter = _gen(generator).take(t.numel())
    target = t if t.is_contiguous() else _empty(t._shape, t._dtype, t.device)
    backend_of(t).random_normal(target, seed, counter, mean, std)
    if target is not t:
        backend_of(t).copy(target, t)
    t._storage.version += 1
    return t


def _bits(n: int, generator) -> np.ndarray:
    seed, counter = _gen(generator).take(n)
    from ..backends import cpu
    return cpu.random_bits(n, seed, counter)


def _float_dtype(dtype):
    dtype = dtype or D.get_default_dtype()
    if not dtype.is_floating_point:
        raise RuntimeError(f"\"check_uniform_bounds\" not implemented for '{dtype.name}'")
    return dtype


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Uniform samples in [0, 1); a complex dtype draws both parts so.

    Example:
        >>> ember.rand(2, dtype=ember.complex64).real.lt(1).all()
        tensor(True)
    """
    if dtype is not None and dtype.is_complex:
        t = _empty(_shape(size), dtype, as_device(device))
        _fill_uniform(_pairs(t), 0.0, 1.0, generator)
        return _finish(t, requires_grad)
    t = _empty(_shape(size), _float_dtype(dtype), as_device(device))
    return _finish(_fill_uniform(t, 0.0, 1.0, generator), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Standard normal samples; for a complex dtype, as torch, the real and imaginary
    parts are each N(0, 1/2), so E|z|^2 = 1.

    Example:
        >>> ember.randn(3, dtype=ember.complex64).shape
        ember.Size([3])
    """
    if dtype is not None and dtype.is_complex:
        t = _empty(_shape(size), dtype, as_device(device))
        _fill_normal(_pairs(t), 0.0, math.sqrt(0.5), generator)
        return _finish(t, requires_grad)
    t = _empty(_shape(size), _float_dtype(dtype), as_device(device))
    return _finish(_fill_normal(t, 0.0, 1.0, generator), requires_grad)


def _pairs(t: Tensor) -> Tensor:
    """A fresh complex tensor's interleaved (real, imag) pairs as a contiguous real view
    that the real samplers fill (torch draws complex samples in this order too)."""
    return Tensor._make(t._storage, t._shape + (2,), tuple(2 * s for s in t._stride) + (1,),
                        0, t._dtype.to_real())


def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return rand(input._shape, dtype=dtype or input._dtype, device=device or input.device,
                requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return randn(input._shape, dtype=dtype or input._dtype, device=device or input.device,
                 requires_grad=requires_grad)


def _randint_values(low: int, high: int, n: int, generator) -> np.ndarray:
    span = high - low
    bits = _bits(n, generator)
    return (bits % np.uint64(span)).astype(np.int64) + low


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):
    """Integers uniformly drawn from [low, high)."""
    if size is None and isinstance(high, (tuple, list, Size)):
        low, high, size = 0, low, high  # randint(high, size)
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing 1 required positional argument: 'size'")
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    shape = _shape((size,)) if not isinstance(size, int) else (size,)
    vals = _randint_values(int(low), int(high), _numel(shape), generator).reshape(shape)
    t = from_numpy(vals).to(dtype or D.int64)
    device = as_device(device)  # None: the default device, which `with ember.device(...)` sets
    if device.type != "cpu":
        t = t.to(device)
    return _finish(t, requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, input._shape, dtype=dtype or input._dtype,
                   device=device or input.device)


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1 (argsort of random keys with our C sort)."""
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    keys = from_numpy(_bits(n, generator).view(np.int64) & np.int64(2 ** 62 - 1))
    perm = keys.argsort()
    perm = perm if dtype in (None, D.int64) else perm.to(dtype)
    device = as_device(device)
    return perm.to(device) if device.type != "cpu" else perm


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False, out=None):
    """Normal samples; mean and std may be numbers or tensors (broadcast)."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        if isinstance(std, Tensor) and (std < 0).any().item():
            raise RuntimeError("normal expects all elements of std >= 0.0")
        from ._util import broadcast_shapes
        shp = broadcast_shapes(*(x._shape for x in (mean, std) if isinstance(x, Tensor)))
        z = _fill_normal(_empty(shp, ref._dtype, ref.device), 0.0, 1.0, generator)
        return z * std + mean
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    t = _empty(_shape((size,)) if not isinstance(size, int) else (size,),
               _float_dtype(dtype), as_device(device))
    return _finish(_fill_normal(t, float(mean), float(std), generator), requires_grad)


def bernoulli(input: Tensor, p=None, *, generator=None) -> Tensor:
    probs = input if p is None else input.new_full(input._shape, p)
    if probs.numel() and ((probs < 0) | (probs > 1)).any().item():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    u = _fill_uniform(_empty(input._shape, D.float64 if input._dtype is D.float64 else D.float32,
                             input.device), 0.0, 1.0, generator)
    return (u < probs).to(input._dtype if input._dtype.is_floating_point else D.float32)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator=None):
    """Indices sampled from the rows of input (unnormalised weights)."""
    if not input._dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{pretty_dtype(input._dtype)}")
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    probs = input if input.dim() == 2 else input.unsqueeze(0)
    n = probs._shape[-1]
    if (probs < 0).any().item() or not probs.isfinite().all().item():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (probs.sum(-1) <= 0).any().item():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    p = probs.double()
    if replacement:
        cdf = (p / p.sum(-1, keepdim=True)).cumsum(-1)
        u = _fill_uniform(_empty((p._shape[0], num_samples), D.float64, p.device), 0.0, 1.0,
                          generator)
        from .sort import searchsorted
        idx = searchsorted(cdf.contiguous(), u.contiguous(), right=True).clamp(max=n - 1)
    else:
        # Gumbel-top-k: the k largest of log p + Gumbel noise are a sample without replacement
        u = _fill_uniform(_empty(p._shape, D.float64, p.device), 1e-300, 1.0, generator)
        keys = p.log() - (-u.log()).log()
        idx = keys.topk(num_samples, -1).indices
    return idx if input.dim() == 2 else idx.squeeze(0)


# ---- in-place fillers (Tensor methods) ---------------------------------------------------------

def _check_fill(t):
    t._check_inplace_allowed()  # a leaf that requires grad, or an inference tensor


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
    _check_fill(t)
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={a:g} > to={b:g}")
    return _fill_uniform(t, float(a), float(b), generator)


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    _check_fill(t)
    return _fill_normal(t, float(mean), float(std), generator)


def exponential_(t: Tensor, lambd: float = 1.0, *, generator=None) -> Tensor:
    _check_fill(t)
    u = _fill_uniform(_empty(t._shape, t._dtype, t.device), 0.0, 1.0, generator)
    t.copy_(-(1 - u).log() / lambd)
    return t


def random_(t: Tensor, from_=0, to=None, *, generator=None) -> Tensor:
    _check_fill(t)
    if to is None:
        if t._dtype.is_floating_point:  # every integer the dtype holds exactly
            to = 2 ** {D.float32: 24, D.float64: 53, D.float16: 11, D.bfloat16: 8}[t._dtype]
        else:
            to = D.iinfo(t._dtype).max + 1 if t._dtype is not D.bool_ else 2
    vals = _randint_values(int(from_), int(to), t.numel(), generator).reshape(t._shape)
    t.copy_(from_numpy(vals))
    return t


def bernoulli_(t: Tensor, p=0.5, *, generator=None) -> Tensor:
    _check_fill(t)
    probs = p if isinstance(p, Tensor) else t.new_full(t._shape, p, dtype=D.float32)
    u = _fill_uniform(_empty(t._shape, D.float32, t.device), 0.0, 1.0, generator)
    t.copy_(u < probs)
    return t


def cauchy_(t: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    u = _fill_uniform(_empty(t._shape, t._dtype, t.device), 0.0, 1.0, generator)
    t.copy_(median + sigma * ((u - 0.5) * math.pi).tan())
    return t


def log_normal_(t: Tensor, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    """Fills t with exp(N(mean, std^2)) draws."""
    _check_fill(t)
    if not t._dtype.is_floating_point:
        raise NotImplementedError(f"\"log_normal_cpu\" not implemented for "
                                  f"'{pretty_dtype(t._dtype)}'")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    n = _fill_normal(_empty(t._shape, t._dtype, t.device), float(mean), float(std), generator)
    t.copy_(n.exp())
    return t


def geometric_(t: Tensor, p: float, *, generator=None) -> Tensor:
    """Fills t with the number of Bernoulli(p) trials up to the first success (1, 2, ...):
    ceil(log(U) / log(1 - p)) for U uniform in (0, 1]."""
    _check_fill(t)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    u = _fill_uniform(_empty(t._shape, D.float64, t.device), 0.0, 1.0, generator)
    t.copy_(((1 - u).log() / math.log1p(-p)).ceil().clamp_min(1))
    return t


# ---- gamma and Poisson (C samplers in csrc/random.c) ------------------------------------

def _sampler_input(input: Tensor, op: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if not input._dtype.is_floating_point or input._dtype.is_complex:
        raise RuntimeError(f"\"{op}_{input.device.type}\" not implemented for "
                           f"'{pretty_dtype(input._dtype)}'")
    if input.device.type not in ("cpu", "cuda"):
        raise NotImplementedError(f"{op}: ember has no {input.device.type} kernel for this "
                                  "sampler")
    return input.detach().to(D.float64 if input._dtype is D.float64 else D.float32).contiguous()


def _run_sampler(input: Tensor, op: str, kernel: str, generator) -> Tensor:
    """One sample per element of input, by the C kernel on the CPU or its CUDA twin (the
    same Philox layout, so one seed gives the same numbers on both up to libm rounding)."""
    src = _sampler_input(input, op)
    out = _empty(src._shape, src._dtype, src.device)
    seed, counter = _gen(generator).take(max(src.numel(), 1))
    if src.numel():
        getattr(backend_of(src), kernel)(src, out, seed, counter)
    return out if out._dtype is input._dtype else out.to(input._dtype)


class _StandardGamma(Function):
    _builtin = True

    @staticmethod
    def forward(ctx, alpha, generator):
        out = _run_sampler(alpha, "_standard_gamma", "random_gamma", generator)
        if out.numel():  # as torch: an underflowing sample is the smallest normal float
            from .. import finfo
            out.clamp_(min=finfo(out._dtype).tiny)
        ctx.save_for_backward(alpha, out)
        return out

    @staticmethod
    def backward(ctx, g):
        alpha, out = ctx.saved_tensors
        return g * _standard_gamma_grad(alpha, out), None


def _standard_gamma(input: Tensor, generator=None) -> Tensor:
    """Samples of Gamma(input, 1), one per element; differentiable in input by implicit
    reparameterization (``_standard_gamma_grad``), as ``torch._standard_gamma``.

    Example:
        >>> ember._standard_gamma(ember.full((3,), 2.5)).shape
        ember.Size([3])
    """
    return _StandardGamma.apply(input, generator)


def _standard_gamma_grad(input: Tensor, output: Tensor) -> Tensor:
    """d output / d input for samples ``output`` of Gamma(input, 1): minus the derivative
    of the gamma CDF in its shape over the density, as ``torch._standard_gamma_grad``."""
    from ._util import broadcast_shapes
    if input.device.type not in ("cpu", "cuda"):
        raise NotImplementedError("_standard_gamma_grad: ember has no "
                                  f"{input.device.type} kernel for it")
    if output.device != input.device:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at "
                           f"least two devices, {input.device} and {output.device}!")
    dtype = D.float64 if input._dtype is D.float64 else D.float32
    shape = broadcast_shapes(input._shape, output._shape)
    a = input.detach().to(dtype).expand(shape).contiguous()
    x = output.detach().to(dtype).expand(shape).contiguous()
    out = _empty(shape, dtype, input.device)
    if out.numel():
        backend_of(out).standard_gamma_grad(a, x, out)
    return out if out._dtype is input._dtype else out.to(input._dtype)


def binomial(count: Tensor, prob: Tensor, generator=None) -> Tensor:
    """Binomial(count, prob) samples, one per element (count truncated to an integer), as
    ``torch.binomial``; not differentiable.

    Example:
        >>> ember.binomial(ember.full((3,), 10.0), ember.full((3,), 0.5)).shape
        ember.Size([3])
    """
    if isinstance(count, Tensor) and not count._dtype.is_floating_point:
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: "
                         f"{pretty_dtype(count._dtype)}")
    src = _sampler_input(count, "binomial")
    p = _sampler_input(prob, "binomial")
    if count._dtype is not prob._dtype:
        raise RuntimeError(f"Found dtype {pretty_dtype(prob._dtype)} but expected "
                           f"{pretty_dtype(count._dtype)}")
    if src._shape != p._shape:  # torch resizes its output here (deprecated): refuse instead
        raise RuntimeError(f"binomial: count of shape {list(src._shape)} and prob of shape "
                           f"{list(p._shape)} must have the same shape")
    if src.device != p.device:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at "
                           f"least two devices, {src.device} and {p.device}!")
    out = _empty(src._shape, src._dtype, src.device)
    seed, counter = _gen(generator).take(max(src.numel(), 1))
    if src.numel():
        backend_of(src).random_binomial(src, p, out, seed, counter)
    return out if out._dtype is count._dtype else out.to(count._dtype)


def poisson(input: Tensor, generator=None) -> Tensor:
    """Poisson counts with rates ``input`` (same shape and dtype), as ``torch.poisson``;
    not differentiable (the gradient is zero, as torch's).

    Example:
        >>> ember.poisson(ember.full((2,), 4.0)).shape
        ember.Size([2])
    """
    if isinstance(input, Tensor) and input.numel() and (input < 0).any().item():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    return _run_sampler(input, "poisson", "random_poisson", generator)
