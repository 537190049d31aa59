"""lfilter's CUDA kernel (functional/_lfilter_cuda.cu): compiled with nvcc where it exists,
and run through the ``device`` fixture (cuda where CuPy sees a GPU, or on the host stand-in
for CuPy with EMBER_TEST_HOST_CUDA=1) against a float64 difference equation. CUDA tensors
never reach the CPU kernel: ``_native.lfilter`` is made to fail during the cuda cases."""

import shutil
import subprocess

import ember
import numpy as np
import pytest

from emberaudio import _cuda, _native
from emberaudio import functional as F

RNG = np.random.default_rng(5)
NVCC = shutil.which("nvcc")


def _ref(x, a, b):
    """a[0] y[t] = sum_k b[k] x[t-k] - sum_{k>=1} a[k] y[t-k] along the last axis, float64."""
    x = np.asarray(x, np.float64)
    a, b = np.asarray(a, np.float64) / a[0], np.asarray(b, np.float64) / a[0]
    y = np.zeros_like(x)
    for t in range(x.shape[-1]):
        acc = sum(b[k] * x[..., t - k] for k in range(len(b)) if t - k >= 0)
        y[..., t] = acc - sum(a[k] * y[..., t - k] for k in range(1, len(a)) if t - k >= 0)
    return y


def _filters(order, n_filters=None):
    """Stable filters with a[0] != 1 (the kernel normalises)."""
    shape = (order,) if n_filters is None else (n_filters, order)
    poles = 0.85 * RNG.uniform(-1, 1, shape)
    a = np.atleast_1d(np.poly(poles)) if n_filters is None else \
        np.stack([np.poly(p) for p in poles])
    return 1.7 * a, 0.6 * RNG.standard_normal(a.shape)


def _refuse(*args, **kwargs):
    raise AssertionError("a CUDA tensor reached the CPU lfilter kernel")


@pytest.fixture
def no_cpu_kernel(device, monkeypatch):
    """On cuda, any call of the CPU kernel fails the test."""
    if device == "cuda":
        monkeypatch.setattr(_native, "lfilter", _refuse)
    return device


@pytest.mark.skipif(NVCC is None, reason="nvcc not installed")
def test_cuda_source_compiles(tmp_path):
    src = tmp_path / "lfilter.cu"
    src.write_text(_cuda.source("lfilter"))
    res = subprocess.run([NVCC, "--ptx", "-arch=sm_80", "-std=c++17", "-o",
                          str(tmp_path / "lfilter.ptx"), str(src)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-4000:]
    ptx = (tmp_path / "lfilter.ptx").read_text()
    for name in ("em_audio_lfilter_f32", "em_audio_lfilter_f64"):
        assert f".entry {name}(" in ptx


@pytest.mark.parametrize("order", [0, 1, 2, 5])
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_lfilter_on_device(no_cpu_kernel, order, dtype):
    device = no_cpu_kernel
    a, b = _filters(order)
    x = 0.4 * RNG.standard_normal((2, 3, 60))
    ref = _ref(x, a, b)
    for clamp in (False, True):
        y = F.lfilter(ember.tensor(x, dtype=dtype, device=device),
                      ember.tensor(a, dtype=dtype, device=device),
                      ember.tensor(b, dtype=dtype, device=device), clamp=clamp)
        assert y.device.type == device and y.dtype == dtype and y.shape == x.shape
        tol = 1e-12 if dtype == ember.float64 else 1e-6
        np.testing.assert_allclose(y.cpu().numpy(), np.clip(ref, -1, 1) if clamp else ref,
                                   rtol=tol, atol=tol)


@pytest.mark.parametrize("batching", [True, False])
def test_lfilter_2d_coeffs_and_strided_input_on_device(no_cpu_kernel, batching):
    device = no_cpu_kernel
    a, b = _filters(3, n_filters=3)
    x = 0.4 * RNG.standard_normal((2, 50, 3))  # read as (2, 3, 50) through a transposed view
    xe = ember.tensor(x, device=device).transpose(1, 2)
    y = F.lfilter(xe, ember.tensor(a, device=device), ember.tensor(b, device=device),
                  clamp=False, batching=batching)
    xt = x.transpose(0, 2, 1)
    if batching:
        ref = np.stack([_ref(xt[:, i], a[i], b[i]) for i in range(3)], axis=1)
    else:
        ref = np.stack([_ref(xt, a[i], b[i]) for i in range(3)], axis=-2)
    assert y.device.type == device and tuple(y.shape) == ref.shape
    np.testing.assert_allclose(y.cpu().numpy(), ref, rtol=1e-12, atol=1e-12)


def test_filtfilt_on_device(no_cpu_kernel):
    device = no_cpu_kernel
    a, b = _filters(2)
    x = 0.4 * RNG.standard_normal((3, 40))
    forward = _ref(x, a, b)
    ref = _ref(forward[..., ::-1], a, b)[..., ::-1]
    for clamp in (False, True):
        y = F.filtfilt(ember.tensor(x, device=device), ember.tensor(a, device=device),
                       ember.tensor(b, device=device), clamp=clamp)
        assert y.device.type == device
        np.testing.assert_allclose(y.cpu().numpy(), np.clip(ref, -1, 1) if clamp else ref,
                                   rtol=1e-12, atol=1e-12)


def test_lfilter_gradients_on_device(device, monkeypatch):
    """With a graph, the decomposed path runs its recursion in the device's kernel and
    gives the CPU path's gradients."""
    a, b = _filters(2)
    x = 0.3 * RNG.standard_normal((2, 30))
    g = RNG.standard_normal((2, 30))
    grads = {}
    for dev in ("cpu", device):
        if dev == "cuda":  # the CPU reference is done: from here the CPU kernel is refused
            monkeypatch.setattr(_native, "lfilter", _refuse)
        ts = [ember.tensor(v, device=dev, requires_grad=True) for v in (x, a, b)]
        y = F.lfilter(*ts, clamp=False)
        assert y.device.type == dev
        np.testing.assert_allclose(y.detach().cpu().numpy(), _ref(x, a, b), rtol=1e-12,
                                   atol=1e-12)
        (y * ember.tensor(g, device=dev)).sum().backward()
        grads[dev] = [t.grad.cpu().numpy() for t in ts]
    for ours, ref in zip(grads[device], grads["cpu"]):
        np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)


def test_data_ptr_of_device_views(device):
    """The kernels take Tensor.data_ptr(): on CUDA it is the device address of the view's
    first element (the core's fix for CUDA tensors), offset included."""
    base = ember.arange(12.0, device=device)
    view = base[3:].reshape(3, 3)
    assert view.data_ptr() - base.data_ptr() == 3 * base.element_size()
    x = 0.4 * RNG.standard_normal((1, 1, 40))
    a, b = _filters(2)
    y = F.lfilter(ember.tensor(x, device=device)[..., 7:], ember.tensor(a, device=device),
                  ember.tensor(b, device=device), clamp=False)
    np.testing.assert_allclose(y.cpu().numpy(), _ref(x[..., 7:], a, b), rtol=1e-12,
                               atol=1e-12)
