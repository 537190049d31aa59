"""TCPStore against torch.distributed.TCPStore, each a master and a client on localhost in
this process: the same random sequence of operations gives the same results, the same
key counts (join counter included) and the same errors."""

import random
from datetime import timedelta

import pytest

torch = pytest.importorskip("torch")
tdist = pytest.importorskip("torch.distributed")
pytestmark = pytest.mark.oracle

import ember.distributed as dist  # noqa: E402


def _pair(lib, world_size=None):
    master = lib.TCPStore("127.0.0.1", 0, world_size, True, timedelta(seconds=5),
                          wait_for_workers=world_size is not None)
    client = lib.TCPStore("127.0.0.1", master.port, world_size, False, timedelta(seconds=5),
                          wait_for_workers=False)
    return master, client


def _script(seed):
    rng = random.Random(seed)
    keys = ["a", "b", "c", "d/e"]
    steps = []
    for _ in range(60):
        op, key = rng.choice(["set", "get", "add", "compare_set", "delete_key", "check",
                              "num_keys", "append", "multi"]), rng.choice(keys)
        steps.append((op, key, rng.choice([b"", b"1", b"17", b"x\x00y"]),
                      rng.choice([b"", b"1", b"x\x00y"]), rng.randint(-5, 5),
                      rng.randint(0, 1)))
    return steps


def _run(lib, seed):
    stores = _pair(lib)
    out = []
    ints = set()  # keys holding integers (torch's add drops its connection on others)
    for op, key, v1, v2, n, who in _script(seed):
        s = stores[who]
        present = s.check([key])
        if op == "set":
            s.set(key, v1)
            ints.discard(key)
        elif op == "get":
            out.append(s.get(key) if present else None)
        elif op == "add" and (key in ints or not present):
            out.append(s.add(key, n))
            ints.add(key)
        elif op == "compare_set":
            out.append(s.compare_set(key, v1, v2))
            ints.discard(key)
        elif op == "delete_key":
            out.append(s.delete_key(key))
            ints.discard(key)
        elif op == "check":
            out.append(present)
        elif op == "num_keys":
            out.append(s.num_keys())
        elif op == "append":
            s.append(key, v1)
            ints.discard(key)
        elif op == "multi":
            s.multi_set([key, "m"], [v1, v2])
            ints.discard(key)
            ints.discard("m")
            out.append(s.multi_get(["m", key]))
    out.append(sorted(stores[0].list_keys()))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_random_operations_match_torch(seed):
    assert _run(dist, seed) == _run(tdist, seed)


def test_join_counter_and_properties_match_torch():
    (em, ec), (tm, tc) = _pair(dist, 1), _pair(tdist, 1)
    assert em.num_keys() == tm.num_keys() == 1
    assert em.check(["init/"]) == tm.check(["init/"]) is False
    assert ec.host == tc.host == "127.0.0.1"
    assert em.timeout == tm.timeout == timedelta(seconds=5)
    assert em.libuvBackend == tm.libuvBackend is True
    ec.set_timeout(timedelta(seconds=2))
    tc.set_timeout(timedelta(seconds=2))
    assert ec.timeout == tc.timeout and em.timeout == tm.timeout


def test_timeouts_raise_the_same_error_types():
    ember_pair, torch_pair = _pair(dist), _pair(tdist)  # the masters run the servers
    ec, tc = ember_pair[1], torch_pair[1]
    for client in (ec, tc):
        client.set_timeout(timedelta(milliseconds=100))
    with pytest.raises(tdist.DistStoreError) as theirs:
        tc.get("missing")
    with pytest.raises(dist.DistStoreError, match="missing") as ours:
        ec.get("missing")
    assert [c.__name__ for c in type(ours.value).__mro__[:4]] == \
        [c.__name__ for c in type(theirs.value).__mro__[:4]]
    with pytest.raises(tdist.DistStoreError):
        tc.wait(["k"], timedelta(milliseconds=50))
    with pytest.raises(dist.DistStoreError):
        ec.wait(["k"], timedelta(milliseconds=50))


def test_queues_match_torch():
    results = []
    for lib in (dist, tdist):
        master, client = _pair(lib)
        client.queue_push("q", "one")
        master.queue_push("q", b"two")
        got = [master.queue_len("q"), client.queue_pop("q"), master.queue_pop("q", False)]
        with pytest.raises(lib.QueueEmptyError):
            client.queue_pop("q", block=False)
        results.append(got)
    assert results[0] == results[1] == [2, b"one", b"two"]
