"""The namespaces of device types ember has no backend for, against a CPU-only torch:
ember.mps, ember.xpu, ember.mtia and ember.backends.mps answer the queries as torch does
there and raise torch's exception types for the calls that need the device; asking for
such a device stays a RuntimeError. And the flags of ember.backends.mkldnn and
ember.backends.opt_einsum: values, set_flags/flags round trips, the opt_einsum errors."""

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402

if torch.backends.mps.is_available() or torch.xpu.is_available() or torch.mtia.is_available():
    pytest.skip("the oracle must be a torch without MPS, XPU and MTIA devices",
                allow_module_level=True)

QUERIES = [("mps", "is_available", ()), ("mps", "device_count", ()),
           ("mps", "manual_seed", (3,)),
           ("xpu", "is_available", ()), ("xpu", "device_count", ()),
           ("xpu", "is_initialized", ()), ("xpu", "is_bf16_supported", ()),
           ("xpu", "get_arch_list", ()), ("xpu", "manual_seed", (3,)),
           ("xpu", "manual_seed_all", (3,)), ("xpu", "seed", ()), ("xpu", "seed_all", ()),
           ("xpu", "empty_cache", ()),
           ("mtia", "is_available", ()), ("mtia", "device_count", ()),
           ("mtia", "is_initialized", ()), ("mtia", "manual_seed", (3,)),
           ("mtia", "manual_seed_all", (3,)),
           ("backends.mps", "is_available", ()), ("backends.mps", "is_built", ())]

CALLS_NEEDING_THE_DEVICE = [
    ("mps", "synchronize", ()), ("mps", "seed", ()), ("mps", "get_rng_state", ()),
    ("mps", "empty_cache", ()), ("mps", "current_allocated_memory", ()),
    ("mps", "driver_allocated_memory", ()),
    ("xpu", "init", ()), ("xpu", "synchronize", ()), ("xpu", "current_device", ()),
    ("xpu", "set_device", (0,)), ("xpu", "get_device_name", ()),
    ("xpu", "get_device_properties", ()), ("xpu", "get_device_capability", ()),
    ("xpu", "initial_seed", ()),
    ("mtia", "init", ()), ("mtia", "synchronize", ()), ("mtia", "current_device", ()),
    ("mtia", "set_device", (0,)), ("mtia", "empty_cache", ()),
    ("backends.mps", "is_macos_or_newer", (14, 0)),
    ("backends.mps", "is_macos13_or_newer", ())]


def _lookup(root, path):
    for part in path.split("."):
        root = getattr(root, part)
    return root


@pytest.mark.parametrize("space, name, args", QUERIES, ids=lambda v: str(v))
def test_queries_answer_as_torch(space, name, args):
    got = getattr(_lookup(ember, space), name)(*args)
    want = getattr(_lookup(torch, space), name)(*args)
    assert got == want
    assert type(got) is type(want)


@pytest.mark.parametrize("space, name, args", CALLS_NEEDING_THE_DEVICE, ids=lambda v: str(v))
def test_calls_needing_the_device_raise_torch_types(space, name, args):
    with pytest.raises(Exception) as want:
        getattr(_lookup(torch, space), name)(*args)
    with pytest.raises(want.type, match=f"ember.{space}.{name}\\(\\): ember has no"):
        getattr(_lookup(ember, space), name)(*args)


@pytest.mark.parametrize("kind", ["mps", "xpu", "xpu:0", "mtia"])
def test_asking_for_such_a_device_is_a_runtime_error(kind):
    # torch names the device and fails at the first tensor on it (AssertionError for xpu,
    # NotImplementedError for mps); ember already refuses the name, with RuntimeError
    with pytest.raises((AssertionError, NotImplementedError, RuntimeError)):
        torch.zeros(1, device=kind)
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda, meta device type"):
        ember.zeros(1, device=kind)
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda, meta device type"):
        ember.device(kind)


def test_mkldnn_flags_round_trip_as_torch():
    e, t = ember.backends.mkldnn, torch.backends.mkldnn
    assert e.is_available() is False  # ember's CPU kernels are not oneDNN
    assert (e.enabled, e.deterministic) == (t.enabled, t.deterministic) == (True, False)
    with e.flags(enabled=False, deterministic=True), t.flags(enabled=False, deterministic=True):
        assert (e.enabled, e.deterministic) == (t.enabled, t.deterministic) == (False, True)
        with e.flags(), t.flags():  # torch's defaults for what is not given
            assert (e.enabled, e.deterministic) == (t.enabled, t.deterministic) == (False,
                                                                                   False)
        assert (e.enabled, e.deterministic) == (t.enabled, t.deterministic) == (False, True)
    assert (e.enabled, e.deterministic) == (t.enabled, t.deterministic) == (True, False)
    previous = e.set_flags(False, True)
    assert previous[:2] == (True, False) and (e.enabled, e.deterministic) == (False, True)
    assert e.set_flags(*previous)[:2] == (False, True)
    assert (e.enabled, e.deterministic, e.fp32_precision) == (True, False, "none")


def test_opt_einsum_flags_match_torch_without_the_package():
    e, t = ember.backends.opt_einsum, torch.backends.opt_einsum
    assert e.is_available() is False and e.get_opt_einsum() is None
    assert (e.enabled, e.strategy) == (False, None)
    if t.is_available():
        pytest.skip("the oracle's torch has opt_einsum: its flags then differ by design")
    assert (e.enabled, e.strategy) == (t.enabled, t.strategy)
    for mod in (e, t):
        with pytest.raises(ValueError, match="opt_einsum is not available"):
            mod.set_flags(True)
        with pytest.raises(ValueError, match="opt_einsum is not available"):
            mod.set_flags(_strategy="greedy")
        with pytest.raises(ValueError, match="opt_einsum is not available"):
            with mod.flags(enabled=True):
                pass
        mod.enabled = False
        with mod.flags(enabled=False):
            assert mod.enabled is False
        assert mod.set_flags(False) == (False, None)
        assert (mod.enabled, mod.strategy) == (False, None)
