"""TCPStore: in one process (the master and clients on threads), and on 2 ranks (needs
mpi4py) with rank 0 the master and rank 1 a client."""

import socket
import threading
import time
from datetime import timedelta

import pytest

import ember.distributed as dist

CHECKS = ["join", "blocking_get", "add_from_both", "compare_set_race", "multi_and_queue",
          "delete_check_timeout"]

WORKER = "_tcp_store_worker.py"  # run by conftest's job fixture


def test_job_completes_on_both_ranks(job):
    assert "ALL DONE 0" in job and "ALL DONE 1" in job


@pytest.mark.parametrize("check", CHECKS)
def test_two_ranks(job, check):
    assert f"PASS {check}\n" in job


@pytest.fixture
def pair():
    master = dist.TCPStore("127.0.0.1", 0, is_master=True, timeout=timedelta(seconds=5))
    client = dist.TCPStore("127.0.0.1", master.port, timeout=timedelta(seconds=5))
    return master, client


def test_values_are_shared(pair):
    master, client = pair
    client.set("key", "value")
    master.set("bin", b"\x00\x01\xfe")
    assert master.get("key") == b"value" and client.get("bin") == b"\x00\x01\xfe"
    assert master.add("n", 4) == 4 and client.add("n", -7) == -3 and master.get("n") == b"-3"
    client.append("key", "+")
    assert master.get("key") == b"value+"
    assert sorted(master.list_keys()) == ["bin", "key", "n"] and client.num_keys() == 3
    assert isinstance(master, dist.Store) and master.has_extended_api()


def test_get_blocks_until_another_thread_sets(pair):
    master, client = pair
    threading.Timer(0.2, master.set, ("late", "here")).start()
    start = time.monotonic()
    assert client.get("late") == b"here"
    assert 0.1 < time.monotonic() - start < 4


def test_get_times_out_with_dist_store_error(pair):
    _, client = pair
    client.set_timeout(timedelta(milliseconds=100))
    assert client.timeout == timedelta(milliseconds=100)
    start = time.monotonic()
    with pytest.raises(dist.DistStoreError, match="missing"):
        client.get("missing")
    assert time.monotonic() - start < 2
    with pytest.raises(dist.DistStoreError):
        client.wait(["a", "b"], timedelta(milliseconds=50))
    client.set("a", "1")  # the connection still serves after a timeout
    assert client.check(["a"]) and not client.check(["a", "b"])


def test_compare_set_delete_and_queues(pair):
    master, client = pair
    assert client.compare_set("c", "", "first") == b"first"
    assert client.compare_set("c", "wrong", "second") == b"first"
    assert master.compare_set("c", "first", "second") == b"second"
    assert client.compare_set("absent", "x", "y") == b"x" and not client.check(["absent"])
    assert master.delete_key("c") and not client.delete_key("c")
    client.queue_push("q", "1")
    client.queue_push("q", "2")
    assert master.queue_len("q") == 2 and master.queue_pop("q") == b"1"
    assert client.queue_pop("q", block=False) == b"2"
    with pytest.raises(dist.QueueEmptyError):
        client.queue_pop("q", block=False)
    client.set("text", "abc")
    with pytest.raises(ValueError, match="does not start with an integer"):
        client.add("text", 1)


def test_concurrent_adds_from_threads(pair):
    master, _ = pair
    clients = [dist.TCPStore("127.0.0.1", master.port) for _ in range(4)]
    threads = [threading.Thread(target=lambda c=c: [c.add("hits", 1) for _ in range(50)])
               for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert master.get("hits") == b"200"


def test_master_waits_for_workers():
    probe = socket.create_server(("", 0))
    port = probe.getsockname()[1]
    joined = []

    def worker():
        time.sleep(0.2)
        joined.append(dist.TCPStore("127.0.0.1", port, world_size=2,
                                    timeout=timedelta(seconds=5)))

    threading.Thread(target=worker).start()
    master = dist.TCPStore("127.0.0.1", port, world_size=2, is_master=True,
                           timeout=timedelta(seconds=5), master_listen_fd=probe.detach())
    assert joined and master.num_keys() == 1 and master.list_keys() == []


def test_master_alone_times_out_waiting_for_workers():
    with pytest.raises(dist.DistStoreError, match="1/2 clients joined"):
        dist.TCPStore("127.0.0.1", 0, world_size=2, is_master=True,
                      timeout=timedelta(milliseconds=200))


def test_multi_tenant_masters_share_a_server():
    a = dist.TCPStore("127.0.0.1", 0, is_master=True, multi_tenant=True)
    b = dist.TCPStore("127.0.0.1", a.port, is_master=True, multi_tenant=True)
    a.set("shared", "yes")
    assert b.get("shared") == b"yes" and b.port == a.port


def test_client_without_server_raises_network_error():
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]  # a port no one listens on once closed
    with pytest.raises(dist.DistNetworkError, match="timed out after 200ms"):
        dist.TCPStore("127.0.0.1", port, timeout=timedelta(milliseconds=200))


def test_server_refuses_unknown_requests(pair):
    master, _ = pair
    with pytest.raises(dist.DistStoreError, match="unknown TCPStore request"):
        master._request(b"exec", b"__import__('os')")
    with pytest.raises(dist.DistStoreError, match="malformed"):
        master._request(b"set")
    assert master.num_keys() == 0


def test_server_stops_with_its_master():
    master = dist.TCPStore("127.0.0.1", 0, is_master=True)
    port = master.port
    del master
    with pytest.raises(dist.DistNetworkError):
        dist.TCPStore("127.0.0.1", port, timeout=timedelta(milliseconds=200))
