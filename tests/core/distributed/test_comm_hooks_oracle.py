"""DDP communication hooks against torch's, both in a world of one process (torch over gloo,
ember without a launcher): what the hook's GradBucket holds, the gradients each built-in or
custom hook leaves in .grad, and the exceptions registration raises."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
tdist = pytest.importorskip("torch.distributed")
torch_hooks = pytest.importorskip("torch.distributed.algorithms.ddp_comm_hooks.default_hooks")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402
import ember.distributed as dist  # noqa: E402
from ember.distributed.algorithms.ddp_comm_hooks import default_hooks  # noqa: E402
from ember.futures import Future  # noqa: E402


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    if not tdist.is_gloo_available():
        pytest.skip("torch has no gloo backend")
    store = tmp_path_factory.mktemp("torch_pg") / "store"
    tdist.init_process_group("gloo", init_method=f"file://{store}", rank=0, world_size=1)
    dist.init_process_group("gloo")
    yield
    dist.destroy_process_group()
    tdist.destroy_process_group()


def _models():
    """The same small MLP in ember and torch (ember's initial weights copied over)."""
    ember.manual_seed(11)
    em = ember.nn.Sequential(ember.nn.Linear(3, 5), ember.nn.Tanh(), ember.nn.Linear(5, 2))
    tm = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    with torch.no_grad():
        for tp, ep in zip(tm.parameters(), em.parameters()):
            tp.copy_(torch.from_numpy(ep.detach().numpy()))
    return em, tm


def _run(hook_for, x, log_state=True):
    """Registers hook_for(lib, Future class) on each library's DDP model (its state a list
    to log into, or None: the default group), runs one backward on x and gives back
    (ember grads, torch grads, what the ember hook logged, what torch's logged)."""
    em, tm = _models()
    out = []
    for lib, model, ddp_cls, fut_cls, inp in (
            (ember, em, ember.nn.parallel.DistributedDataParallel, Future,
             ember.from_numpy(x)),
            (torch, tm, torch.nn.parallel.DistributedDataParallel, torch.futures.Future,
             torch.from_numpy(x))):
        ddp = ddp_cls(model)
        seen = []
        ddp.register_comm_hook(seen if log_state else None, hook_for(lib, fut_cls))
        ddp(inp).pow(2).sum().backward()
        out.append(([p.grad.detach().numpy().copy() for p in model.parameters()], seen))
    return out[0][0], out[1][0], out[0][1], out[1][1]


def _spy_then(result):
    """A hook recording the bucket's contents, then completing with result(bucket)."""
    def make(lib, fut_cls):
        def hook(state, bucket):
            state.append((bucket.index(), bucket.is_last(),
                          [tuple(p.shape) for p in bucket.parameters()],
                          [g.detach().numpy().copy() for g in bucket.gradients()],
                          bucket.buffer().detach().numpy().copy()))
            fut = fut_cls()
            fut.set_result(result(bucket))
            return fut
        return hook
    return make


def _builtin(name):
    return lambda lib, fut_cls: getattr(default_hooks if lib is ember else torch_hooks, name)


X = np.random.default_rng(5).standard_normal((6, 3)).astype(np.float32)


def test_grad_bucket_contents_match(worlds):
    _, _, ours, theirs = _run(_spy_then(lambda b: b.buffer()), X)
    assert len(ours) == len(theirs) == 1
    (i_e, last_e, shapes_e, grads_e, buf_e), (i_t, last_t, shapes_t, grads_t, buf_t) = \
        ours[0], theirs[0]
    assert (i_e, last_e, shapes_e) == (i_t, last_t, shapes_t) == \
        (0, True, [(5, 3), (5,), (2, 5), (2,)])
    for g_e, g_t in zip(grads_e, grads_t):
        np.testing.assert_allclose(g_e, g_t, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(buf_e, buf_t, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, result", [
    ("tripled", lambda b: b.buffer() * 3),
    ("negated_in_place", lambda b: b.buffer().mul_(-1)),
    ("float64_2d", lambda b: b.buffer().double().reshape(1, -1) * 2),
    ("set_buffer", lambda b: (b.set_buffer(b.buffer() + 1), b.buffer())[1])])
def test_custom_hook_results_match(worlds, name, result):
    grads_e, grads_t, _, _ = _run(_spy_then(result), X)
    for g_e, g_t in zip(grads_e, grads_t):
        assert g_e.dtype == g_t.dtype == np.float32
        np.testing.assert_allclose(g_e, g_t, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, tol", [("allreduce_hook", 1e-6),
                                       ("fp16_compress_hook", 1e-3)])
def test_builtin_hooks_match(worlds, name, tol):
    grads_e, grads_t, _, _ = _run(_builtin(name), X, log_state=False)
    for g_e, g_t in zip(grads_e, grads_t):
        np.testing.assert_allclose(g_e, g_t, rtol=tol, atol=1e-6)


def test_fp16_compress_wrapper_matches(worlds):
    def make(lib, fut_cls):
        hooks = default_hooks if lib is ember else torch_hooks
        return hooks.fp16_compress_wrapper(hooks.allreduce_hook)

    grads_e, grads_t, _, _ = _run(make, X, log_state=False)
    for g_e, g_t in zip(grads_e, grads_t):
        np.testing.assert_allclose(g_e, g_t, rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("hook", [default_hooks.bf16_compress_hook,
                                  default_hooks.bf16_compress_wrapper(
                                      default_hooks.allreduce_hook)])
def test_bf16_hooks_round_torchs_gradients(worlds, hook):
    # torch refuses its bf16 hooks without CUDA and NCCL; ember's MPI path reduces bf16 in
    # float32, so compare with torch's gradients rounded to bfloat16
    grads_e, grads_t, _, _ = _run(lambda lib, fut_cls: hook if lib is ember else
                                  torch_hooks.allreduce_hook, X, log_state=False)
    for g_e, g_t in zip(grads_e, grads_t):
        rounded = torch.from_numpy(g_t).to(torch.bfloat16).float().numpy()
        np.testing.assert_allclose(g_e, rounded, rtol=8e-3, atol=1e-6)
        assert np.mean(g_e == rounded) > 0.9       # mostly the very same bf16 value


def _errors_of(register):
    """The exception type each registration raises (None when it succeeds), in order."""
    def wrong_bucket(state, bucket: int):
        pass

    def wrong_result(state, bucket) -> int:
        pass

    def no_bucket(state, grads):
        pass

    def fine(state, bucket):
        pass

    got = []
    for hook in (5, no_bucket, wrong_bucket, wrong_result, fine, fine):
        try:
            register(hook)
            got.append(None)
        except Exception as e:
            got.append(type(e))
    return got


def test_registration_errors_match(worlds):
    em, tm = _models()
    ours = _errors_of(lambda h, d=ember.nn.parallel.DistributedDataParallel(em):
                      d.register_comm_hook(None, h))
    theirs = _errors_of(lambda h, d=torch.nn.parallel.DistributedDataParallel(tm):
                        d.register_comm_hook(None, h))
    assert ours == theirs == [TypeError, KeyError, ValueError, ValueError, None, RuntimeError]
