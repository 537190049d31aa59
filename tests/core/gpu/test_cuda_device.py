"""The CUDA backend against the CPU backend, op by op (needs CuPy and a GPU; skipped
otherwise). Each check runs the same function on CPU and CUDA tensors made from the
same NumPy arrays and compares outputs and gradients."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.backends import cpu as CPU
from ember.backends.cuda import kernels as K

pytestmark = pytest.mark.skipif(not ember.cuda.is_available(), reason="needs CuPy and a GPU")

RNG = np.random.default_rng(0)


def _np(t):
    return np.asarray(t.detach().cpu().float() if t.dtype == ember.bfloat16 else
                      t.detach().cpu())


def both(fn, *arrays, dtype=ember.float32, grad=False, rtol=1e-5, atol=1e-6):
    """fn on CPU and CUDA tensors from arrays; compares results (and input grads)."""
    outs, grads = [], []
    for dev in ("cpu", "cuda"):
        ts = [ember.tensor(a, dtype=dtype if np.asarray(a).dtype.kind == "f" else None,
                           device=dev, requires_grad=grad and np.asarray(a).dtype.kind == "f")
              for a in arrays]
        y = fn(*ts)
        assert y.device.type == dev
        if grad:
            y.float().sum().backward() if y.dim() == 0 else (y.float() * ember.linspace(
                -1, 1, y.numel(), device=dev).reshape(y.shape)).sum().backward()
            grads.append([_np(t.grad) for t in ts if t.grad is not None])
        outs.append(_np(y))
    np.testing.assert_allclose(outs[1], outs[0], rtol=rtol, atol=atol, equal_nan=True)
    for gc, gg in zip(*grads) if grad else ():
        np.testing.assert_allclose(gg, gc, rtol=rtol * 10, atol=atol * 10)


# ---- memory, devices, transfers ---------------------------------------------------------

def test_cuda_transfer_roundtrip_every_dtype():
    a = RNG.standard_normal((3, 5)) * 10
    for dt in (ember.float32, ember.float64, ember.float16, ember.bfloat16, ember.int8,
               ember.int16, ember.int32, ember.int64, ember.uint8, ember.bool):
        c = ember.tensor(a).to(dt)
        g = c.to("cuda")
        assert g.device.type == "cuda" and g.dtype == dt
        assert ember.equal(g.cpu(), c)
        assert ember.equal(g.t().contiguous().cpu(), c.t().contiguous())  # strided copy
    assert ember.equal(ember.arange(6).cuda().to(ember.float32).cpu(), ember.arange(6.0))


def test_cuda_pinned_memory_and_non_blocking_copies():
    """pin_memory copies into page-locked memory (once: a pinned tensor pins as itself);
    non_blocking copies from it, and back into pinned memory, give the same values once
    the stream is synchronized; DataLoader(pin_memory=True) pins every tensor of a batch."""
    a = RNG.standard_normal((4, 6)).astype(np.float32)
    host = ember.tensor(a)
    pinned = host.pin_memory()
    assert pinned.is_pinned() and not host.is_pinned() and pinned.pin_memory() is pinned
    assert ember.equal(pinned, host)
    assert ember.empty(3, pin_memory=True).is_pinned()
    assert ember.tensor([1, 2], pin_memory=True).is_pinned()
    strided = ember.empty_strided((2, 3), (1, 2), pin_memory=True)
    assert strided.is_pinned() and strided.stride() == (1, 2)
    g = pinned.to("cuda", non_blocking=True)
    back = g.t().to("cpu", non_blocking=True)
    ember.cuda.synchronize()
    assert back.is_pinned() and ember.equal(back, host.t())
    assert ember.equal(pinned.cuda(non_blocking=True).cpu(), host)
    with pytest.raises(RuntimeError, match="only dense CPU tensors can be pinned"):
        g.pin_memory()
    data = ember.utils.data.TensorDataset(ember.arange(8.0), ember.arange(8))
    batches = list(ember.utils.data.DataLoader(data, batch_size=4, pin_memory=True))
    assert all(t.is_pinned() for batch in batches for t in batch)
    assert ember.equal(batches[1][0], ember.arange(4.0, 8.0))


def test_cuda_casts_every_dtype_pair():
    """Casting a whole contiguous tensor (the raw kernel path; autocast's casts) and a
    strided one (CuPy's elementwise path) gives the CPU's values for every pair, with
    lengths that leave a tail past the last 16-byte vector."""
    dtypes = (ember.float32, ember.float64, ember.float16, ember.bfloat16, ember.int8,
              ember.int16, ember.int32, ember.int64, ember.uint8, ember.bool)
    a = RNG.standard_normal(37) * 50
    for src in dtypes:
        c = ember.tensor(a).to(src)
        g = c.cuda()
        for dst in dtypes:
            assert ember.equal(g.to(dst).cpu(), c.to(dst)), (src, dst)
            assert ember.equal(g[::2].to(dst).cpu(), c[::2].to(dst)), (src, dst)


def test_cuda_mixed_device_error():
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        ember.ones(3, device="cuda") + ember.ones(3)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        F.cross_entropy(ember.randn(4, 3, device="cuda"), ember.tensor([0, 1, 2, 0]))


def test_cuda_inplace_ops_refuse_another_device():
    """add_/sub_/mul_ without a graph took a CUDA operand into a CPU tensor (and back)
    silently; torch raises, except for a 0-d CPU operand, which counts as a number."""
    for self_dev, other_dev in (("cpu", "cuda"), ("cuda", "cpu")):
        t = ember.zeros(3, device=self_dev)
        for op in (t.add_, t.sub_, t.mul_):
            with pytest.raises(RuntimeError, match="Expected all tensors to be on the same"):
                op(ember.ones(3, device=other_dev))
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        F.batch_norm(ember.randn(4, 3, 5, device="cuda"), ember.zeros(3), ember.ones(3),
                     training=True)
    t = ember.ones(3, device="cuda")
    t.mul_(ember.tensor(2.0))
    assert t.tolist() == [2.0, 2.0, 2.0]


def test_random_integers_follow_the_default_device():
    with ember.device("cuda"):
        assert ember.randint(0, 4, (16,)).device.type == "cuda"
        assert ember.randperm(5).device.type == "cuda"


def test_cuda_memory_stats_streams_events():
    ember.cuda.reset_peak_memory_stats()
    before = ember.cuda.memory_allocated()
    x = ember.empty(1 << 20, device="cuda")
    assert ember.cuda.memory_allocated() >= before + 4 * (1 << 20)
    assert ember.cuda.max_memory_allocated() >= ember.cuda.memory_allocated()
    s = ember.cuda.Stream()
    start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
    with ember.cuda.stream(s):
        start.record(s)
        y = x.fill_(2.0) * 3
        end.record(s)
    s.synchronize()
    assert start.elapsed_time(end) >= 0 and y[0].item() == 6.0
    with ember.cuda.device(0):
        assert ember.cuda.current_device() == 0
    assert ember.cuda.get_device_name()
    del x, y


# ---- elementwise ---------------------------------------------------------------------

_PARAMS = {"logit": (0.1,), "softplus": (1.0, 20.0), "elu": (1.0, 1.0, 1.0),
           "leaky_relu": (0.01,), "clamp": (-0.5, 0.5), "hardtanh": (-0.5, 0.5),
           "threshold": (0.2, -1.0), "nan_to_num": (0.0, 9.0, -9.0), "round_decimals": (2, 100),
           "celu": (1.0,), "pow_scalar": (3.0,), "rpow_scalar": (2.0,)}


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64, ember.float16, ember.bfloat16])
def test_cuda_every_float_unary_op_matches_cpu(dtype):
    x = np.concatenate([RNG.uniform(-3, 3, 200), [0.0, -0.0, 0.5, 1.0, 2.5, np.inf, -np.inf,
                                                  np.nan]])
    tol = {ember.float32: 2e-5, ember.float64: 1e-12, ember.float16: 2e-3,
           ember.bfloat16: 1e-2}[dtype]
    # every op in float32; a sample in the others (each (op, dtype) is one NVRTC compile)
    sample = ("exp", "log1p", "sigmoid", "gelu", "gelu_tanh", "silu", "erfinv", "round",
              "nan_to_num", "pow_scalar")
    for op, name in enumerate(K.UNARY_OPS):
        if name == "bitwise_not" or (dtype != ember.float32 and name not in sample):
            continue
        p = _PARAMS.get(name, ()) + (0.0, 0.0, 0.0)
        res = []
        for dev, be in (("cpu", CPU), ("cuda", ember.backends.cuda)):
            t = ember.tensor(x, device=dev).to(dtype)
            out = ember.empty(t.shape, dtype=dtype, device=dev)
            be.unary(op, t, out, *p[:3])
            res.append(_np(out))
        np.testing.assert_allclose(res[1], res[0], rtol=tol, atol=tol, equal_nan=True,
                                   err_msg=f"{name} {dtype}")


@pytest.mark.parametrize("dtype", [ember.float32, ember.int64, ember.int32, ember.uint8,
                                   ember.bfloat16])
def test_cuda_binary_compare_where_broadcast_strided(dtype):
    a = RNG.integers(-20, 20, (4, 6)).astype(np.float64)
    b = RNG.integers(1, 9, (6,)).astype(np.float64)
    if dtype == ember.uint8:
        a = np.abs(a)
    for fn in (lambda x, y: x + y, lambda x, y: x - 2 * y, lambda x, y: x * y,
               lambda x, y: ember.maximum(x, y), lambda x, y: ember.remainder(x, y),
               lambda x, y: ember.floor_divide(x, y), lambda x, y: (x.t()[:, :4] + 1).t(),
               lambda x, y: (x > y).to(x.dtype), lambda x, y: ember.where(x > 0, x, y)):
        both(lambda x, y, fn=fn: fn(x.to(dtype), y.to(dtype)), a, b, dtype=ember.float64)
    if dtype.is_floating_point:
        both(lambda x, y: x / y + x ** 2, a, b, dtype=dtype, rtol=1e-2 if dtype ==
             ember.bfloat16 else 1e-6)


def test_cuda_autograd_elementwise():
    x = RNG.standard_normal((5, 7))
    both(lambda t: (F.gelu(t) * t.sigmoid() + t.tanh()).exp(), x, grad=True, rtol=1e-5)


# ---- reductions, scans, sorting, indexing ---------------------------------------------------

def test_cuda_reductions():
    x = RNG.standard_normal((4, 5, 6))
    for fn in (lambda t: t.sum(), lambda t: t.sum((0, 2)), lambda t: t.mean(1, keepdim=True),
               lambda t: t.amax(2), lambda t: t.prod(0), lambda t: t.var(1),
               lambda t: (t > 0).all(1).float(), lambda t: (t > 2).any().float(),
               lambda t: t.argmax(1).float(), lambda t: t.min(0).values,
               lambda t: t.max(2).indices.float(), lambda t: t.logsumexp(1),
               lambda t: t.norm()):
        both(fn, x, rtol=1e-5)
    both(lambda t: t.sum(), x, dtype=ember.bfloat16, rtol=1e-2, atol=1e-2)
    both(lambda t: t.sum(1, dtype=ember.int64).float(), RNG.integers(0, 9, (3, 4)))


def test_cuda_scans_and_sorts():
    x = np.round(RNG.standard_normal((3, 17)), 1)
    x[0, 3] = np.nan
    for fn in (lambda t: t.cumsum(1), lambda t: t.cumprod(1), lambda t: t.cummax(1).values,
               lambda t: t.cummin(1).indices.float(), lambda t: t.logcumsumexp(1),
               lambda t: t.sort(1).values, lambda t: t.sort(1).indices.float(),
               lambda t: t.sort(1, descending=True, stable=True).indices.float(),
               lambda t: t.argsort(0).float(), lambda t: t.topk(4, 1).values):
        both(fn, x, rtol=1e-5)


def test_cuda_indexing_get_put_accumulate():
    x = RNG.standard_normal((6, 4))
    idx = np.array([0, 2, 2, 5])
    both(lambda t, i: t[i], x, idx)
    both(lambda t, i: t[i, 1:], x, idx)
    both(lambda t: t[t > 0], x)

    def put(t, i):
        t = t.clone()
        t.index_put_((i,), ember.ones(4, 4, device=t.device), accumulate=True)
        return t
    both(put, x, idx)
    both(lambda t, i: t.index_add(0, i, ember.ones(4, 4, device=t.device) * 2), x, idx)
    both(lambda t, i: t.gather(1, i.reshape(4, 1) % 4), x[:4], idx)
    with pytest.raises(IndexError):
        ember.zeros(3, device="cuda")[ember.tensor([5], device="cuda")]


def test_cuda_raw_kernels_launch_through_the_driver(monkeypatch):
    """ember's raw kernels go straight to cuLaunchKernel with their arguments in a slot
    buffer (backends/cuda/launch.py), not through CuPy's per-argument call: every kind
    of argument (addresses, int64, int32, float64) arrives as the kernel's own type."""
    cp = ember.cuda.require()
    launched = []
    real = cp.cuda.driver.launchKernel
    monkeypatch.setattr(cp.cuda.driver, "launchKernel",
                        lambda *args: (launched.append(args[0]), real(*args)))
    x = ember.tensor(RNG.standard_normal((5, 7)), device="cuda", dtype=ember.float32)
    y = F.softmax(x, 1)  # int32, addresses and int64
    np.testing.assert_allclose(_np(y), _np(F.softmax(x.cpu(), 1)), rtol=1e-5, atol=1e-6)
    p = ember.ones(10, device="cuda", requires_grad=True)
    opt = ember.optim.SGD([p], lr=0.5, momentum=0.9, weight_decay=0.1)
    p.sum().backward()
    opt.step()  # float64 scalars
    np.testing.assert_allclose(_np(p), np.full(10, 1 - 0.5 * 1.1), rtol=1e-6)
    assert len(launched) >= 2


def test_cuda_random_matches_cpu_for_the_same_seed():
    for dt in (ember.float32, ember.float64, ember.bfloat16):
        ember.manual_seed(3)
        c = ember.rand(1001, dtype=dt)
        ember.manual_seed(3)
        g = ember.rand(1001, dtype=dt, device="cuda")
        assert ember.equal(g.cpu(), c)
    ember.manual_seed(4)
    c = ember.randn(999, dtype=ember.float64)
    ember.manual_seed(4)
    g = ember.randn(999, dtype=ember.float64, device="cuda")
    np.testing.assert_allclose(_np(g), _np(c), rtol=1e-12, atol=1e-12)
    ember.manual_seed(5)
    c = ember.randn(999)
    ember.manual_seed(5)
    g = ember.randn(999, device="cuda")
    np.testing.assert_allclose(_np(g), _np(c), rtol=1e-5, atol=1e-5)


# ---- matmul ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype,tol", [(ember.float32, 1e-5), (ember.float64, 1e-12),
                                       (ember.float16, 2e-2), (ember.bfloat16, 5e-2)])
