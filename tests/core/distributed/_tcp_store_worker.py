"""Run by test_tcp_store.py under the launcher (2 ranks): rank 0 is a TCPStore's master,
rank 1 a client on the same host. Prints ``PASS <name>`` per check; a failing check
raises, which aborts the job."""

import socket
import sys
import time
from datetime import timedelta

import ember.distributed as dist


def main():
    dist.init_process_group("gloo")
    rank = dist.get_rank()

    def done(name):
        dist.barrier()
        if rank == 0:
            print(f"PASS {name}\n", end="", flush=True)

    # the master listens before the port is shared, so the client can join at once; the
    # master's constructor then waits for it (world_size=2, wait_for_workers)
    listener = socket.create_server(("", 0)) if rank == 0 else None
    port = [listener.getsockname()[1] if rank == 0 else None]
    dist.broadcast_object_list(port, src=0)
    timeout = timedelta(seconds=20)
    if rank == 0:
        store = dist.TCPStore("127.0.0.1", port[0], 2, True, timeout,
                              master_listen_fd=listener.detach())
    else:
        store = dist.TCPStore("127.0.0.1", port[0], 2, False, timeout)
    assert store.port == port[0] and store.host == "127.0.0.1"
    assert store.num_keys() == 1  # the join counter, as torch's
    done("join")

    # a blocking get on rank 1 for a key rank 0 sets later
    if rank == 0:
        time.sleep(0.3)
        store.set("from0", b"\x00\xffpayload")
    else:
        start = time.monotonic()
        assert store.get("from0") == b"\x00\xffpayload"
        assert time.monotonic() - start > 0.1
    done("blocking_get")

    for _ in range(25):
        store.add("count", rank + 1)
    dist.barrier()
    assert store.get("count") == b"75"
    done("add_from_both")

    winner = store.compare_set("leader", "", str(rank))
    dist.barrier()
    assert winner == store.get("leader") and winner in (b"0", b"1")
    done("compare_set_race")

    if rank == 1:
        store.multi_set(["k1", "k2"], ["a", "b"])
        store.queue_push("jobs", "j1")
        store.queue_push("jobs", "j2")
    store.wait(["k1", "k2"])
    assert store.multi_get(["k2", "k1"]) == [b"b", b"a"]
    dist.barrier()
    if rank == 0:
        assert store.queue_pop("jobs") == b"j1" and store.queue_len("jobs") == 1
    done("multi_and_queue")

    dist.barrier()
    if rank == 0:
        assert store.delete_key("k1") and not store.check(["k1"])
    dist.barrier()
    assert not store.check(["k1", "k2"]) and store.check(["k2"])
    try:
        store.wait(["never"], timedelta(milliseconds=50))
    except dist.DistStoreError:
        pass
    else:
        raise AssertionError("wait on a missing key did not time out")
    done("delete_check_timeout")

    dist.destroy_process_group()
    print(f"ALL DONE {rank}\n", end="", flush=True)


if __name__ == "__main__":
    sys.exit(main())
