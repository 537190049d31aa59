"""The torch.distributed extras in a world of one process (no launcher, no MPI)."""

import os
import threading
import time
from datetime import timedelta

import pytest

import ember
import ember.distributed as dist


def test_pg_count_and_group_ranks(world):
    assert dist.get_pg_count() == 1
    g = dist.new_group([0])
    assert dist.get_pg_count() == 2
    assert dist.get_group_rank(g, 0) == 0 and dist.get_global_rank(g, 0) == 0
    assert dist.get_process_group_ranks(None) == [0]
    with pytest.raises(ValueError, match="Global rank 1 is not part of group"):
        dist.get_group_rank(g, 1)
    with pytest.raises(ValueError, match="not registered"):
        dist.get_global_rank("not a group", 0)
    mine, groups = dist.new_subgroups(group_size=1)
    assert dist.get_process_group_ranks(mine) == [0] and groups == [mine]
    assert dist.get_pg_count() == 3
    with pytest.raises(ValueError, match="must be positive"):
        dist.new_subgroups(group_size=0)
    with pytest.raises(ValueError, match="cannot be empty"):
        dist.new_subgroups_by_enumeration([])
    dist.destroy_process_group()
    assert dist.get_pg_count() == 0
    dist.init_process_group("gloo")


def test_timeouts_and_monitored_barrier(world):
    assert dist.default_pg_timeout == timedelta(minutes=30)
    assert dist.GroupMember.WORLD._timeout == dist.default_pg_timeout
    dist.monitored_barrier(timeout=timedelta(milliseconds=10), wait_all_ranks=True)


def test_p2p_extras_reject_self_and_bad_ops(world):
    t = ember.zeros(2)
    with pytest.raises(ValueError, match="Invalid ``op``"):
        dist.P2POp(dist.send, t, 0)
    with pytest.raises(ValueError, match="Each op is expected"):
        dist.batch_isend_irecv([])
    with pytest.raises(ValueError, match="Only one of 'peer' or 'group_peer'"):
        dist.P2POp(dist.isend, t, 0, group_peer=0)
    with pytest.raises(ValueError, match="should not be the same"):
        dist.send_object_list([1], dst=0)
    with pytest.raises(ValueError, match="One of 'dst' or 'group_dst' must be set"):
        dist.send(t)


def test_coalesced_and_single_in_world_of_one(world):
    a, b = ember.tensor([1.0, 2.0]), ember.tensor([[3.0]])
    with pytest.warns(FutureWarning, match="all_reduce_coalesced"):
        fut = dist.all_reduce_coalesced([a, b], op=dist.ReduceOp.MAX, async_op=True)
    assert fut.wait() == [a, b] and a.tolist() == [1.0, 2.0] and b.tolist() == [[3.0]]
    outs = [[ember.zeros(2), ember.zeros(1, 1)]]
    with pytest.warns(FutureWarning):
        dist.all_gather_coalesced(outs, [a * 2, b * 2])
    assert outs[0][0].tolist() == [2.0, 4.0] and outs[0][1].tolist() == [[6.0]]
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="same dtype"):
        dist.all_reduce_coalesced([a, ember.tensor([1])])
    out = ember.zeros(2)
    dist.all_gather_single(out, a)
    dist.reduce_scatter_single(b.reshape(1), ember.tensor([5.0]))
    assert out.tolist() == [1.0, 2.0] and b.tolist() == [[5.0]]


def test_launch_env(monkeypatch):
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    assert not dist.is_torchelastic_launched()
    assert dist.get_node_local_rank(fallback_rank=3) == 3
    with pytest.raises(RuntimeError, match="LOCAL_RANK"):
        dist.get_node_local_rank()
    monkeypatch.setenv("LOCAL_RANK", "5")
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "none")
    assert dist.get_node_local_rank(fallback_rank=3) == 5 and dist.is_torchelastic_launched()


def test_debug_level_from_ember_env(monkeypatch):
    before = dist.get_debug_level()
    try:
        monkeypatch.setenv("EMBER_DISTRIBUTED_DEBUG", "detail")
        dist.set_debug_level_from_env()
        assert dist.get_debug_level() is dist.DebugLevel.DETAIL
        monkeypatch.setenv("EMBER_DISTRIBUTED_DEBUG", "loud")
        with pytest.raises(ValueError, match="must be OFF, INFO, or DETAIL"):
            dist.set_debug_level_from_env()
        monkeypatch.delenv("EMBER_DISTRIBUTED_DEBUG")
        dist.set_debug_level_from_env()
        assert dist.get_debug_level() is dist.DebugLevel.OFF
        dist.set_debug_level(dist.DebugLevel.INFO)
        assert dist.get_debug_level() is dist.DebugLevel.INFO
        with pytest.raises(TypeError):
            dist.set_debug_level("INFO")
    finally:
        dist.set_debug_level(before)


def test_hash_store_wakes_a_waiting_thread():
    store = dist.HashStore()
    got = []
    reader = threading.Thread(target=lambda: got.append(store.get("late")))
    reader.start()
    time.sleep(0.05)
    store.set("late", b"\x00\x01")
    reader.join(5)
    assert got == [b"\x00\x01"]
    store.queue_push("q", "a")
    assert store.queue_pop("q") == b"a"
    store.set_timeout(timedelta(milliseconds=50))
    with pytest.raises(dist.DistStoreError, match="queue 'q' stayed empty"):
        store.queue_pop("q")


def test_file_store_in_one_process(tmp_path):
    path = str(tmp_path / "store")
    first, second = dist.FileStore(path, 2), dist.FileStore(path, 2)
    first.set("k", "v")
    assert second.get("k") == b"v" and second.add("n", 4) == 4 and first.add("n", 1) == 5
    assert first.compare_set("k", "v", "w") == b"w" and second.get("k") == b"w"
    assert second.delete_key("k") and not first.check(["k"]) and first.num_keys() == 1
    with pytest.raises(NotImplementedError, match="queue"):
        first.queue_push("q", "x")
    first.set_timeout(timedelta(milliseconds=30))
    with pytest.raises(dist.DistStoreError):
        first.get("absent")
    del first
    assert os.path.exists(path)
    del second
    assert not os.path.exists(path)
    kept = dist.FileStore(path)        # world_size -1: the file outlives its stores
    kept.set("a", "b")
    del kept
    assert os.path.exists(path)