def test_cuda_matmul(dtype, tol):
    a, b = RNG.standard_normal((2, 3, 33, 17)), RNG.standard_normal((17, 9))
    both(lambda x, y: x @ y, a, b, dtype=dtype, rtol=tol, atol=tol, grad=dtype in (
        ember.float32, ember.float64))
    both(lambda x, y: x.mT @ y, RNG.standard_normal((17, 5)), b, dtype=dtype, rtol=tol,
         atol=tol)


def test_cuda_tf32_flag():
    assert ember.backends.cuda.matmul.allow_tf32 is False
    a = ember.randn(256, 256, device="cuda")
    exact = (a.double() @ a.double()).float()
    np.testing.assert_allclose(_np(a @ a), _np(exact), rtol=1e-4, atol=1e-4)
    ember.backends.cuda.matmul.allow_tf32 = True
    try:
        err = (a @ a - exact).abs().max().item()
        assert err < 0.5
    finally:
        ember.backends.cuda.matmul.allow_tf32 = False


# ---- nn ---------------------------------------------------------------------------------

def test_cuda_softmax_layer_norm_cross_entropy():
    x = RNG.standard_normal((6, 11))
    both(lambda t: F.softmax(t, 1), x, grad=True)
    both(lambda t: F.log_softmax(t, 0), x, grad=True)
    both(lambda t: F.layer_norm(t, (11,)), x, grad=True, rtol=1e-4)
    w, b = RNG.standard_normal(11), RNG.standard_normal(11)
    both(lambda t, w_, b_: F.layer_norm(t, (11,), w_, b_), x, w, b, grad=True, rtol=1e-4)
    tgt = np.array([0, 3, 10, -100, 5, 1])
    cw = RNG.uniform(0.5, 2, 11)
    both(lambda t, y: F.cross_entropy(t, y), x, tgt, grad=True)
    # class weights are not differentiable (torch refuses them with requires_grad)
    both(lambda t, y, w_: F.cross_entropy(t, y, w_.detach(), label_smoothing=0.1), x, tgt, cw,
         grad=True, rtol=1e-4)
    with pytest.raises(IndexError):
        F.cross_entropy(ember.zeros(2, 3, device="cuda"), ember.tensor([0, 7], device="cuda"))


