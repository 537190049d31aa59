"""Point-to-point extras: batched sends/receives (``P2POp``) and pickled object lists."""

from __future__ import annotations

from typing import Any, Callable

import ember

from .distributed_c10d import ProcessGroup, Work, _check, _resolve, _source, irecv, isend

# object messages travel under their own MPI tag so they never match a tensor recv
_OBJECT_TAG = 32766


class P2POp:
    """One send or receive for batch_isend_irecv: op is ``isend`` or ``irecv``, peer a
    global rank (or group_peer a rank of group).

    Example:
        >>> ops = [dist.P2POp(dist.isend, send_buf, (rank + 1) % world),
        ...        dist.P2POp(dist.irecv, recv_buf, (rank - 1) % world)]
        >>> for work in dist.batch_isend_irecv(ops):
        ...     work.wait()
    """

    def __init__(self, op: Callable, tensor: ember.Tensor, peer: int | None = None,
                 group: ProcessGroup | None = None, tag: int = 0,
                 group_peer: int | None = None) -> None:
        if op is not isend and op is not irecv:
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type "
                             "``ember.distributed.isend`` or ``ember.distributed.irecv``.")
        _check(tensor)
        self.op = op
        self.tensor = tensor
        self.group = group
        self.tag = tag
        pg = _resolve(group)
        if pg is None:  # this rank is outside group: the op is a no-op here
            self.peer, self.group_peer = peer, group_peer
            return
        self.group_peer = pg._peer(peer, group_peer, "peer")
        self.peer = pg._ranks[self.group_peer]

    def __repr__(self) -> str:
        return (f"P2POp({self.op.__name__} peer={self.peer}, {tuple(self.tensor.shape)}, "
                f"{self.tensor.dtype})")


def batch_isend_irecv(p2p_op_list: list[P2POp]) -> list[Work]:
    """Starts every send and receive of the list at once and returns their Works; all ops
    must use the same group. Exchanges in a ring cannot deadlock.

    Example:
        >>> works = dist.batch_isend_irecv([dist.P2POp(dist.isend, t, 1),
        ...                                 dist.P2POp(dist.irecv, r, 1)])
        >>> [w.wait() for w in works]
    """
    if not isinstance(p2p_op_list, list) or not p2p_op_list or \
            not all(isinstance(op, P2POp) for op in p2p_op_list):
        raise ValueError("Invalid ``p2p_op_list``. Each op is expected to be of type "
                         "``ember.distributed.P2POp``.")
    group = p2p_op_list[0].group
    if any(op.group is not group for op in p2p_op_list):
        raise ValueError("All ops need to use the same group.")
    pg = _resolve(group)
    if pg is None:
        return []
    works = []
    with pg._comm.batch():
        for op in p2p_op_list:
            peer = {"group_dst" if op.op is isend else "group_src": op.group_peer}
            works.append(op.op(op.tensor, group=group, tag=op.tag, **peer))
    return works


def send_object_list(object_list: list[Any], dst: int | None = None, group=None,
                     device=None, group_dst: int | None = None,
                     use_batch: bool = False) -> None:
    """Sends a list of picklable objects to one rank (which calls recv_object_list).

    Example:
        >>> if rank == 0:
        ...     dist.send_object_list(["a", {"b": 1}], dst=1)
    """
    pg = _resolve(group)
    if pg is None:
        return
    peer = pg._peer(dst, group_dst, "dst")
    if peer == pg.rank():
        raise ValueError("Invalid destination rank: destination rank should not be the same "
                         "as the rank of the current process.")
    pg._comm.send_object(list(object_list), peer, _OBJECT_TAG)


def recv_object_list(object_list: list[Any], src: int | None = None, group=None,
                     device=None, group_src: int | None = None,
                     use_batch: bool = False) -> int:
    """Fills object_list with the objects a send_object_list sent (from src, or any rank
    when None); object_list must have as many items as were sent. Returns the sender's
    global rank (-1 outside group).

    Example:
        >>> got = [None, None]
        >>> sender = dist.recv_object_list(got, src=0)
    """
    pg = _resolve(group)
    if pg is None:
        return -1
    peer = _source(pg, src, group_src)
    if peer == pg.rank():
        raise ValueError("Invalid source rank: source rank should not be the same as the "
                         "rank of the current process.")
    objects, sender = pg._comm.recv_object(peer, _OBJECT_TAG)
    if len(objects) != len(object_list):
        raise ValueError(f"recv_object_list got {len(objects)} objects from rank "
                         f"{pg._ranks[sender]} but object_list has {len(object_list)} slots")
    object_list[:] = objects
    return pg._ranks[sender]
