"""DDP communication hooks, GradBucket and Work.get_future in a world of one process (no
launcher): what a hook sees, how its result lands in .grad, and registration errors."""

import pytest

import ember
import ember.distributed as dist
from ember import nn
from ember.distributed.algorithms.ddp_comm_hooks import (DDPCommHookType, default_hooks,
                                                         register_ddp_comm_hook)
from ember.futures import Future
from ember.nn.parallel import DistributedDataParallel as DDP


def _model():
    ember.manual_seed(3)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def _local_grads(x):
    m = _model()
    m(x).pow(2).sum().backward()
    return [p.grad for p in m.parameters()]


def _resolved(value):
    fut = Future()
    fut.set_result(value)
    return fut


def test_work_future_holds_the_outputs(world):
    t = ember.tensor([1.0, 2.0])
    work = dist.all_reduce(t, async_op=True)
    fut = work.get_future()
    assert work.get_future() is fut
    doubled = fut.then(lambda f: f.value()[0] * 2)
    assert doubled.wait().tolist() == [2.0, 4.0]
    assert fut.done() and fut.value()[0] is t and work.is_completed()
    late = dist.broadcast(ember.ones(2), 0, async_op=True)
    late.wait()                          # a future asked for after completion is done
    assert late.get_future().done() and late.get_future().value()[0].tolist() == [1.0, 1.0]
    assert dist.barrier(async_op=True).get_future().wait() == []


def test_async_coalesced_collectives_return_futures(world):
    a, b = ember.tensor([1.0, 2.0]), ember.tensor([[3.0]])
    with pytest.warns(FutureWarning):
        fut = dist.all_reduce_coalesced([a, b], async_op=True)
    assert isinstance(fut, Future)
    got = fut.wait()
    assert got[0] is a and got[1] is b and a.tolist() == [1.0, 2.0]
    outs = [[ember.zeros(2), ember.zeros(1, 1)]]
    with pytest.warns(FutureWarning):
        fut = dist.all_gather_coalesced(outs, [a * 2, b * 2], async_op=True)
    got = fut.wait()
    assert got[0] is outs[0][0] and got[1] is outs[0][1]
    assert outs[0][0].tolist() == [2.0, 4.0] and outs[0][1].tolist() == [[6.0]]


def test_grad_bucket_shows_the_local_gradients(world):
    x = ember.randn(5, 3)
    want = _local_grads(x)
    model = _model()
    ddp = DDP(model)
    seen = []

    def spy(state, bucket):
        state.append((bucket.index(), bucket.is_last(), bucket.parameters(),
                      [g.clone() for g in bucket.gradients()], bucket.buffer().clone()))
        return _resolved(bucket.buffer())

    ddp.register_comm_hook(seen, spy)
    ddp(x).pow(2).sum().backward()
    assert len(seen) == 1
    index, last, params, grads, buffer = seen[0]
    assert index == 0 and last is True
    assert all(p is q for p, q in zip(params, model.parameters()))
    assert [tuple(g.shape) for g in grads] == [(4, 3), (4,), (2, 4), (2,)]
    assert all(ember.equal(g, w) for g, w in zip(grads, want))
    assert ember.equal(buffer, ember.cat([w.reshape(-1) for w in want]))
    assert all(ember.equal(p.grad, w) for p, w in zip(model.parameters(), want))


def test_several_buckets_are_indexed_in_launch_order(world):
    ddp = DDP(_model(), bucket_cap_mb=0.00003)      # 31 bytes: one parameter per bucket
    calls = []

    def spy(state, bucket):
        calls.append((bucket.index(), bucket.is_last(),
                      [tuple(p.shape) for p in bucket.parameters()]))
        return _resolved(bucket.buffer())

    ddp.register_comm_hook(None, spy)
    ddp(ember.randn(2, 3)).sum().backward()
    assert calls == [(0, False, [(2,)]), (1, False, [(2, 4)]), (2, False, [(4,)]),
                     (3, True, [(4, 3)])]


def test_hook_result_is_written_into_grad(world):
    x = ember.randn(4, 3)
    want = _local_grads(x)
    for result, factor in ((lambda b: b.buffer() * 3, 3.0),            # a new tensor
                           (lambda b: b.buffer().double().view(1, -1), 1.0),  # cast back
                           (lambda b: b.buffer().mul_(-1), -1.0)):          # in place
        model = _model()
        ddp = DDP(model)
        ddp.register_comm_hook(None, lambda state, bucket, result=result:
                               _resolved(result(bucket)))
        ddp(x).pow(2).sum().backward()
        for p, w in zip(model.parameters(), want):
            assert p.grad.dtype == ember.float32
            assert ember.allclose(p.grad, w * factor, rtol=1e-6, atol=0)