def test_cuda_batch_norm_conv_pool():
    x = RNG.standard_normal((2, 4, 9, 9))
    w = RNG.standard_normal((6, 2, 3, 3)) * 0.3
    b = RNG.standard_normal(6)
    both(lambda t, w_, b_: F.conv2d(t, w_, b_, stride=2, padding=1, groups=2), x, w, b,
         grad=True, rtol=1e-4)
    both(lambda t, w_: F.conv2d(t, w_, dilation=2), x, RNG.standard_normal((3, 4, 3, 3)),
         grad=True, rtol=1e-4)
    g, bb = RNG.uniform(0.5, 2, 4), RNG.standard_normal(4)
    both(lambda t, g_, b_: F.batch_norm(t, None, None, g_, b_, training=True), x, g, bb,
         grad=True, rtol=1e-4)
    both(lambda t: F.max_pool2d(t, 3, 2, 1), x, grad=True)
    both(lambda t: F.avg_pool2d(t, 3, 2, 1, count_include_pad=False), x, grad=True)
    # rows longer than a 1024-element segment, several blocks per channel, an offset mean
    # (the Welford merges), and BatchNorm1d's one-element rows
    for shape in ((16, 3, 40, 60), (100, 5)):
        big = RNG.standard_normal(shape) * 3 + 50
        both(lambda t: F.batch_norm(t, None, None, training=True), big, grad=True,
             rtol=1e-4, atol=1e-4)
    both(lambda t: F.adaptive_avg_pool2d(t, (4, 3)), x, grad=True)
    both(lambda t: F.adaptive_max_pool2d(t, 2), x, grad=True)


