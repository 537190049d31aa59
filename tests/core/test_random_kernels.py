"""The CPU random kernels (core/csrc/random.c) and float erfinv, below autograd.

A NumPy Philox4x32-10 pins the stream layout (block k of a request gives elements
4k..4k+3 in float32, 2k..2k+1 in float64); values must not depend on the thread count or
on where the kernel's internal chunks end; the distributions are checked by moments and
a Kolmogorov-Smirnov statistic."""

import math

import numpy as np
import pytest

import ember
from ember.backends import cpu

M32 = np.uint64(0xFFFFFFFF)


def philox(seed: int, counters: np.ndarray) -> np.ndarray:
    """Philox4x32-10 of each counter: an (n, 4) uint32 array (reference for the C kernels)."""
    c = counters.astype(np.uint64)
    c0, c1 = c & M32, c >> np.uint64(32)
    c2 = np.zeros_like(c0)
    c3 = np.zeros_like(c0)
    k0, k1 = np.uint64(seed & 0xFFFFFFFF), np.uint64(seed >> 32)
    for _ in range(10):
        p0, p1 = np.uint64(0xD2511F53) * c0, np.uint64(0xCD9E8D57) * c2
        n0 = (p1 >> np.uint64(32)) ^ c1 ^ k0
        n2 = (p0 >> np.uint64(32)) ^ c3 ^ k1
        c1, c3, c0, c2 = p1 & M32, p0 & M32, n0, n2
        k0, k1 = (k0 + np.uint64(0x9E3779B9)) & M32, (k1 + np.uint64(0xBB67AE85)) & M32
    return np.stack([c0, c1, c2, c3], 1).astype(np.uint32)


def _u01f(w):
    return (w >> 8).astype(np.float32) * np.float32(1 / 16777216)


def _u01d(hi, lo):
    return ((hi.astype(np.uint64) << np.uint64(32) | lo) >> np.uint64(11)).astype(
        np.float64) / 2.0 ** 53


def _draw(kind, n, dtype=ember.float32, seed=0x1234_5678_9ABC, counter=5, a=0.0, b=1.0):
    t = ember.empty(n, dtype=dtype)
    getattr(cpu, f"random_{kind}")(t, seed, counter, a, b)
    return t


SEED = 0x1234_5678_9ABC
# counters that cross 2**32 inside the request check the 64-bit counter carry
COUNTERS = [5, 2 ** 32 - 7]