def test_set_buffer_and_gradients_follow_the_new_buffer(world):
    x = ember.randn(4, 3)
    want = _local_grads(x)
    model = _model()
    ddp = DDP(model)

    def scale(state, bucket):
        bucket.set_buffer(bucket.buffer() * 10)
        state.append([g.clone() for g in bucket.gradients()])
        return _resolved(bucket.buffer())

    views = []
    ddp.register_comm_hook(views, scale)
    ddp(x).pow(2).sum().backward()
    assert all(ember.allclose(v, w * 10) for v, w in zip(views[0], want))
    assert all(ember.allclose(p.grad, w * 10) for p, w in zip(model.parameters(), want))


def test_builtin_hooks_in_a_world_of_one(world):
    x = ember.randn(4, 3)
    want = _local_grads(x)
    for kind, dtype in ((DDPCommHookType.ALLREDUCE, None),
                        (DDPCommHookType.FP16_COMPRESS, ember.float16),
                        (DDPCommHookType.BF16_COMPRESS, ember.bfloat16),
                        (DDPCommHookType.NOOP, None)):
        model = _model()
        ddp = DDP(model)
        register_ddp_comm_hook(kind, ddp)
        ddp(x).pow(2).sum().backward()
        for p, w in zip(model.parameters(), want):
            expect = w if dtype is None else w.to(dtype).float()   # one rounding, exactly
            assert ember.equal(p.grad, expect), kind


def test_no_sync_skips_the_hook(world):
    calls = []
    ddp = DDP(_model())
    ddp.register_comm_hook(calls, lambda state, bucket: state.append(1) or
                           _resolved(bucket.buffer()))
    with ddp.no_sync():
        ddp(ember.randn(2, 3)).sum().backward()
    assert calls == []
    ddp(ember.randn(2, 3)).sum().backward()
    assert calls == [1]


def test_bad_hook_results_raise(world):
    for result, error, match in (
            (lambda b: b.buffer(), RuntimeError, "must return an ember.futures.Future"),
            (lambda b: _resolved([b.buffer()]), RuntimeError, "must hold one tensor"),
            (lambda b: _resolved(ember.zeros(3)), RuntimeError, "has 3 elements"),
            (lambda b: _failed(KeyError("from hook")), KeyError, "from hook")):
        ddp = DDP(_model())
        ddp.register_comm_hook(None, lambda state, bucket, result=result: result(bucket))
        with pytest.raises(error, match=match):
            ddp(ember.randn(2, 3)).sum().backward()


def _failed(error):
    fut = Future()
    fut.set_exception(error)
    return fut


def test_registration_errors(world):
    ddp = DDP(_model())
    with pytest.raises(TypeError, match="must be callable"):
        ddp.register_comm_hook(None, 5)
    with pytest.raises(KeyError, match="bucket"):
        ddp.register_comm_hook(None, lambda state, b: None)

    def wrong_bucket(state, bucket: int):
        pass

    def wrong_result(state, bucket) -> int:
        pass

    def annotated(state, bucket: dist.GradBucket) -> Future[ember.Tensor]:
        return _resolved(bucket.buffer())

    with pytest.raises(ValueError, match="bucket annotation should be dist.GradBucket"):
        ddp.register_comm_hook(None, wrong_bucket)
    with pytest.raises(ValueError, match="return annotation should be"):
        ddp.register_comm_hook(None, wrong_result)
    ddp.register_comm_hook(None, annotated)
    with pytest.raises(RuntimeError, match="can only be called once"):
        ddp.register_comm_hook(None, default_hooks.allreduce_hook)
    with pytest.raises(RuntimeError, match="can only be called once"):
        register_ddp_comm_hook(DDPCommHookType.ALLREDUCE, ddp)


def test_comm_hook_type_members():
    assert [m.name for m in DDPCommHookType] == ["ALLREDUCE", "FP16_COMPRESS",
                                                 "BF16_COMPRESS", "NOOP"]
    assert default_hooks.fp16_compress_wrapper(default_hooks.allreduce_hook).__name__ == \
        "fp16_compress_wrapper_hook"