def test_cuda_pointwise_convolutions():
    """1x1 kernels at stride 1 without padding multiply x in place (no window matrix):
    forward, input and weight gradients, and the transposed convolution, against the CPU."""
    x = RNG.standard_normal((3, 5, 4, 6))
    w, b = RNG.standard_normal((7, 5, 1, 1)) * 0.3, RNG.standard_normal(7)
    both(lambda t, w_, b_: F.conv2d(t, w_, b_), x, w, b, grad=True, rtol=1e-4)
    both(lambda t, w_: F.conv2d(t, w_, stride=2), x, w, grad=True, rtol=1e-4)
    both(lambda t, w_: F.conv_transpose2d(t, w_), x, RNG.standard_normal((5, 7, 1, 1)),
         grad=True, rtol=1e-4)
    both(lambda t, w_: F.conv_transpose2d(t, w_, stride=2, output_padding=1), x,
         RNG.standard_normal((5, 7, 1, 1)), grad=True, rtol=1e-4)
    both(lambda t, w_: F.conv2d(t, w_), x, w, grad=True, dtype=ember.bfloat16, rtol=3e-2,
         atol=3e-2)


@pytest.mark.parametrize("dtype,tol", [(ember.float32, 1e-4), (ember.float64, 1e-10),
                                       (ember.float16, 2e-2), (ember.bfloat16, 5e-2)])
