"""torch's top-level native forms against torch: embedding_bag's four outputs,
grid_sampler_2d/3d with integer-coded modes, native_group_norm's statistics, conv_tbc,
native_norm, unsafe_split_with_sizes, is_distributed, and the SyncBatchNorm pieces
(batch_norm_update_stats against torch's; the CUDA-only ones against what they must
reproduce: torch's batch norm over the whole batch and its gradients)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402

_RNG = np.random.default_rng(7)


def _randn(*shape):
    return _RNG.standard_normal(shape).astype(np.float32)


def _close(e, t, tol=1e-5):
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(e.detach().cpu().numpy(), t.detach().numpy(), rtol=tol,
                               atol=tol)


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("padding_idx", [None, 2])
@pytest.mark.parametrize("offsets, include_last", [([0, 4, 4, 6], False),
                                                   ([0, 3, 3, 8], True), ([0], False)])
def test_embedding_bag_matches_torch(mode, padding_idx, offsets, include_last, device):
    w = _randn(10, 3)
    idx = np.array([1, 2, 4, 5, 2, 3, 2, 9])
    got = ember.embedding_bag(ember.tensor(w, device=device), ember.tensor(idx, device=device),
                              ember.tensor(offsets, device=device), False, mode, False, None,
                              include_last, padding_idx)
    want = torch.embedding_bag(torch.tensor(w), torch.tensor(idx), torch.tensor(offsets),
                               False, mode, False, None, include_last, padding_idx)
    assert len(got) == len(want) == 4
    _close(got[0], want[0])
    for g, t in zip(got[1:], want[1:]):
        assert tuple(g.shape) == tuple(t.shape)
        np.testing.assert_array_equal(g.cpu().numpy(), t.numpy())


def test_embedding_bag_per_sample_weights_and_grad_match_torch(device):
    w, idx, psw = _randn(6, 4), np.array([0, 5, 5, 2, 1]), _randn(5)
    we = ember.tensor(w, device=device, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    got = ember.embedding_bag(we, ember.tensor(idx, device=device),
                              ember.tensor([0, 2], device=device), False, 0, False,
                              ember.tensor(psw, device=device))
    want = torch.embedding_bag(wt, torch.tensor(idx), torch.tensor([0, 2]), False, 0, False,
                               torch.tensor(psw))
    _close(got[0], want[0])
    assert [tuple(g.shape) for g in got[1:]] == [tuple(t.shape) for t in want[1:]]
    got[0].square().sum().backward()
    want[0].square().sum().backward()
    _close(we.grad, wt.grad)


@pytest.mark.parametrize("interpolation", [0, 1, 2])
@pytest.mark.parametrize("padding", [0, 1, 2])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sampler_2d_matches_torch(interpolation, padding, align_corners, device):
    x, grid = _randn(2, 3, 5, 6), _randn(2, 4, 3, 2) * 1.2
    got = ember.grid_sampler_2d(ember.tensor(x, device=device),
                                ember.tensor(grid, device=device), interpolation, padding,
                                align_corners)
    want = torch.grid_sampler_2d(torch.tensor(x), torch.tensor(grid), interpolation, padding,
                                 align_corners)
    _close(got, want, 1e-4)


@pytest.mark.parametrize("interpolation", [0, 1])
@pytest.mark.parametrize("padding", [0, 1, 2])
def test_grid_sampler_3d_matches_torch(interpolation, padding, device):
    x, grid = _randn(1, 2, 4, 5, 3), _randn(1, 3, 2, 4, 3) * 1.2
    got = ember.grid_sampler_3d(ember.tensor(x, device=device),
                                ember.tensor(grid, device=device), interpolation, padding,
                                False)
    want = torch.grid_sampler_3d(torch.tensor(x), torch.tensor(grid), interpolation, padding,
                                 False)
    _close(got, want, 1e-4)


def test_grid_sampler_refusals_match_torch():
    x4, g4 = _randn(1, 2, 4, 4), _randn(1, 3, 3, 2)
    x5, g5 = _randn(1, 2, 4, 4, 4), _randn(1, 3, 3, 3, 3)
    for name, x, g, mode in (("grid_sampler_2d", x5, g5, 0), ("grid_sampler_3d", x4, g4, 0),
                             ("grid_sampler_3d", x5, g5, 2)):
        with pytest.raises(RuntimeError) as got:
            getattr(ember, name)(ember.tensor(x), ember.tensor(g), mode, 0, False)
        with pytest.raises(RuntimeError) as want:
            getattr(torch, name)(torch.tensor(x), torch.tensor(g), mode, 0, False)
        assert str(got.value) == str(want.value)


@pytest.mark.parametrize("affine", [False, True])
def test_native_group_norm_matches_torch(affine, device):
    x = _randn(3, 6, 4, 5)
    w, b = (_randn(6), _randn(6)) if affine else (None, None)

    def as_e(a):
        return None if a is None else ember.tensor(a, device=device)

    def as_t(a):
        return None if a is None else torch.tensor(a)

    got = ember.native_group_norm(as_e(x), as_e(w), as_e(b), 3, 6, 20, 3, 1e-5)
    want = torch.native_group_norm(as_t(x), as_t(w), as_t(b), 3, 6, 20, 3, 1e-5)
    for g, t in zip(got, want):
        _close(g, t, 1e-4)
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        ember.native_group_norm(as_e(x), None, None, 3, 6, 20, 4, 1e-5)
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        torch.native_group_norm(as_t(x), None, None, 3, 6, 20, 4, 1e-5)


@pytest.mark.parametrize("pad", [0, 1, 2])
def test_conv_tbc_matches_torch(pad, device):
    x, w, b = _randn(9, 2, 3), _randn(3, 3, 5), _randn(5)
    xe = ember.tensor(x, device=device, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    got = ember.conv_tbc(xe, ember.tensor(w, device=device), ember.tensor(b, device=device),
                         pad)
    want = torch.conv_tbc(xt, torch.tensor(w), torch.tensor(b), pad)
    _close(got, want, 1e-4)
    got.sum().backward()
    want.sum().backward()
    _close(xe.grad, xt.grad, 1e-4)


def test_conv_tbc_refusals_match_torch():
    good = (_randn(7, 2, 3), _randn(3, 3, 4), _randn(4))
    for bad in ((_randn(7, 2), good[1], good[2]), (good[0], _randn(3, 4), good[2]),
                (good[0], good[1], _randn(4, 1)), (good[0], _randn(3, 2, 4), good[2]),
                (good[0], good[1], _randn(5))):
        with pytest.raises(RuntimeError) as got:
            ember.conv_tbc(*map(ember.tensor, bad), 1)
        with pytest.raises(RuntimeError) as want:
            torch.conv_tbc(*map(torch.tensor, bad), 1)
        assert str(got.value) == str(want.value)


def test_native_norm_matches_torch():
    dense = [[0.0, 3.0, 0.0], [4.0, 0.0, -12.0]]
    for p in (2, 1, 3.5):
        got = ember.native_norm(ember.tensor(dense).to_sparse(), p)
        want = torch.native_norm(torch.tensor(dense).to_sparse(), p)
        assert got.item() == pytest.approx(want.item(), rel=1e-6)
    with pytest.raises(NotImplementedError):
        ember.native_norm(ember.tensor(dense))
    with pytest.raises(NotImplementedError):
        torch.native_norm(torch.tensor(dense))


def test_unsafe_split_with_sizes_and_is_distributed_match_torch(device):
    x = _randn(7, 3)
    got = ember.unsafe_split_with_sizes(ember.tensor(x, device=device), [2, 5])
    want = torch.unsafe_split_with_sizes(torch.tensor(x), [2, 5])
    assert len(got) == len(want) == 2
    for g, t in zip(got, want):
        _close(g, t)
    for g, t in zip(ember.tensor(x).unsafe_split_with_sizes([1, 2], 1),
                    torch.tensor(x).unsafe_split_with_sizes([1, 2], 1)):
        _close(g, t)
    assert ember.is_distributed(ember.tensor(x)) is torch.is_distributed(torch.tensor(x))
    assert ember.is_distributed(ember.tensor(x)) is False


# ---- SyncBatchNorm's pieces -------------------------------------------------------------

@pytest.mark.parametrize("with_running", [True, False])
def test_batch_norm_update_stats_matches_torch(with_running, device):
    x = _randn(6, 3, 5)
    rm, rv = _randn(3), np.abs(_randn(3)) + 0.5
    rme, rve = (ember.tensor(rm, device=device), ember.tensor(rv, device=device)) \
        if with_running else (None, None)
    rmt, rvt = (torch.tensor(rm), torch.tensor(rv)) if with_running else (None, None)
    got = ember.batch_norm_update_stats(ember.tensor(x, device=device), rme, rve, 0.2)
    want = torch.batch_norm_update_stats(torch.tensor(x), rmt, rvt, 0.2)
    for g, t in zip(got, want):
        _close(g, t)
    if with_running:
        _close(rme, rmt)
        _close(rve, rvt)


def test_batch_norm_stats_gather_and_elemt_reproduce_torch_batch_norm(device):
    """Three 'processes' with different batch sizes: stats per piece, gathered with counts,
    then normalized, equal torch's batch norm over the whole batch (and its running
    statistics)."""
    x, w, b = _randn(9, 4, 3), _randn(4), _randn(4)
    pieces = (x[:2], x[2:7], x[7:])
    means, invstds = [], []
    for piece in pieces:
        mean, invstd = ember.batch_norm_stats(ember.tensor(piece, device=device), 1e-5)
        means.append(mean)
        invstds.append(invstd)
    counts = ember.tensor([float(p.shape[0] * p.shape[2]) for p in pieces], device=device)
    rm_e, rv_e = ember.zeros(4, device=device), ember.ones(4, device=device)
    mean, invstd = ember.batch_norm_gather_stats_with_counts(
        ember.tensor(x, device=device), ember.stack(means), ember.stack(invstds), rm_e, rv_e,
        0.1, 1e-5, counts)
    rm_t, rv_t = torch.zeros(4), torch.ones(4)
    want = torch.nn.functional.batch_norm(torch.tensor(x), rm_t, rv_t, torch.tensor(w),
                                          torch.tensor(b), True, 0.1, 1e-5)
    _close(mean, torch.tensor(x).mean((0, 2)))
    _close(invstd, 1 / torch.sqrt(torch.tensor(x).var((0, 2), unbiased=False) + 1e-5), 1e-4)
    _close(rm_e, rm_t)
    _close(rv_e, rv_t)
    for piece in pieces:
        got = ember.batch_norm_elemt(ember.tensor(piece, device=device),
                                     ember.tensor(w, device=device),
                                     ember.tensor(b, device=device), mean, invstd, 1e-5)
        start = next(i for i in range(9) if np.array_equal(x[i], piece[0]))
        _close(got, want[start:start + piece.shape[0]], 1e-4)
    # equal counts: batch_norm_gather_stats with one count for every piece
    halves = (x[:3], x[3:6], x[6:])
    stats = [ember.batch_norm_stats(ember.tensor(h, device=device), 1e-5) for h in halves]
    mean3, invstd3 = ember.batch_norm_gather_stats(
        ember.tensor(x, device=device), ember.stack([s[0] for s in stats]),
        ember.stack([s[1] for s in stats]), None, None, 0.1, 1e-5, 9)
    _close(mean3, mean.cpu(), 1e-5)
    _close(invstd3, invstd.cpu(), 1e-4)


@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_backward_pieces_reproduce_torch_gradients(affine, device):
    x, dy, w = _randn(8, 3, 4), _randn(8, 3, 4), _randn(3)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True) if affine else None
    bt = torch.zeros(3, requires_grad=True) if affine else None
    torch.nn.functional.batch_norm(xt, None, None, wt, bt, True, 0.1, 1e-5).backward(
        torch.tensor(dy))
    xe, dye = ember.tensor(x, device=device), ember.tensor(dy, device=device)
    we = ember.tensor(w, device=device) if affine else None
    mean, invstd = ember.batch_norm_stats(xe, 1e-5)
    # two processes' halves, reduced separately then summed, as SyncBatchNorm does
    sums = [ember.batch_norm_backward_reduce(dye[i:i + 4], xe[i:i + 4], mean, invstd, we,
                                             True, affine, affine) for i in (0, 4)]
    sum_dy = sums[0][0] + sums[1][0]
    sum_dy_xmu = sums[0][1] + sums[1][1]
    count = ember.tensor([16, 16], dtype=ember.int32, device=device)
    grad = ember.cat([ember.batch_norm_backward_elemt(dye[i:i + 4], xe[i:i + 4], mean, invstd,
                                                      we, sum_dy, sum_dy_xmu, count)
                      for i in (0, 4)])
    _close(grad, xt.grad, 1e-4)
    if affine:
        _close(sums[0][2] + sums[1][2], wt.grad, 1e-4)
        _close(sums[0][3] + sums[1][3], bt.grad, 1e-4)
    else:
        assert sums[0][2] is None and sums[0][3] is None
    only_input = ember.batch_norm_backward_reduce(dye, xe, mean, invstd, we, True, False, False)
    assert only_input[2] is None and only_input[3] is None
    _close(only_input[0], torch.tensor(dy).sum((0, 2)), 1e-4)
    assert ember.batch_norm_backward_reduce(dye, xe, mean, invstd, we, False, False,
                                            True)[:3] == (None, None, None)


def test_batch_norm_pieces_keep_float32_statistics_for_half(device):
    x = _randn(4, 3, 2)
    mean, invstd = ember.batch_norm_stats(ember.tensor(x, device=device).half(), 1e-5)
    assert mean.dtype is ember.float32 and invstd.dtype is ember.float32
    want = torch.tensor(x).half().float()
    _close(mean, want.mean((0, 2)), 1e-3)
    out = ember.batch_norm_elemt(ember.tensor(x, device=device).half(), None, None, mean,
                                 invstd, 1e-5)
    assert out.dtype is ember.float16
