"""Run by test_extras.py under the launcher (2 ranks): the torch.distributed extras
(batched p2p, object p2p, subgroups, monitored_barrier, FileStore, coalesced collectives).
Prints ``PASS <name>`` per check; a failing check raises, which aborts the job."""

import gc
import os
import sys
import tempfile
import time
import warnings
from datetime import timedelta

import ember
import ember.distributed as dist


def main():
    dist.init_process_group("gloo")
    rank, n = dist.get_rank(), dist.get_world_size()
    assert n == 2
    peer = 1 - rank

    def done(name):
        dist.barrier()  # both ranks finished the check before rank 0 reports it
        if rank == 0:
            print(f"PASS {name}\n", end="", flush=True)

    # launcher environment
    assert dist.is_torchelastic_launched()
    assert dist.get_node_local_rank() == rank == dist.get_node_local_rank(fallback_rank=7)
    done("launch_env")

    # a ring exchange: each rank sends before it receives, in one batch
    send_buf = ember.arange(4, dtype=ember.float32) + 10 * rank
    recv_buf = ember.zeros(4)
    ops = [dist.P2POp(dist.isend, send_buf, (rank + 1) % n),
           dist.P2POp(dist.irecv, recv_buf, (rank - 1) % n)]
    works = dist.batch_isend_irecv(ops)
    assert len(works) == 2 and all(isinstance(w, dist.Work) for w in works)
    for w in works:
        w.wait()
    assert recv_buf.tolist() == [10.0 * peer + i for i in range(4)], recv_buf
    done("batch_isend_irecv_ring")

    # group_peer on a subgroup that lists the ranks in reverse order of the world
    everyone = dist.new_group([1, 0])
    got = ember.zeros(2, dtype=ember.int64)
    works = dist.batch_isend_irecv([
        dist.P2POp(dist.irecv, got, group=everyone, group_peer=dist.get_group_rank(everyone,
                                                                                   peer)),
        dist.P2POp(dist.isend, ember.tensor([rank, 7 * rank]), group=everyone,
                   group_peer=dist.get_group_rank(everyone, peer))])
    for w in works:
        w.wait()
    assert got.tolist() == [peer, 7 * peer]
    done("batch_isend_irecv_group_peer")

    # pickled objects point to point
    if rank == 0:
        dist.send_object_list(["text", {"k": [1, 2]}, 3.5], dst=1)
        back = [None]
        assert dist.recv_object_list(back) == 1      # any source
        assert back == [("pong", 1)]
    else:
        slots = [None, None, None]
        assert dist.recv_object_list(slots, src=0) == 0
        assert slots == ["text", {"k": [1, 2]}, 3.5]
        dist.send_object_list([("pong", 1)], group_dst=0)
    done("object_lists")

    # group rank mapping
    only1 = dist.new_group([1])
    assert dist.get_process_group_ranks(everyone) == [0, 1]
    assert dist.get_process_group_ranks(None) == [0, 1]
    assert dist.get_group_rank(dist.group.WORLD, 1) == 1
    if rank == 1:
        assert dist.get_group_rank(only1, 1) == 0 and dist.get_global_rank(only1, 0) == 1
        for bad in (lambda: dist.get_group_rank(only1, 0),
                    lambda: dist.get_global_rank(only1, 1)):
            try:
                bad()
            except ValueError as e:
                assert "is not part of group" in str(e)
            else:
                raise AssertionError("expected ValueError")
    else:
        assert only1 is dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(only1) == -1
    done("group_rank_mapping")

    # subgroups (every rank counts every group it took part in creating)
    count = dist.get_pg_count()
    assert count == 3, count                           # world + everyone + only1
    mine, groups = dist.new_subgroups(group_size=1)
    assert len(groups) == 2 and dist.get_process_group_ranks(mine) == [rank]
    t = ember.tensor([float(rank + 1)])
    dist.all_reduce(t, group=mine)
    assert t.tolist() == [rank + 1.0]                  # a group of one keeps its value
    mine, groups = dist.new_subgroups_by_enumeration([[1], [0]])
    assert dist.get_process_group_ranks(mine) == [rank]
    assert groups[1 - rank] is mine and groups[rank] is dist.GroupMember.NON_GROUP_MEMBER
    pair, groups = dist.new_subgroups(group_size=2)
    t = ember.tensor([float(rank + 1)])
    dist.all_reduce(t, group=pair)
    assert t.tolist() == [3.0] and len(groups) == 1
    assert dist.get_pg_count() == count + 5
    try:
        dist.new_subgroups_by_enumeration([[0, 1], [1]])
    except ValueError as e:
        assert "Rank 1 has appeared in both subgroup [0, 1] and [1]" in str(e)
    else:
        raise AssertionError("overlap accepted")
    try:
        dist.new_subgroups(group_size=3)
    except ValueError as e:
        assert "must not exceed the world size (2)" in str(e)
    else:
        raise AssertionError("group_size 3 accepted")
    done("subgroups")

    # coalesced collectives and the *_single names
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a = ember.tensor([1.0, 2.0]) * (rank + 1)
        b = ember.tensor([[3.0], [4.0], [5.0]]) * (rank + 1)
        dist.all_reduce_coalesced([a, b])
        assert a.tolist() == [3.0, 6.0] and b.tolist() == [[9.0], [12.0], [15.0]]
        outs = [[ember.zeros(2), ember.zeros(1, 1)] for _ in range(n)]
        w = dist.all_gather_coalesced(outs, [ember.tensor([1.0, 2.0]) + rank,
                                             ember.tensor([[5.0]]) * rank], async_op=True)
        w.wait()
        assert [[o.tolist() for o in lst] for lst in outs] == \
            [[[1.0, 2.0], [[0.0]]], [[2.0, 3.0], [[5.0]]]]
    assert sum(issubclass(c.category, FutureWarning) for c in caught) == 2
    out = ember.zeros(4, dtype=ember.int64)
    dist.all_gather_single(out, ember.tensor([1, 2]) + 2 * rank)
    assert out.tolist() == [1, 2, 3, 4]
    part = ember.zeros(2, dtype=ember.int64)
    dist.reduce_scatter_single(part, ember.arange(4))
    assert part.tolist() == ([0, 2] if rank == 0 else [4, 6])
    done("coalesced_and_single")

    # FileStore shared by both ranks
    path = [tempfile.mktemp(prefix="ember-filestore-") if rank == 0 else None]
    dist.broadcast_object_list(path)
    store = dist.FileStore(path[0], 2)
    if rank == 1:
        assert store.get("from0") == b"hello"        # blocks until rank 0 sets it
    else:
        time.sleep(0.1)
        store.set("from0", "hello")
    assert store.add("counter", rank + 1) in ((rank + 1), 3)
    dist.barrier()
    assert store.get("counter") == b"3"
    won = store.compare_set("leader", "", f"rank{rank}")
    dist.barrier()
    leader = store.get("leader")
    assert leader in (b"rank0", b"rank1") and (won == leader)
    prefixed = dist.PrefixStore(f"r{rank}", store)
    prefixed.set("own", str(rank))
    dist.barrier()
    assert store.get(f"r{peer}/own") == str(peer).encode()
    assert sorted(store.list_keys()) == ["counter", "from0", "leader", "r0/own", "r1/own"]
    store.set_timeout(timedelta(milliseconds=100))
    try:
        store.wait(["never"])
    except dist.DistStoreError as e:
        assert "never" in str(e)
    else:
        raise AssertionError("wait did not time out")
    dist.barrier()
    del store, prefixed
    gc.collect()
    dist.barrier()
    assert not os.path.exists(path[0])            # the last of the 2 users removed it
    done("file_store")

    # monitored_barrier: all arrive; then rank 1 skips it and rank 0 gets a clear error
    dist.monitored_barrier(timeout=timedelta(seconds=30))
    if rank == 0:
        for wait_all, head in ((False, "Rank 1 failed"), (True, "Rank 1 failed")):
            start = time.monotonic()
            try:
                dist.monitored_barrier(timeout=timedelta(milliseconds=300),
                                       wait_all_ranks=wait_all)
            except dist.DistBackendError as e:
                assert str(e).startswith(head + " to pass monitored_barrier in 300 ms"), e
                assert isinstance(e, RuntimeError)
            else:
                raise AssertionError("monitored_barrier passed without rank 1")
            assert time.monotonic() - start < 5
    dist.barrier()
    done("monitored_barrier")

    # rank 0 skips it: rank 1 stops waiting for rank 0's answer (last: its arrival stays
    # unmatched at rank 0)
    if rank == 1:
        try:
            dist.monitored_barrier(timeout=timedelta(milliseconds=300))
        except dist.DistBackendError as e:
            assert "Rank 1 reached monitored_barrier, but rank 0 did not answer" in str(e), e
        else:
            raise AssertionError("monitored_barrier passed without rank 0")
    done("monitored_barrier_rank0_absent")

    dist.destroy_process_group()
    print(f"ALL DONE {rank}\n", end="", flush=True)


if __name__ == "__main__":
    sys.exit(main())