def test_cuda_convolutions_on_cudnn(dtype, tol, monkeypatch):
    """Where cuDNN's library loads, convolutions run on it: forward, input and weight
    gradients of plain, strided, dilated, grouped, depthwise and transposed convolutions,
    with the heuristics' engines and with the fastest ones ``cudnn.benchmark`` times,
    match the im2col path (``cudnn.enabled = False``), which the tests above hold to the
    CPU."""
    from ember.backends.cuda import cudnn_conv
    if not ember.backends.cudnn.is_available():
        pytest.skip("needs cuDNN's library (the nvidia-cudnn-cu13 wheel)")
    assert ember.backends.cudnn.version() >= 90000
    cases = [
        ((2, 4, 9, 9), (6, 4, 3, 3), dict(padding=1)),
        ((2, 4, 9, 9), (6, 2, 3, 3), dict(stride=2, padding=1, groups=2)),
        ((2, 4, 9, 9), (3, 4, 3, 3), dict(dilation=2)),
        ((2, 4, 8, 8), (4, 1, 3, 3), dict(padding=1, groups=4)),
        ((3, 5, 6, 7), (8, 5, 1, 1), dict()),
        ((2, 3, 20, 20), (8, 3, 7, 7), dict(stride=2, padding=3)),
    ]
    cudnn_conv._forget_plans()
    for xs, ws, kw in cases:
        x, w = RNG.standard_normal(xs), RNG.standard_normal(ws) * 0.3
        results = []
        for enabled, benchmark in ((True, False), (True, True), (False, False)):
            monkeypatch.setattr(ember.backends.cudnn, "enabled", enabled)
            monkeypatch.setattr(ember.backends.cudnn, "benchmark", benchmark)
            xe = ember.tensor(x, dtype=dtype, device="cuda", requires_grad=True)
            we = ember.tensor(w, dtype=dtype, device="cuda", requires_grad=True)
            y = F.conv2d(xe, we, **kw)
            y.float().pow(2).sum().backward()
            results.append([_np(t) for t in (y, xe.grad, we.grad)])
            geometry = {k: kw[k] for k in ("stride", "padding", "dilation", "groups") if k in kw}
            yt = F.conv_transpose2d(y.detach(), we.detach(), **geometry)
            results[-1].append(_np(yt))
        for on_cudnn in results[:2]:
            for a, b in zip(on_cudnn, results[2]):
                scale = max(np.abs(b).max(), 1.0)
                np.testing.assert_allclose(a, b, rtol=tol, atol=tol * scale)
    assert cudnn_conv._plans, "no convolution ran on cuDNN"
    monkeypatch.setattr(ember.backends.cudnn, "benchmark", False)
    # deterministic algorithms: the weight gradient twice, bit for bit
    x = ember.randn(8, 16, 14, 14, device="cuda")
    g = ember.randn(8, 32, 14, 14, device="cuda")
    monkeypatch.setattr(ember.backends.cudnn, "enabled", True)
    monkeypatch.setattr(ember.backends.cudnn, "deterministic", True)
    w = ember.randn(32, 16, 3, 3, device="cuda", requires_grad=True)
    grads = []
    for _ in range(2):
        w.grad = None
        (F.conv2d(x, w, padding=1) * g).sum().backward()
        grads.append(_np(w.grad))
    np.testing.assert_array_equal(grads[0], grads[1])


def test_cuda_batch_norm_reads_half_inputs():
    """Half inputs with float32 weight, bias and running statistics (BatchNorm2d under
    autocast): CUDA's kernels read x as it is, the CPU computes in float32; both return
    x's dtype, and agree on outputs, gradients and running statistics."""
    x = RNG.standard_normal((4, 3, 5, 7)) * 2 + 1
    g, b = RNG.uniform(0.5, 2, 3), RNG.standard_normal(3)
    for dtype in (ember.bfloat16, ember.float16):
        res = {}
        for dev in ("cpu", "cuda"):
            xt = ember.tensor(x, device=dev).to(dtype).requires_grad_()
            gt, bt = (ember.tensor(a, dtype=ember.float32, device=dev, requires_grad=True)
                      for a in (g, b))
            rm, rv = ember.zeros(3, device=dev), ember.ones(3, device=dev)
            y = F.batch_norm(xt, rm, rv, gt, bt, training=True, momentum=0.3)
            (y.float() * ember.linspace(-1, 1, y.numel(), device=dev).reshape(y.shape)
             ).sum().backward()
            ev = F.batch_norm(xt, rm, rv, gt, bt, training=False)
            assert y.dtype == ev.dtype == xt.grad.dtype == dtype
            assert gt.grad.dtype == rm.dtype == ember.float32
            res[dev] = [_np(t) for t in (y, xt.grad, gt.grad, bt.grad, rm, rv, ev)]
        for on_cpu, on_cuda in zip(res["cpu"], res["cuda"]):
            np.testing.assert_allclose(on_cuda, on_cpu, rtol=2e-2, atol=2e-2)