@pytest.mark.parametrize("counter", COUNTERS)
@pytest.mark.parametrize("n", [1, 3, 4, 4097, 4096 * 3 + 2])
def test_uniform_float32_is_the_philox_stream(n, counter):
    words = philox(SEED, counter + np.arange((n + 3) // 4)).reshape(-1)[:n]
    got = _draw("uniform", n, counter=counter, a=-2.5, b=4.0)._np()
    want = np.float32(-2.5) + np.float32(6.5) * _u01f(words)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("counter", COUNTERS)
@pytest.mark.parametrize("n", [1, 2, 5, 2049, 2048 * 3 + 1])
def test_uniform_float64_is_the_philox_stream(n, counter):
    w = philox(SEED, counter + np.arange((n + 1) // 2))
    want = np.stack([_u01d(w[:, 0], w[:, 1]), _u01d(w[:, 2], w[:, 3])], 1).reshape(-1)[:n]
    got = _draw("uniform", n, ember.float64, counter=counter, a=-1.0, b=2.0)._np()
    np.testing.assert_array_equal(got, -1.0 + 3.0 * want)


def test_uniform_never_reaches_high():
    # a span so small that low + span * u rounds up to high for most u
    low, high = 1.0, float(np.nextafter(np.float32(1.0), np.float32(2.0)))
    v = _draw("uniform", 10000, a=low, b=high)._np()
    assert v.max() < np.float32(high) and v.min() >= np.float32(low)


def test_uniform_rejects_a_reversed_range_and_fills_an_empty_one():
    with pytest.raises(RuntimeError, match=r"from=2 > to=1"):
        ember.empty(3).uniform_(2, 1)
    assert (ember.empty(1000).uniform_(3, 3) == 3).all()


@pytest.mark.parametrize("counter", COUNTERS)
def test_normal_is_box_muller_of_the_philox_stream(counter):
    n = 4096 + 6
    w = philox(SEED, counter + np.arange((n + 3) // 4)).astype(np.uint64)
    u = ((w >> np.uint64(8)).astype(np.float64)) / 2.0 ** 24
    r = np.sqrt(-2 * np.log(1 - u[:, 0::2]))
    t = 2 * np.pi * u[:, 1::2]
    want = np.stack([r * np.cos(t), r * np.sin(t)], 2).reshape(-1)[:n]
    got = _draw("normal", n, counter=counter, a=0.0, b=1.0)._np()
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6)
    w = philox(SEED, counter + np.arange((n + 1) // 2))
    r = np.sqrt(-2 * np.log(1 - _u01d(w[:, 0], w[:, 1])))
    t = 2 * np.pi * _u01d(w[:, 2], w[:, 3])
    want = 1.5 + 2.0 * np.stack([r * np.cos(t), r * np.sin(t)], 1).reshape(-1)[:n]
    got = _draw("normal", n, ember.float64, counter=counter, a=1.5, b=2.0)._np()
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64, ember.float16, ember.bfloat16])
@pytest.mark.parametrize("kind", ["uniform", "normal"])
def test_values_depend_only_on_the_element_index(kind, dtype):
    # a request is a prefix of a longer one: chunk ends and tails change nothing
    full = _draw(kind, 70_001, dtype)._np()
    for n in (1, 3, 4095, 4097, 8193, 65_537):
        np.testing.assert_array_equal(_draw(kind, n, dtype)._np(), full[:n])
    # and a request 1000 blocks later continues the same stream
    per = 2 if dtype is ember.float64 else 4
    np.testing.assert_array_equal(_draw(kind, 4000, dtype, counter=5 + 1000)._np(),
                                  full[1000 * per:1000 * per + 4000])


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64, ember.bfloat16])
def test_values_do_not_depend_on_the_thread_count(dtype):
    n = 300_003  # above the kernels' OpenMP threshold
    before = ember.get_num_threads()
    try:
        runs = []
        for threads in (1, 2, 3):
            ember.set_num_threads(threads)
            g = ember.Generator().manual_seed(7)
            runs.append((ember.randn(n, generator=g, dtype=dtype)._np().copy(),
                         ember.rand(n, generator=g, dtype=dtype)._np().copy(),
                         ember.empty(n, dtype=dtype).normal_(2.0, 3.0, generator=g)._np().copy()))
    finally:
        ember.set_num_threads(before)
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            np.testing.assert_array_equal(a, b)


def _ks(sample: np.ndarray, cdf) -> float:
    x = np.sort(sample.astype(np.float64))
    f = cdf(x)
    i = np.arange(1, x.size + 1) / x.size
    return float(max(np.max(i - f), np.max(f - (i - 1 / x.size))))


_erf = np.vectorize(math.erf)


def _normal_cdf(x):
    return 0.5 * (1 + _erf(x / math.sqrt(2)))


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_distributions(dtype):
    g = ember.Generator().manual_seed(2024)
    n = 200_000
    z = ember.randn(n, generator=g, dtype=dtype)._np()
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    assert abs(np.mean(z ** 3)) < 0.03 and abs(np.mean(z ** 4) - 3) < 0.06
    # KS critical value at 1% for 20k samples is 1.63 / sqrt(20k) = 0.0115
    assert _ks(z[:20_000], _normal_cdf) < 0.0115
    u = ember.rand(n, generator=g, dtype=dtype)._np()
    assert 0 <= u.min() and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.003 and abs(u.var() - 1 / 12) < 0.002
    assert _ks(u[:20_000], lambda x: x) < 0.0115
    w = ember.empty(n, dtype=dtype).normal_(3.0, 0.5, generator=g)._np()
    assert abs(w.mean() - 3) < 0.005 and abs(w.std() - 0.5) < 0.005


def test_trunc_normal_distribution():
    g = ember.Generator().manual_seed(3)
    t = ember.nn.init.trunc_normal_(ember.empty(200_000), mean=0.5, std=2.0, a=-1.0, b=3.0,
                                    generator=g)._np()
    assert t.min() >= -1.0 and t.max() <= 3.0
    lo, hi = _normal_cdf(np.array([-0.75, 1.25]))  # (a - mean) / std, (b - mean) / std

    def cdf(x):
        return (_normal_cdf((x - 0.5) / 2.0) - lo) / (hi - lo)
    assert _ks(t[:20_000], cdf) < 0.0115
    # the truncated normal's mean: mean + std * (pdf(alpha) - pdf(beta)) / Z
    pdf = np.exp(-0.5 * np.array([-0.75, 1.25]) ** 2) / math.sqrt(2 * math.pi)
    assert abs(t.mean() - (0.5 + 2.0 * (pdf[0] - pdf[1]) / (hi - lo))) < 0.01


def test_float32_erfinv_matches_the_double_kernel():
    # the float kernel (one Newton step from a float guess) must round like erfinv in double
    rng = np.random.default_rng(0)
    below_one = np.nextafter(np.float32(1), np.float32(0))
    near_one = below_one - np.arange(20_000, dtype=np.float32) * np.float32(2 ** -24)
    x = np.concatenate([rng.uniform(-1, 1, 200_000).astype(np.float32), near_one, -near_one,
                        np.float32(10.0) ** -np.arange(1, 38, dtype=np.float32),
                        np.array([0.0, -0.0, 0.5, -0.5], np.float32)])
    got = ember.from_numpy(x).erfinv()._np()
    want = ember.from_numpy(x.astype(np.float64)).erfinv()._np().astype(np.float32)
    np.testing.assert_array_equal(got, want)
    assert np.signbit(got[-3])  # erfinv(-0.0) = -0.0


def test_float32_erfinv_edges():
    x = ember.tensor([1.0, -1.0, 1.5, -2.0, float("nan"), float("inf")])
    got = x.erfinv()._np()
    assert got[0] == np.inf and got[1] == -np.inf
    assert np.isnan(got[2:]).all()
    np.testing.assert_allclose(ember.tensor([0.5], dtype=ember.bfloat16).erfinv().float()._np(),
                               [0.4769], rtol=1e-2)
