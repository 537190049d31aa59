"""Run by test_comm_hooks.py under the launcher (2 ranks): DDP communication hooks.

Every rank feeds different data, so a bucket's local gradients differ between ranks and a
hook's effect shows in the values. Prints ``PASS <name>`` per check; a failing check
raises, which aborts the job."""

import ember
import ember.distributed as dist
from ember import nn
from ember.distributed.algorithms.ddp_comm_hooks import (DDPCommHookType, debugging_hooks,
                                                         default_hooks,
                                                         register_ddp_comm_hook)
from ember.futures import Future
from ember.nn.parallel import DistributedDataParallel as DDP


def model(dtype=ember.float32):
    ember.manual_seed(7)
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3)).to(dtype)


def grads(ddp, hook=None, state=None, dtype=ember.float32, steps=2):
    """The gradients after `steps` backward passes (fresh each step) on rank-specific data,
    with hook registered when given; several tiny buckets exercise the ordering."""
    if hook is not None:
        ddp.register_comm_hook(state, hook)
    rank = dist.get_rank()
    out = []
    for step in range(steps):
        ddp.zero_grad()
        ember.manual_seed(1000 * step + rank)
        x = ember.randn(4, 5, dtype=dtype)
        ddp(x).pow(2).sum().backward()
        out.append([p.grad.clone() for p in ddp.module.parameters()])
    return out


def local_grads(dtype=ember.float32, steps=2):
    """The gradients each rank computes on its own data, their average over ranks and the
    average of their magnitudes (what rounding errors of a compressed sum scale with)."""
    m = model(dtype)
    own, mean, magnitude = [], [], []
    for step in range(steps):
        per_rank = []
        for r in range(dist.get_world_size()):
            m.zero_grad()
            ember.manual_seed(1000 * step + r)
            m(ember.randn(4, 5, dtype=dtype)).pow(2).sum().backward()
            per_rank.append([p.grad.clone() for p in m.parameters()])
        own.append(per_rank[dist.get_rank()])
        mean.append([sum(gs) / len(per_rank) for gs in zip(*per_rank)])
        magnitude.append([sum(g.abs() for g in gs) / len(per_rank) for gs in zip(*per_rank)])
    return own, mean, magnitude


def max_diff(a, b):
    return max(float((x.double() - y.double()).abs().max())
               for step_a, step_b in zip(a, b) for x, y in zip(step_a, step_b))


def main():
    dist.init_process_group("mpi")
    rank, n = dist.get_rank(), dist.get_world_size()
    assert n == 2

    def done(name):
        dist.barrier()
        if rank == 0:
            print(f"PASS {name}\n", end="", flush=True)

    cap = 0.0001  # about 100 bytes: one bucket per parameter or two
    own, mean, magnitude = local_grads()
    plain = grads(DDP(model(), bucket_cap_mb=cap))
    assert max_diff(plain, mean) < 1e-6, max_diff(plain, mean)
    # dividing before or after the sum is exact with two ranks: the hook gives the same bits
    hooked = grads(DDP(model(), bucket_cap_mb=cap), default_hooks.allreduce_hook)
    assert all(ember.equal(x, y) for sa, sb in zip(hooked, plain) for x, y in zip(sa, sb))
    done("allreduce_hook_matches_no_hook")

    # each rank's half rounds once and their sum once more: within one eps of the magnitudes
    for name, hook, eps in (
            ("fp16", default_hooks.fp16_compress_hook, ember.finfo(ember.float16).eps),
            ("bf16", default_hooks.bf16_compress_hook, ember.finfo(ember.bfloat16).eps),
            ("fp16_wrapper", default_hooks.fp16_compress_wrapper(default_hooks.allreduce_hook),
             ember.finfo(ember.float16).eps),
            ("bf16_wrapper", default_hooks.bf16_compress_wrapper(default_hooks.allreduce_hook),
             ember.finfo(ember.bfloat16).eps)):
        got = grads(DDP(model(), bucket_cap_mb=cap), hook)
        assert all(g.dtype == ember.float32 for step in got for g in step)
        worst = max(float(((x - y).abs() / (eps * m + 1e-30)).max())
                    for sa, sb, sm in zip(got, mean, magnitude) for x, y, m in zip(sa, sb, sm))
        assert 0 < max_diff(got, mean) and worst <= 1.0, (name, worst)
        done(f"{name}_compress_close")

    # a hook that sums without averaging: twice the mean on two ranks
    def sum_hook(state, bucket):
        state.append((bucket.index(), bucket.is_last()))
        return dist.all_reduce(bucket.buffer(), async_op=True).get_future().then(
            lambda fut: fut.value()[0])

    calls = []
    summed = grads(DDP(model(), bucket_cap_mb=cap), sum_hook, state=calls, steps=1)
    assert max_diff(summed, [[2 * g for g in mean[0]]]) < 1e-5
    indices = [i for i, _ in calls]
    assert indices == list(range(len(indices))) and len(indices) > 1, calls
    assert [last for _, last in calls] == [i == len(indices) - 1 for i in indices]
    done("custom_sum_hook")

    # the no-op hook leaves every rank its own gradients
    local = grads(DDP(model(), bucket_cap_mb=cap), debugging_hooks.noop_hook)
    assert max_diff(local, own) < 1e-6 and max_diff(own, mean) > 1e-3
    noop = DDP(model(), bucket_cap_mb=cap)
    register_ddp_comm_hook(DDPCommHookType.NOOP, noop)
    assert max_diff(grads(noop), own) < 1e-6
    done("noop_hook_keeps_local")

    # a hook completing its future from another thread, set_buffer, and a float64 result
    import threading

    def threaded_hook(state, bucket):
        fut = Future()
        bucket.set_buffer(bucket.buffer() * 3)
        threading.Thread(target=lambda: fut.set_result(bucket.buffer().double())).start()
        return fut

    tripled = grads(DDP(model(), bucket_cap_mb=cap), threaded_hook, steps=1)
    assert max_diff(tripled, [[3 * g for g in own[0]]]) < 1e-5
    done("threaded_future_and_set_buffer")

    # registering twice raises, and a hook that returns no Future fails the backward
    ddp = DDP(model())
    ddp.register_comm_hook(None, default_hooks.allreduce_hook)
    try:
        ddp.register_comm_hook(None, default_hooks.allreduce_hook)
    except RuntimeError as e:
        assert "can only be called once" in str(e)
    else:
        raise AssertionError("registering a second hook did not raise")
    bad = DDP(model())
    bad.register_comm_hook(None, lambda state, bucket: bucket.buffer())
    try:
        bad(ember.randn(2, 5)).sum().backward()
    except RuntimeError as e:
        assert "must return an ember.futures.Future" in str(e)
    else:
        raise AssertionError("a hook returning a tensor did not raise")
    done("registration_errors")

    print(f"ALL DONE {rank}", flush=True)


if __name__ == "__main__":
    main()
