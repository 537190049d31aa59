"""torch's small platform modules against torch itself: accelerator, cpu (and the
deprecated cpu/cuda amp spellings), jit's eager stand-ins, utils.dlpack and the
backends.cuda attention and linear-algebra switches."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402

GPU = ember.cuda.is_available()


def _raises_like(e_call, t_call):
    """Both calls raise, the same exception type."""
    with pytest.raises(Exception) as t_err:
        t_call()
    with pytest.raises(t_err.type):
        e_call()


# ---- accelerator -------------------------------------------------------------------------

@pytest.mark.skipif(GPU or torch.cuda.is_available(), reason="the no-accelerator case")
def test_accelerator_without_gpu_matches_cpu_only_torch():
    ea, ta = ember.accelerator, torch.accelerator
    assert ea.current_accelerator() is ta.current_accelerator() is None
    assert ea.current_accelerator(check_available=True) is None
    assert ea.is_available() == ta.is_available() is False
    assert ea.device_count() == ta.device_count() == 0
    for name in ("current_device_index", "synchronize", "current_stream", "memory_allocated",
                 "max_memory_allocated", "memory_reserved", "memory_stats", "empty_cache",
                 "get_memory_info", "reset_peak_memory_stats"):
        _raises_like(getattr(ea, name), getattr(ta, name))
    _raises_like(lambda: ea.set_device_index(0), lambda: ta.set_device_index(0))

    def enter(mod):
        with mod.device_index(0):
            pass
    _raises_like(lambda: enter(ea), lambda: enter(ta))
    with ea.device_index(None), ta.device_index(None):  # None switches nothing
        pass


@pytest.mark.skipif(not GPU, reason="needs a GPU")
def test_accelerator_with_gpu_follows_ember_cuda():
    ea = ember.accelerator
    assert ea.current_accelerator() == ember.device("cuda")
    assert ea.current_accelerator().index is None
    assert ea.is_available() and ea.device_count() == ember.cuda.device_count()
    assert ea.current_device_index() == ember.cuda.current_device()
    with ea.device_index(0):
        assert ea.current_device_index() == 0
    ea.set_device_index("cuda:0")
    with pytest.raises(ValueError):
        ea.set_device_index("cuda")  # an index is required
    with pytest.raises(ValueError):
        ea.synchronize("cpu")  # not the accelerator's type
    x = ember.ones(1024, device="cuda")
    ea.synchronize()
    assert ea.memory_allocated() >= x.numel() * 4
    assert ea.max_memory_allocated() >= ea.memory_allocated()
    assert list(ea.memory_stats()) == sorted(ea.memory_stats())
    s = ember.cuda.Stream()
    ea.set_stream(s)
    assert ea.current_stream() == s
    ea.set_stream(ember.cuda.default_stream())


# ---- cpu -----------------------------------------------------------------------------------

def test_cpu_module_matches_torch_cpu():
    ec, tc = ember.cpu, torch.cpu
    for name in ("is_available", "is_initialized", "device_count", "current_device"):
        assert getattr(ec, name)() == getattr(tc, name)()
    assert ec.synchronize() is tc.synchronize() is None
    assert ec.set_device("cpu") is tc.set_device("cpu") is None
    for mod in (ec, tc):
        default = mod.current_stream()
        s = mod.Stream()
        assert mod.current_stream() is default
        with mod.stream(s) as entered:
            assert entered is None
            assert mod.current_stream() is s
            with mod.StreamContext(None):  # None keeps the current stream
                assert mod.current_stream() is s
        assert mod.current_stream() is default
        assert s.wait_stream(default) is s.record_event() is s.wait_event(None) is None
        e = mod.Event()
        assert e.query() is True and e.record() is None and e.synchronize() is None


def _future_warning_message(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        obj = call()
    future = [w for w in caught if w.category is FutureWarning]
    assert len(future) == 1
    return obj, str(future[0].message)


@pytest.mark.parametrize("kwargs", [{}, {"dtype": "bfloat16"}, {"enabled": False}])
def test_cpu_amp_autocast_is_deprecated_autocast_cpu(kwargs):
    e_kw = {k: getattr(ember, v) if k == "dtype" else v for k, v in kwargs.items()}
    t_kw = {k: getattr(torch, v) if k == "dtype" else v for k, v in kwargs.items()}
    e_ctx, e_msg = _future_warning_message(lambda: ember.cpu.amp.autocast(**e_kw))
    t_ctx, t_msg = _future_warning_message(lambda: torch.cpu.amp.autocast(**t_kw))
    assert e_msg.replace("ember", "torch") == t_msg
    with e_ctx, t_ctx:
        assert ember.is_autocast_enabled("cpu") == torch.is_autocast_enabled("cpu")
        assert str(ember.get_autocast_dtype("cpu")).split(".")[-1] == \
            str(torch.get_autocast_dtype("cpu")).split(".")[-1]
        e = ember.mm(ember.randn(2, 3), ember.randn(3, 2))
        t = torch.mm(torch.randn(2, 3), torch.randn(3, 2))
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert not ember.is_autocast_enabled("cpu")


def test_cuda_and_cpu_amp_old_spellings_warn_as_torch():
    pairs = [(lambda: ember.cuda.amp.autocast(enabled=False),
              lambda: torch.cuda.amp.autocast(enabled=False)),
             (lambda: ember.cuda.amp.GradScaler(enabled=False),
              lambda: torch.cuda.amp.GradScaler(enabled=False)),
             (lambda: ember.cpu.amp.GradScaler(), lambda: torch.cpu.amp.GradScaler()),
             (lambda: ember.cuda.amp.custom_fwd(lambda ctx, x: x),
              lambda: torch.cuda.amp.custom_fwd(lambda ctx, x: x)),
             (lambda: ember.cuda.amp.custom_bwd(lambda ctx, g: g),
              lambda: torch.cuda.amp.custom_bwd(lambda ctx, g: g))]
    for e_call, t_call in pairs:
        _, e_msg = _future_warning_message(e_call)
        _, t_msg = _future_warning_message(t_call)
        assert e_msg.replace("ember", "torch") == t_msg
    from ember.cuda.amp import autocast  # a real submodule, importable by path
    assert issubclass(autocast, ember.amp.autocast)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        assert ember.cuda.amp.autocast().fast_dtype == ember.float16
        assert ember.cpu.amp.GradScaler().is_enabled() == torch.cpu.amp.GradScaler().is_enabled()


# ---- jit -----------------------------------------------------------------------------------

def test_jit_script_and_trace_run_eagerly_with_torchs_results():
    def f(x, k: float):
        return (x * k).relu()

    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    want = torch.jit.script(f)(torch.from_numpy(x), 2.0)
    got = ember.jit.script(f)(ember.from_numpy(x), 2.0)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    assert ember.jit.script(f) is f

    torch.manual_seed(0)
    t_lin = torch.nn.Linear(4, 2)
    e_lin = ember.nn.Linear(4, 2)
    e_lin.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                           for k, v in t_lin.state_dict().items()})
    traced = ember.jit.trace(e_lin, ember.randn(1, 4))
    assert traced is e_lin
    np.testing.assert_allclose(traced(ember.from_numpy(x)).detach().numpy(),
                               torch.jit.trace(t_lin, torch.randn(1, 4))(
                                   torch.from_numpy(x)).detach().numpy(), rtol=1e-5)


def test_jit_helpers_match_torch_in_eager_code():
    for mod in (ember.jit, torch.jit):
        assert mod.is_scripting() is False and mod.is_tracing() is False
        assert mod.annotate(list, [1, 2]) == [1, 2]
        assert mod.wait(mod.fork(lambda a, b=0: a + b, 1, b=2)) == 3
        assert mod.fork(max, 1, 5).wait() == 5

        def g(x):
            return x + 1
        assert mod.unused(g)(1) == mod.export(g)(1) == mod.ignore(g)(1) == mod.ignore()(g)(1) == 2
    assert ember.jit.Final is torch.jit.Final


def test_jit_save_and_load_point_to_ember_save(tmp_path):
    with pytest.raises(NotImplementedError, match="ember.save"):
        ember.jit.save(ember.nn.Linear(2, 2), tmp_path / "m.pt")
    with pytest.raises(NotImplementedError, match="ember.save"):
        ember.jit.load(tmp_path / "m.pt")


# ---- dlpack --------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8", "bool"])
def test_dlpack_capsules_round_trip_with_torch_sharing_memory(dtype):
    rng = np.random.default_rng(1)
    base = (rng.standard_normal((3, 5)) * 10).astype(dtype)
    t = torch.from_numpy(base.copy())
    e = ember.utils.dlpack.from_dlpack(torch.utils.dlpack.to_dlpack(t))
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    e[0, 0] = 1
    assert t[0, 0].item() == 1  # the same memory

    e2 = ember.from_numpy(base.copy())
    t2 = torch.utils.dlpack.from_dlpack(ember.to_dlpack(e2))
    np.testing.assert_array_equal(t2.numpy(), e2.numpy())
    t2[1, 1] = 0
    assert e2[1, 1].item() == 0


def test_dlpack_api_matches_torch():
    assert ember.to_dlpack is ember.utils.dlpack.to_dlpack
    assert ember.from_dlpack is ember.utils.dlpack.from_dlpack
    assert {m.name: m.value for m in ember.utils.dlpack.DLDeviceType} == \
        {m.name: m.value for m in torch.utils.dlpack.DLDeviceType}
    # a capsule is consumed once
    e_caps, t_caps = ember.to_dlpack(ember.arange(3)), torch.to_dlpack(torch.arange(3))
    ember.from_dlpack(e_caps), torch.from_dlpack(t_caps)
    with pytest.raises(RuntimeError) as e_err:
        ember.from_dlpack(e_caps)
    with pytest.raises(RuntimeError) as t_err:
        torch.from_dlpack(t_caps)
    assert str(e_err.value) == str(t_err.value)
    _raises_like(lambda: ember.from_dlpack(ember.to_dlpack(ember.ones(1)), copy=True),
                 lambda: torch.from_dlpack(torch.to_dlpack(torch.ones(1)), copy=True))
    # gradient-tracking tensors export through to_dlpack (only __dlpack__ refuses them)
    e = ember.from_dlpack(ember.to_dlpack(ember.ones(2, requires_grad=True)))
    t = torch.from_dlpack(torch.to_dlpack(torch.ones(2, requires_grad=True)))
    assert e.requires_grad == t.requires_grad


@pytest.mark.parametrize("copy", [None, True, False])
def test_from_dlpack_copy_keyword_matches_torch(copy):
    e_src, t_src = np.arange(4.0), np.arange(4.0)
    e = ember.from_dlpack(e_src, device="cpu", copy=copy)
    t = torch.from_dlpack(t_src, device="cpu", copy=copy)
    e[0], t[0] = 9.0, 9.0
    np.testing.assert_array_equal(e_src, t_src)  # shared unless copy=True, both ways


# ---- backends.cuda -------------------------------------------------------------------------

_SDP = ("flash", "mem_efficient", "math", "cudnn")


def _sdp_flags(backends):
    return [getattr(backends, f"{k}_sdp_enabled")() for k in _SDP]


def test_sdp_flags_setters_and_deprecated_context_match_torch():
    eb, tb = ember.backends.cuda, torch.backends.cuda
    assert _sdp_flags(eb) == _sdp_flags(tb)
    assert eb.is_flash_attention_available() is False
    try:
        for k in _SDP:
            getattr(eb, f"enable_{k}_sdp")(False)
            getattr(tb, f"enable_{k}_sdp")(False)
            assert _sdp_flags(eb) == _sdp_flags(tb)
    finally:
        for k in _SDP:
            getattr(eb, f"enable_{k}_sdp")(True)
            getattr(tb, f"enable_{k}_sdp")(True)
    for kwargs in ({"enable_flash": False, "enable_mem_efficient": False},
                   {"enable_math": False}, {"enable_cudnn": False, "enable_flash": False}):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with eb.sdp_kernel(**kwargs), tb.sdp_kernel(**kwargs):
                assert _sdp_flags(eb) == _sdp_flags(tb)
        assert [w.category for w in caught] == [FutureWarning, FutureWarning]
        assert _sdp_flags(eb) == _sdp_flags(tb) == [True] * 4


def test_preferred_linalg_library_matches_torch():
    eb, tb = ember.backends.cuda, torch.backends.cuda
    assert eb.preferred_linalg_library().name == tb.preferred_linalg_library().name == "Default"
    assert repr(eb.preferred_linalg_library("default")) == \
        repr(tb.preferred_linalg_library("default"))
    for bad in ("foo", "magma", 3):
        _raises_like(lambda bad=bad: eb.preferred_linalg_library(bad),
                     lambda bad=bad: tb.preferred_linalg_library(bad))
    # ember's GPU linear algebra is cuSOLVER's, so it accepts it (a CPU torch refuses)
    try:
        assert eb.preferred_linalg_library("cusolver").name == "Cusolver"
        assert eb.preferred_linalg_library().name == "Cusolver"
    finally:
        eb.preferred_linalg_library("default")