def test_cuda_optimizers_match_cpu():
    for make in (lambda p: ember.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
                 lambda p: ember.optim.Adam(p, lr=0.01, weight_decay=0.1),
                 lambda p: ember.optim.RMSprop(p, lr=0.01, momentum=0.9, centered=True),
                 lambda p: ember.optim.RMSprop(p, lr=0.01, weight_decay=0.1),
                 lambda p: ember.optim.Adagrad(p, lr=0.1, weight_decay=0.1)):
        res = []
        for dev in ("cpu", "cuda"):
            ember.manual_seed(0)
            p = ember.randn(50, device=dev).requires_grad_()
            opt = make([p])
            for _ in range(3):
                opt.zero_grad()
                (p * p).sum().backward()
                opt.step()
            res.append(_np(p))
        np.testing.assert_allclose(res[1], res[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda ps, **kw: ember.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True,
                                     weight_decay=0.01, **kw),
    lambda ps, **kw: ember.optim.SGD(ps, lr=0.1, momentum=0.5, dampening=0.3, maximize=True,
                                     **kw),
    lambda ps, **kw: ember.optim.SGD(ps, lr=0.1, **kw),
    lambda ps, **kw: ember.optim.Adam(ps, lr=0.05, amsgrad=True, weight_decay=0.1, **kw),
    lambda ps, **kw: ember.optim.AdamW(ps, lr=0.05, maximize=True, **kw),
    lambda ps, **kw: ember.optim.RMSprop(ps, lr=0.01, momentum=0.9, centered=True,
                                         weight_decay=0.1, **kw),
    lambda ps, **kw: ember.optim.RMSprop(ps, lr=0.01, **kw),
    lambda ps, **kw: ember.optim.Adagrad(ps, lr=0.1, lr_decay=0.01, weight_decay=0.1, **kw)])
def test_cuda_optimizer_steps_many_tensors_in_one_launch(make, monkeypatch):
    """The fused optimizers (SGD, Adam, RMSprop, Adagrad) on CUDA update up to
    kernels.TENSOR_LIST tensors per launch (their
    pointers passed by value): 130 parameters of mixed sizes and dtypes (117 float32: two
    lists), some given a gradient only later (their momentum and step count start then),
    match the CPU step for step; foreach=False takes a launch per tensor with the same
    numbers."""
    cp = ember.cuda.require()
    launched = []
    real = cp.cuda.driver.launchKernel
    monkeypatch.setattr(cp.cuda.driver, "launchKernel",
                        lambda *args: (launched.append(args[0]), real(*args)))
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(int(rng.integers(1, 300))) for _ in range(130)]
    dtypes = [ember.float64 if i % 10 == 3 else ember.float32 for i in range(130)]
    results, launches = [], []
    for dev, foreach in (("cpu", None), ("cuda", None), ("cuda", False)):
        ps = [ember.tensor(a, dtype=dt, device=dev, requires_grad=True)
              for a, dt in zip(arrays, dtypes)]
        opt = make(ps, foreach=foreach)
        launched.clear()
        for step in range(3):
            opt.zero_grad()
            live = [p for i, p in enumerate(ps) if i % 7 or step > 0]  # some join late
            sum((p * p).sum() * (i + 1) for i, p in enumerate(live)).backward()
            opt.step()
        results.append([_np(p) for p in ps])
        launches.append(len(launched))
    for cpu, gpu, one_by_one in zip(*results):
        np.testing.assert_allclose(gpu, cpu, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(gpu, one_by_one)
    assert launches[1] < launches[2] - 300  # a few launches a step instead of ~130


def test_cuda_autocast_and_grad_scaler():
    lin = ember.nn.Linear(8, 4).cuda()
    x = ember.randn(3, 8, device="cuda")
    with ember.autocast("cuda", dtype=ember.bfloat16):
        y = lin(x)
        assert y.dtype == ember.bfloat16
        loss = F.cross_entropy(y, ember.tensor([0, 1, 2], device="cuda"))
        assert loss.dtype == ember.float32
    scaler = ember.amp.GradScaler("cuda", init_scale=256.0)
    opt = ember.optim.SGD(lin.parameters(), lr=0.1)
    scaler.scale(loss).backward()
    assert lin.weight.grad.dtype == ember.float32
    scaler.step(opt)
    scaler.update()
    assert scaler.get_scale() == 256.0


def test_cuda_small_cnn_training_steps_match_cpu():
    """conv/batch_norm/relu/max_pool/adaptive pool/linear/cross_entropy/SGD end to end."""
    nn = ember.nn

    def make(dev):
        ember.manual_seed(0)
        return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Conv2d(8, 8, 3, stride=2, groups=2),
                             nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5)).to(dev)

    x = RNG.standard_normal((4, 3, 12, 12))
    y = np.array([0, 4, 2, 1])
    losses, params = [], []
    for dev in ("cpu", "cuda"):
        model = make(dev)
        opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        xt, yt = ember.tensor(x, dtype=ember.float32, device=dev), ember.tensor(y, device=dev)
        trace = []
        for _ in range(3):
            opt.zero_grad()
            loss = F.cross_entropy(model(xt), yt)
            loss.backward()
            opt.step()
            trace.append(loss.item())
        losses.append(trace)
        params.append([_np(p) for p in model.parameters()])
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-4)
    for pc, pg in zip(*params):
        np.testing.assert_allclose(pg, pc, rtol=1e-3, atol=1e-4)


