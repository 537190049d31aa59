"""Run by test_collectives.py under the launcher (2 ranks): checks every collective and
prints ``PASS <name>`` per check; a failing check raises, which aborts the job."""

import sys

import ember
import ember.distributed as dist
from ember.distributed import ReduceOp

DTYPES = [ember.float32, ember.float64, ember.int64, ember.int32, ember.int16, ember.int8,
          ember.uint8, ember.float16, ember.bfloat16, ember.bool]


def vals(rank, dtype, n=5):
    """Per-rank values that stay exact in every dtype (small integers)."""
    if dtype is ember.bool:
        return ember.tensor([(i + rank) % 2 == 0 for i in range(n)])
    return ember.tensor([(i + 1) * (rank + 2) % 7 + 1 for i in range(n)]).to(dtype)


def same(a, b, name):
    if a.dtype != b.dtype or a.shape != b.shape or not bool((a.double() == b.double()).all()):
        raise AssertionError(f"{name}: got {a} expected {b}")


def main():
    dist.init_process_group("mpi")
    rank, n = dist.get_rank(), dist.get_world_size()
    assert n == 2 and dist.is_initialized() and dist.get_backend() == "mpi"
    all_vals = {d: [vals(r, d) for r in range(n)] for d in DTYPES}

    def done(name):
        if rank == 0:  # rank 1 reports failures by aborting the job
            # one write per line: both ranks share the stdout pipe, and print writes the
            # text and the newline separately when stdout is unbuffered
            print(f"PASS {name}\n", end="", flush=True)

    for d in DTYPES:
        dn = str(d).split(".")[-1]
        v = all_vals[d]
        ops = [ReduceOp.SUM, ReduceOp.PRODUCT, ReduceOp.MIN, ReduceOp.MAX]
        if d.is_floating_point:
            ops.append(ReduceOp.AVG)
        for op in ops:
            t = vals(rank, d)
            dist.all_reduce(t, op=op)
            if d is ember.bool:
                exp = {ReduceOp.SUM: v[0] | v[1], ReduceOp.MAX: v[0] | v[1],
                       ReduceOp.PRODUCT: v[0] & v[1], ReduceOp.MIN: v[0] & v[1]}[op]
            else:
                a, b = v[0].double(), v[1].double()
                exp = {ReduceOp.SUM: a + b, ReduceOp.PRODUCT: a * b,
                       ReduceOp.MIN: ember.minimum(a, b), ReduceOp.MAX: ember.maximum(a, b),
                       ReduceOp.AVG: (a + b) / 2}[op].to(d)
            same(t, exp, f"all_reduce {op} {dn}")
            done(f"all_reduce_{op.name}_{dn}")
        exp_sum = (v[0] | v[1]) if d is ember.bool else (v[0].double() + v[1].double()).to(d)
        # async all_reduce
        t = vals(rank, d)
        w = dist.all_reduce(t, async_op=True)
        w.wait()
        same(t, exp_sum, "async all_reduce")
        done(f"all_reduce_async_{dn}")
        # broadcast
        t = vals(rank, d)
        dist.broadcast(t, src=1)
        same(t, v[1], "broadcast")
        done(f"broadcast_{dn}")
        # reduce
        t = vals(rank, d)
        dist.reduce(t, dst=0)
        same(t, exp_sum if rank == 0 else v[rank], "reduce")
        done(f"reduce_{dn}")
        # all_gather / all_gather_into_tensor
        out = [ember.zeros(5, dtype=d) for _ in range(n)]
        dist.all_gather(out, vals(rank, d))
        for r in range(n):
            same(out[r], v[r], "all_gather")
        done(f"all_gather_{dn}")
        big = ember.zeros(10, dtype=d)
        dist.all_gather_into_tensor(big, vals(rank, d))
        same(big, ember.cat(v), "all_gather_into_tensor")
        done(f"all_gather_into_tensor_{dn}")
        # gather / scatter
        glist = [ember.zeros(5, dtype=d) for _ in range(n)] if rank == 1 else None
        dist.gather(vals(rank, d), glist, dst=1)
        if rank == 1:
            for r in range(n):
                same(glist[r], v[r], "gather")
        done(f"gather_{dn}")
        t = ember.zeros(5, dtype=d)
        dist.scatter(t, [vals(r, d) for r in range(n)] if rank == 0 else None, src=0)
        same(t, v[rank], "scatter")
        done(f"scatter_{dn}")
        # reduce_scatter / reduce_scatter_tensor: input chunk r = vals(rank) + r
        if d is not ember.bool:
            chunks = [(vals(rank, d).double() + r).to(d) for r in range(n)]
            exp = (v[0].double() + v[1].double() + 2 * rank).to(d)
            t = ember.zeros(5, dtype=d)
            dist.reduce_scatter(t, chunks)
            same(t, exp, "reduce_scatter")
            t = ember.zeros(5, dtype=d)
            dist.reduce_scatter_tensor(t, ember.cat(chunks))
            same(t, exp, "reduce_scatter_tensor")
            done(f"reduce_scatter_{dn}")
        # all_to_all: rank r sends (vals(r) + dst) to dst
        ins = [vals(rank, d) if d is ember.bool else (vals(rank, d).double() + j).to(d)
               for j in range(n)]
        outs = [ember.zeros(5, dtype=d) for _ in range(n)]
        dist.all_to_all(outs, ins)
        for src in range(n):
            e = v[src] if d is ember.bool else (v[src].double() + rank).to(d)
            same(outs[src], e, "all_to_all")
        done(f"all_to_all_{dn}")
        # send / recv, isend / irecv
        if rank == 0:
            dist.send(vals(0, d), dst=1)
            t = ember.zeros(5, dtype=d)
            w = dist.irecv(t, src=1, tag=3)
            w.wait()
            same(t, v[1], "irecv")
        else:
            t = ember.zeros(5, dtype=d)
            src = dist.recv(t)
            assert src == 0
            same(t, v[0], "recv")
            dist.isend(vals(1, d), dst=0, tag=3).wait()
        done(f"send_recv_{dn}")

    # all_to_all_single with uneven splits
    inp = ember.arange(3.) + 10 * rank
    out = ember.zeros(3)
    splits_in = [1, 2] if rank == 0 else [2, 1]
    splits_out = [1, 2] if rank == 0 else [2, 1]
    dist.all_to_all_single(out, inp, splits_out, splits_in)
    exp = ember.tensor([0., 10., 11.]) if rank == 0 else ember.tensor([1., 2., 12.])
    same(out, exp, "all_to_all_single")
    done("all_to_all_single")
    # objects
    objs = [{"a": rank}, "x"] if rank == 0 else [None, None]
    dist.broadcast_object_list(objs, src=0)
    assert objs == [{"a": 0}, "x"], objs
    got = [None] * n
    dist.all_gather_object(got, ("r", rank))
    assert got == [("r", 0), ("r", 1)], got
    done("objects")
    # groups
    g = dist.new_group([1])
    if rank == 1:
        assert dist.get_rank(g) == 0 and dist.get_world_size(g) == 1
        t = ember.ones(2)
        dist.all_reduce(t, group=g)
        same(t, ember.ones(2), "subgroup all_reduce")
    else:
        assert dist.get_rank(g) == -1 and dist.all_reduce(ember.ones(2), group=g) is None
    whole = dist.new_group()
    t = ember.ones(2)
    dist.all_reduce(t, group=whole)
    same(t, ember.full((2,), 2.0), "new_group all_reduce")
    done("new_group")
    # non-contiguous tensors are refused
    try:
        dist.all_reduce(ember.ones(3, 2).t())
    except ValueError as e:
        assert "contiguous" in str(e)
        done("non_contiguous_error")
    dist.barrier()
    done("barrier")
    dist.destroy_process_group()
    assert not dist.is_initialized()
    print(f"ALL DONE {rank}\n", end="", flush=True)


if __name__ == "__main__":
    sys.exit(main())
