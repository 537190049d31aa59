"""The pure-Python parts of the distributed extras against torch.distributed's CPU build:
Backend names, the exception hierarchy, and HashStore / PrefixStore semantics."""

import random
from datetime import timedelta

import pytest

torch = pytest.importorskip("torch")
tdist = pytest.importorskip("torch.distributed")
pytestmark = pytest.mark.oracle

import ember.distributed as dist  # noqa: E402


@pytest.mark.parametrize("name", ["gloo", "GLOO", "Nccl", "mpi", "UCC", "xccl", "fake",
                                  "undefined", "Custom_Backend"])
def test_backend_normalization(name):
    got, want = dist.Backend(name), tdist.Backend(name)
    assert got == want and type(got) is type(want) is str


def test_backend_constants_and_errors():
    for attr in ("UNDEFINED", "GLOO", "NCCL", "UCC", "MPI", "XCCL", "FAKE"):
        assert getattr(dist.Backend, attr) == getattr(tdist.Backend, attr)
    assert dist.Backend.backend_list == tdist.Backend.backend_list
    with pytest.raises(ValueError, match="string-ish"):
        dist.Backend(3)
    with pytest.raises(ValueError, match="string-ish"):
        tdist.Backend(3)


@pytest.mark.parametrize("device", ["cpu", "cuda", "cuda:1", "mps"])
def test_default_backend_for_device(device):
    assert dist.get_default_backend_for_device(device) == \
        tdist.get_default_backend_for_device(device)


def test_default_backend_for_unknown_device():
    for mod in (dist, tdist):
        with pytest.raises(ValueError, match="Default backend not registered for device : meta"):
            mod.get_default_backend_for_device("meta")


def test_backend_availability():
    assert dist.is_backend_available("GLOO") == dist.is_gloo_available()
    for name in ("ucc", "no_such_backend"):
        assert dist.is_backend_available(name) is tdist.is_backend_available(name) is False


def test_exception_hierarchy():
    names = ["DistError", "DistBackendError", "DistNetworkError", "DistStoreError",
             "QueueEmptyError"]
    for name in names:
        ours = [c.__name__ for c in getattr(dist, name).__mro__]
        theirs = [c.__name__ for c in getattr(tdist, name).__mro__]
        assert ours == theirs


def test_timeouts_and_debug_levels():
    assert dist.default_pg_timeout == tdist.default_pg_timeout
    assert dist.HashStore().timeout == tdist.HashStore().timeout
    assert [(m.name, m.value) for m in dist.DebugLevel] == \
        [(m, int(v)) for m, v in tdist.DebugLevel.__members__.items()]


def test_reduce_op_alias():
    with pytest.warns(FutureWarning, match="reduce_op"):
        assert dist.reduce_op.SUM is dist.ReduceOp.SUM
    with pytest.warns(FutureWarning, match="reduce_op"):
        assert list(dist.reduce_op.__members__)[:4] == ["SUM", "AVG", "PRODUCT", "MIN"]


def _script(seed):
    """A random sequence of store calls over a few keys."""
    rng = random.Random(seed)
    keys, vals = ["a", "b", "c/d"], ["", "x", "12", "y\x00z"]
    ops = []
    for _ in range(60):
        k = rng.choice(keys)
        kind = rng.choice(["set", "get", "add", "append", "check", "compare_set", "delete",
                           "num_keys", "multi"])
        if kind == "set":
            ops.append(("set", k, rng.choice(vals)))
        elif kind == "add":
            ops.append(("add", k, rng.randint(-5, 5)))
        elif kind == "append":
            ops.append(("append", k, rng.choice(vals)))
        elif kind == "compare_set":
            ops.append(("compare_set", k, rng.choice(vals), rng.choice(vals)))
        else:
            ops.append((kind, k))
    return ops


def _run(store, ops):
    """Each call's result, or the name of the error it raised."""
    out = []
    for op in ops:
        kind, key, *args = op
        try:
            if kind == "set":
                out.append(store.set(key, *args))
            elif kind == "get":
                out.append(store.get(key) if store.check([key]) else "absent")
            elif kind == "add":
                out.append(store.add(key, *args))
            elif kind == "append":
                out.append(store.append(key, *args))
            elif kind == "check":
                out.append(store.check([key, "a"]))
            elif kind == "compare_set":
                out.append(store.compare_set(key, *args))
            elif kind == "delete":
                out.append(store.delete_key(key))
            elif kind == "num_keys":
                out.append(store.num_keys())
            else:
                store.multi_set([key, "b"], ["m", "n"])
                out.append(store.multi_get([key, "b"]))
        except ValueError:
            out.append("ValueError")
    return out


@pytest.mark.parametrize("seed", range(6))
def test_hash_store_matches_torch(seed):
    ops = _script(seed)
    assert _run(dist.HashStore(), ops) == _run(tdist.HashStore(), ops)


@pytest.mark.parametrize("seed", range(3))
def test_prefix_store_matches_torch(seed):
    ops = _script(100 + seed)
    ours, theirs = dist.HashStore(), tdist.HashStore()
    ours.set("outside", "1")
    theirs.set("outside", "1")
    assert _run(dist.PrefixStore("p", ours), ops) == _run(tdist.PrefixStore("p", theirs), ops)
    assert sorted(ours.list_keys()) == sorted(theirs.list_keys())
    assert sorted(dist.PrefixStore("p", ours).list_keys()) == \
        sorted(tdist.PrefixStore("p", theirs).list_keys())


def test_store_timeouts_and_queues_match_torch():
    for mod in (dist, tdist):
        store = mod.HashStore()
        prefixed = mod.PrefixStore("pre", store)
        prefixed.set_timeout(timedelta(milliseconds=40))
        assert store.timeout == timedelta(milliseconds=40)
        with pytest.raises(mod.DistStoreError):
            prefixed.get("missing")
        with pytest.raises(mod.DistStoreError):
            store.wait(["missing"], timedelta(milliseconds=10))
        prefixed.queue_push("q", "1")
        prefixed.queue_push("q", b"2")
        assert store.queue_len("pre/q") == 2
        assert [prefixed.queue_pop("q"), prefixed.queue_pop("q", block=False)] == [b"1", b"2"]
        with pytest.raises(mod.QueueEmptyError):
            prefixed.queue_pop("q", block=False)
        with pytest.raises(TypeError):
            store.set(1, "x")
        with pytest.raises(TypeError):
            store.set("k", 1)


@pytest.mark.parametrize("value", ["", "x", "12y", " 12", "+3", "-4a", "0x1f", "1e3", "\t7"])
def test_store_add_reads_leading_integer_as_torch(value):
    results = []
    for mod in (dist, tdist):
        store = mod.HashStore()
        store.set("k", value)
        try:
            results.append((store.add("k", 1), store.get("k")))
        except ValueError:
            results.append("ValueError")
    assert results[0] == results[1]