def test_cuda_functionals_keep_their_tensors_on_the_device():
    """Ops that build helper tensors (masks, indices, weights) must build them on the
    input's device; the default device stays the CPU here, unlike the on_device tests."""
    x = RNG.standard_normal((2, 3, 5, 4))
    both(lambda t: F.interpolate(t, size=(7, 3), mode="bilinear", align_corners=False), x,
         grad=True)
    both(lambda t: F.interpolate(t, scale_factor=2, mode="nearest"), x, grad=True)
    both(lambda t: F.pdist(t.reshape(6, 20)), x, grad=True)
    q = RNG.standard_normal((2, 4, 6, 8))
    both(lambda t: F.scaled_dot_product_attention(t, t, t, is_causal=True), q, grad=True)
    logits, target = RNG.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])
    both(lambda t, y: F.nll_loss(F.log_softmax(t, 1), y), logits, target, grad=True)
    g = ember.tensor(x, dtype=ember.float32, device="cuda")
    assert F.dropout(g, 0.5).device.type == "cuda"
    assert F.dropout2d(g, 0.5).device.type == "cuda" and F.alpha_dropout(g, 0.5).device.type == "cuda"
    assert ember.triu_indices(4, 4, 1, device="cuda").device.type == "cuda"
    mha = ember.nn.MultiheadAttention(8, 2, add_zero_attn=True).cuda()
    k = ember.randn(5, 3, 8, device="cuda")
    assert mha(k, k, k)[0].device.type == "cuda"


def test_cuda_ops_building_index_tensors_stay_on_the_device():
    x = RNG.standard_normal((4, 5))
    both(lambda t: t.repeat_interleave(ember.tensor([1, 0, 2, 1], device=t.device), dim=0), x,
         grad=True)
    both(lambda t: t.index_fill(1, ember.tensor([0, 3], device=t.device), 2.5), x, grad=True)
    both(lambda t: t.round().mode(1)[0], x)
    for cls in (ember.nn.LSTM, ember.nn.GRU, ember.nn.RNN):
        ember.manual_seed(0)
        rnn = cls(5, 3).cuda()
        out, _ = rnn(ember.randn(6, 2, 5, device="cuda", requires_grad=True))
        out.sum().backward()  # no gradient for the final states: zeros made on the device
        assert all(p.grad.device.type == "cuda" for p in rnn.parameters())
    logits = ember.randn(4, 3, device="cuda", requires_grad=True)
    loss = F.cross_entropy(logits, ember.tensor([0, 2, 1, 1], device="cuda"))
    (g,) = ember.autograd.grad(loss, logits, create_graph=True)
    (g * g).sum().backward()  # the composite (double-backward) gradient path
    assert logits.grad.device.type == "cuda"
    mask = ember.nn.Transformer.generate_square_subsequent_mask(3, device="cuda")
    assert mask.device.type == "cuda"


# ---- the nccl backend -------------------------------------------------------------------

@contextlib.contextmanager
def _world_of_one(monkeypatch, backend: str):
    """init_process_group(backend) as a world of one (no launcher), destroyed afterwards.
    (A helper, not a fixture: the host emulator's module re-runs these tests alone.)"""
    import ember.distributed as dist
    for k in ("RANK", "WORLD_SIZE", "PMI_RANK", "PMI_SIZE"):
        monkeypatch.delenv(k, raising=False)
    dist.init_process_group(backend)
    try:
        yield dist
    finally:
        dist.destroy_process_group()


def test_cuda_nccl_collectives_and_ddp(monkeypatch):
    with _world_of_one(monkeypatch, "nccl") as dist:
        _nccl_checks(dist)


def _nccl_checks(dist):
    assert dist.get_backend() == "nccl" and dist.get_world_size() == 1
    for dtype in (ember.float32, ember.int64, ember.bfloat16, ember.bool):
        x = ember.tensor([1, 0, 3, 2]).to(dtype).cuda()
        t = x.clone()
        dist.all_reduce(t, op=dist.ReduceOp.AVG if dtype.is_floating_point else
                        dist.ReduceOp.SUM)
        dist.broadcast(t, 0)
        assert ember.equal(t.cpu(), x.cpu())
        gathered = [ember.zeros_like(x)]
        dist.all_gather(gathered, x)
        out = ember.zeros(4, dtype=dtype, device="cuda")
        dist.reduce_scatter_tensor(out, x)
        swapped = ember.zeros_like(x)
        dist.all_to_all_single(swapped, x)
        for got in (gathered[0], out, swapped):
            assert got.device.type == "cuda" and ember.equal(got.cpu(), x.cpu())
    y = ember.arange(6.0, device="cuda").reshape(2, 3)
    into = [ember.zeros(2, 3, device="cuda")]
    dist.gather(y, into, dst=0)
    part = ember.zeros(2, 3, device="cuda")
    dist.scatter(part, [y], src=0)
    assert ember.equal(into[0].cpu(), y.cpu()) and ember.equal(part.cpu(), y.cpu())
    assert dist.all_reduce(y, async_op=True).wait()
    dist.barrier()
    with pytest.raises(ValueError, match="nccl backend runs on CUDA tensors"):
        dist.all_reduce(ember.ones(2))
    with pytest.raises(ValueError, match="cannot receive from any rank"):
        dist.recv(y)
    # DDP over NCCL: one rank's averaged gradients are its own
    ember.manual_seed(0)
    model = ember.nn.Linear(4, 3).cuda()
    ref = ember.nn.Linear(4, 3).cuda()
    ref.load_state_dict(model.state_dict())
    ddp = ember.nn.parallel.DistributedDataParallel(model, device_ids=[0])
    data = ember.randn(5, 4, device="cuda")
    ddp(data).square().sum().backward()
    ref(data).square().sum().backward()
    for p, q in zip(model.parameters(), ref.parameters()):
        assert ember.allclose(p.grad.cpu(), q.grad.cpu())


def test_cuda_tensors_need_the_nccl_backend(monkeypatch):
    with _world_of_one(monkeypatch, "mpi") as dist:
        with pytest.raises(ValueError, match="run on CPU tensors"):
            dist.all_reduce(ember.ones(2, device="cuda"))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_cuda_whole_tensor_sum_matches_cpu_and_repeats(dtype):
    """The two-launch sum of a whole contiguous tensor (partials per block, then theirs):
    every size around the block boundaries, the same bits on a second run."""
    d = getattr(ember, dtype)
    tol = 1e-2 if dtype in ("float16", "bfloat16") else 1e-5
    for n in (1, 7, 255, 256, 2047, 2049, 20_011):
        a = np.random.default_rng(n).standard_normal(n)
        x = ember.tensor(a, device="cuda").to(d)
        s = x.sum()
        assert s.dtype == d and s.device.type == "cuda" and s.shape == ()
        want = x.cpu().double().sum().item()
        assert abs(s.item() - want) <= tol * max(1.0, abs(want)) * (1 + n ** 0.5 / 100), n
        assert x.sum().item() == s.item()
        assert x[1:].sum().item() == pytest.approx(x.cpu()[1:].double().sum().item(),
                                                   rel=tol, abs=tol * (1 + n ** 0.5))


# ---- gamma and Poisson samplers -------------------------------------------------------

def _mostly_equal(g, c, rtol):
    """CUDA samples against the CPU's for one seed: the same Philox stream and arithmetic,
    so equal up to the GPU's libm rounding (exactly so on the host emulator); a rounding
    difference may flip a rejection test, so a few elements may differ outright."""
    g, c = np.asarray(g, np.float64), np.asarray(c, np.float64)
    close = np.isclose(g, c, rtol=rtol, atol=0)
    assert close.mean() > 0.999, (g[~close][:5], c[~close][:5])


@pytest.mark.parametrize("fn", ["_standard_gamma", "poisson"])
def test_cuda_gamma_poisson_samplers_match_cpu(fn):
    sampler = getattr(ember, fn)
    params = np.tile([0.0, 0.07, 0.6, 1.0, 3.5, 9.99, 10.0, 42.0, 3e3], 400)
    for dt, rtol in ((ember.float64, 1e-12), (ember.float32, 1e-6)):
        ember.manual_seed(21)
        c = sampler(ember.tensor(params, dtype=dt))
        ember.manual_seed(21)
        g = sampler(ember.tensor(params, dtype=dt, device="cuda"))
        assert g.device.type == "cuda" and g.dtype == dt
        _mostly_equal(_np(g), _np(c), rtol)
        ember.manual_seed(21)
        again = sampler(ember.tensor(params, dtype=dt, device="cuda"))
        assert ember.equal(again.cpu(), g.cpu())
    ember.manual_seed(22)
    other = sampler(ember.tensor(params, dtype=dt, device="cuda"))
    assert not ember.equal(other.cpu(), g.cpu())


@pytest.mark.parametrize("alpha", [0.2, 1.0, 4.0, 150.0])
def test_cuda_gamma_and_poisson_moments(alpha):
    n = 20_000
    ember.manual_seed(5)
    x = _np(ember._standard_gamma(ember.full((n,), alpha, dtype=ember.float64, device="cuda")))
    assert (x > 0).all()
    assert abs(x.mean() - alpha) < 6 * np.sqrt(alpha / n)
    np.testing.assert_allclose(x.var(), alpha, rtol=0.1)
    k = _np(ember.poisson(ember.full((n,), alpha * 10, device="cuda")))
    assert (k == np.floor(k)).all()
    assert abs(k.mean() - alpha * 10) < 6 * np.sqrt(alpha * 10 / n)
    np.testing.assert_allclose(k.var(), alpha * 10, rtol=0.1)


def test_cuda_standard_gamma_grad_matches_cpu():
    a = np.array([0.05, 0.4, 1.0, 2.5, 7.0, 30.0, 500.0])
    x = np.array([1e-3, 0.2, 1.5, 2.0, 12.0, 28.0, 480.0])
    for dt, rtol in ((ember.float64, 1e-11), (ember.float32, 1e-5)):
        c = ember._standard_gamma_grad(ember.tensor(a, dtype=dt), ember.tensor(x, dtype=dt))
        g = ember._standard_gamma_grad(ember.tensor(a, dtype=dt, device="cuda"),
                                       ember.tensor(x, dtype=dt, device="cuda"))
        assert g.device.type == "cuda"
        np.testing.assert_allclose(_np(g), _np(c), rtol=rtol)
    alpha = ember.tensor([0.5, 3.0, 20.0], dtype=ember.float64, device="cuda",
                         requires_grad=True)
    ember.manual_seed(8)
    s = ember._standard_gamma(alpha)
    s.sum().backward()
    want = ember._standard_gamma_grad(alpha.detach(), s.detach())
    assert alpha.grad.device.type == "cuda"
    np.testing.assert_allclose(_np(alpha.grad), _np(want), rtol=1e-14)
    ember.manual_seed(8)
    d = ember.distributions.Gamma(ember.full((4000,), 3.0, device="cuda"),
                                  ember.full((4000,), 2.0, device="cuda"))
    assert abs(float(d.rsample().mean()) - 1.5) < 0.05
