"""The C kernels of ember._C called directly against NumPy, below the Tensor layer, so a
failure points at one layer."""

import numpy as np
import pytest

from ember._C import ffi, lib


def _ptr(a):
    return ffi.cast("char *", a.ctypes.data)


def _i64(values):
    return ffi.new("int64_t[]", list(values))


def _strides(a):
    return _i64(s // a.itemsize for s in a.strides)


def test_binary_add_strided_matches_numpy():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 7)).astype(np.float32).T  # non-contiguous
    b = rng.standard_normal((7, 5)).astype(np.float32)
    y = np.empty((7, 5), np.float32)
    assert lib.em_binary(lib.EM_ADD, lib.EM_F32, 2, _i64(y.shape), _ptr(a), _strides(a),
                         _ptr(b), _strides(b), _ptr(y), _strides(y), 1.0) == lib.EM_OK
    np.testing.assert_array_equal(y, a + b)


def test_binary_broadcast_stride_zero():
    a = np.arange(12, dtype=np.float64).reshape(3, 4)
    b = np.arange(4, dtype=np.float64)
    y = np.empty_like(a)
    lib.em_binary(lib.EM_MUL, lib.EM_F64, 2, _i64(a.shape), _ptr(a), _strides(a), _ptr(b),
                  _i64([0, 1]), _ptr(y), _strides(y), 1.0)
    np.testing.assert_array_equal(y, a * b)


@pytest.mark.parametrize("op,fn", [("EM_EXP", np.exp), ("EM_TANH", np.tanh),
                                   ("EM_SQRT", np.sqrt), ("EM_LOG1P", np.log1p)])
def test_unary_float64_matches_numpy(op, fn):
    x = np.linspace(0.1, 3, 1000)
    y = np.empty_like(x)
    assert lib.em_unary(getattr(lib, op), lib.EM_F64, 1, _i64([1000]), _ptr(x), _i64([1]),
                        _ptr(y), _i64([1]), 0, 0, 0) == 0
    np.testing.assert_allclose(y, fn(x), rtol=1e-14)


def test_large_contiguous_uses_threads_and_stays_exact():
    x = np.arange(300_000, dtype=np.int64)
    y = np.empty_like(x)
    lib.em_unary(lib.EM_NEG, lib.EM_I64, 1, _i64([x.size]), _ptr(x), _i64([1]), _ptr(y),
                 _i64([1]), 0, 0, 0)
    np.testing.assert_array_equal(y, -x)


def test_copy_casts_float_to_int_and_bool():
    x = np.array([-1.7, 0.0, 2.9], np.float32)
    y = np.empty(3, np.int32)
    lib.em_copy(lib.EM_F32, lib.EM_I32, 1, _i64([3]), _ptr(x), _i64([1]), _ptr(y), _i64([1]))
    np.testing.assert_array_equal(y, [-1, 0, 2])
    b = np.empty(3, np.bool_)
    lib.em_copy(lib.EM_F32, lib.EM_BOOL, 1, _i64([3]), _ptr(x), _i64([1]), _ptr(b), _i64([1]))
    np.testing.assert_array_equal(b, [True, False, True])


def test_bfloat16_round_trip_rounds_to_nearest_even():
    x = np.array([1.0, 1.00390625, 3.14159, -2.5e-3], np.float32)
    bits = np.empty(4, np.uint16)
    lib.em_copy(lib.EM_F32, lib.EM_BF16, 1, _i64([4]), _ptr(x), _i64([1]), _ptr(bits), _i64([1]))
    back = np.empty(4, np.float32)
    lib.em_copy(lib.EM_BF16, lib.EM_F32, 1, _i64([4]), _ptr(bits), _i64([1]), _ptr(back),
                _i64([1]))
    expected = (x.view(np.uint32) + 0x7FFF + ((x.view(np.uint32) >> 16) & 1)) >> 16 << 16
    np.testing.assert_array_equal(back, expected.astype(np.uint32).view(np.float32))


def test_reduce_sum_over_last_dim_and_full():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 3000)).astype(np.float32)
    y = np.empty(64, np.float32)
    assert lib.em_reduce(lib.EM_RSUM, lib.EM_F32, 1, _i64([64]), _i64([3000]), _i64([1]), 1,
                         _i64([3000]), _i64([1]), _ptr(x), _ptr(y), 0) == 0
    np.testing.assert_allclose(y, x.astype(np.float64).sum(1), rtol=1e-5, atol=1e-4)
    big = rng.standard_normal(1_000_000).astype(np.float32)
    out = np.empty(1, np.float32)
    lib.em_reduce(lib.EM_RSUM, lib.EM_F32, 0, _i64([1]), _i64([0]), _i64([0]), 1,
                  _i64([big.size]), _i64([1]), _ptr(big), _ptr(out), 0)
    np.testing.assert_allclose(out[0], big.astype(np.float64).sum(), rtol=1e-6, atol=1e-3)


@pytest.mark.parametrize("dtype, code", [(np.float32, "EM_F32"), (np.float64, "EM_F64"),
                                         (np.int64, "EM_I64")])
def test_reduce_sum_of_rows_of_every_length(dtype, code):
    """Unit-stride sums take blocks of 1024, groups of eight vectors, single vectors and a
    scalar tail: row lengths around each boundary, integer values exactly."""
    rng = np.random.default_rng(5)
    for n in (1, 3, 7, 8, 9, 31, 63, 64, 65, 100, 255, 256, 1023, 1024, 1025, 2100):
        x = rng.integers(-100, 100, (3, n)).astype(dtype)
        y = np.empty(3, dtype)
        assert lib.em_reduce(lib.EM_RSUM, getattr(lib, code), 1, _i64([3]), _i64([n]),
                             _i64([1]), 1, _i64([n]), _i64([1]), _ptr(x), _ptr(y), 0) == 0
        np.testing.assert_array_equal(y, x.astype(np.int64).sum(1))


@pytest.mark.parametrize("size", [1 << 16, 5 * (1 << 15) + 3, 1_000_000, 70 * (1 << 15) + 11])
def test_reduce_sum_of_one_long_run_in_parts(size):
    """A long run is cut into parts by its length alone (fewer parts than 64 and more
    chunks than parts): exact on integers in float64, the same on any thread count."""
    x = np.random.default_rng(6).integers(-1000, 1000, size).astype(np.float64)
    out = np.empty(1)
    assert lib.em_reduce(lib.EM_RSUM, lib.EM_F64, 0, _i64([1]), _i64([0]), _i64([0]), 1,
                         _i64([size]), _i64([1]), _ptr(x), _ptr(out), 0) == 0
    assert out[0] == x.sum()


@pytest.mark.parametrize("rows, cols", [(5, 3), (3000, 7), (1100, 4500)])
def test_reduce_over_the_leading_dim(rows, cols):
    """x.sum(0) and friends walk row-major tiles: wider than one tile of columns, taller
    than one chunk of rows (partials folded in order), or neither; a NaN wins max/min."""
    rng = np.random.default_rng(3)
    x = rng.uniform(0.5, 1.5, (rows, cols))
    x[rows // 2, cols - 1] = np.nan
    for op, ref in ((lib.EM_RSUM, np.sum), (lib.EM_RPROD, np.prod), (lib.EM_RMAX, np.max),
                    (lib.EM_RMIN, np.min)):
        y = np.empty(cols)
        assert lib.em_reduce(op, lib.EM_F64, 1, _i64([cols]), _i64([1]), _i64([1]), 1,
                             _i64([rows]), _i64([cols]), _ptr(x), _ptr(y), 0) == 0
        np.testing.assert_allclose(y, ref(x, axis=0), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_reduce_max_min_over_long_rows(dtype):
    """max and min over rows long enough for the multi-lane fold: a NaN anywhere (first
    element, inside the folded blocks, in the tail) wins; infinities alone (which trip the
    NaN probe) still give the true extreme."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((7, 301)).astype(dtype)
    x[0, 0] = np.nan
    x[1, 150] = np.nan
    x[2, 300] = np.nan
    x[3, 77] = np.inf
    x[4, 12] = -np.inf
    x[5, [3, 200]] = [np.inf, -np.inf]
    code = {np.float32: lib.EM_F32, np.float64: lib.EM_F64, np.float16: lib.EM_F16}[dtype]
    for op, ref in ((lib.EM_RMAX, np.max), (lib.EM_RMIN, np.min)):
        y = np.empty(7, dtype)
        assert lib.em_reduce(op, code, 1, _i64([7]), _i64([301]), _i64([1]), 1, _i64([301]),
                             _i64([1]), _ptr(x), _ptr(y), 0) == 0
        np.testing.assert_array_equal(y, ref(x, axis=1))


def test_max_propagates_nan_and_argmax_finds_first():
    x = np.array([[1.0, 5.0, 5.0, 2.0], [1.0, np.nan, 7.0, 0.0]])
    vals = np.empty(2)
    idx = np.empty(2, np.int64)
    lib.em_arg_reduce(1, lib.EM_F64, 1, _i64([2]), _i64([4]), 4, 1, _ptr(x), _ptr(vals),
                      ffi.cast("int64_t *", idx.ctypes.data))
    assert vals[0] == 5.0 and idx[0] == 1
    assert np.isnan(vals[1]) and idx[1] == 1


def test_sort_is_stable_and_puts_nan_last():
    x = np.array([3.0, np.nan, 1.0, 3.0, -2.0])
    vals = np.empty(5)
    idx = np.empty(5, np.int64)
    lib.em_sort(lib.EM_F64, 1, 5, 0, _ptr(x), _ptr(vals), ffi.cast("int64_t *", idx.ctypes.data))
    np.testing.assert_array_equal(idx, [4, 2, 0, 3, 1])


@pytest.mark.parametrize("dtype", ["F32", "F64", "I64", "I32", "I16", "I8", "U8"])
@pytest.mark.parametrize("descending", [0, 1])
def test_long_rows_sort_stably_by_radix_as_short_rows_do(dtype, descending):
    """Rows of 256 or more take the radix sort: the same order as a stable sort with NaN
    after every number (first when descending) and -0 equal to +0."""
    rng = np.random.default_rng(3)
    np_type = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32,
               "I16": np.int16, "I8": np.int8, "U8": np.uint8}[dtype]
    rows, n = 3, 1000
    if dtype.startswith("F"):
        x = np.round(rng.standard_normal((rows, n)) * 4).astype(np_type)  # many ties
        x[:, ::7] = np.nan
        x[:, 1::9] = -0.0
        x[0, :5] = [np.inf, -np.inf, np.finfo(np_type).max, -np.finfo(np_type).tiny, 0.0]
    else:
        info = np.iinfo(np_type)
        x = rng.integers(info.min, info.max, (rows, n), endpoint=True).astype(np_type)
        x[1] = rng.integers(0, 5, n)  # a small range: one radix pass
    vals = np.empty_like(x)
    idx = np.empty((rows, n), np.int64)
    assert lib.em_sort(getattr(lib, "EM_" + dtype), rows, n, descending, _ptr(x), _ptr(vals),
                       ffi.cast("int64_t *", idx.ctypes.data)) == lib.EM_OK
    nan_rank = 0 if descending else 1  # NaN last ascending, first descending

    def key(v):
        return (nan_rank, 0) if v != v else (1 - nan_rank, -v if descending else v)
    for r in range(rows):
        row = x[r].tolist()
        # Python's sort is stable, and -0.0 == 0.0 there
        expected = sorted(range(n), key=lambda i: key(row[i]))  # noqa: B023 - used at once
        np.testing.assert_array_equal(idx[r], expected)
        np.testing.assert_array_equal(vals[r], x[r][expected])


def test_scatter_reduce_folds_in_order_and_nan_wins():
    offs = np.array([0, 0, 2, 0], np.int64)
    vals = np.array([2.0, np.nan, -3.0, 5.0])
    for op, expected in ((0, [np.nan, 1.0, -3.0]), (1, [np.nan, 1.0, 1.0]),
                         (2, [np.nan, 1.0, -3.0])):
        base = np.array([1.0, 1.0, 1.0])
        assert lib.em_scatter_reduce(lib.EM_F64, op, _ptr(base), 3,
                                     ffi.cast("int64_t *", offs.ctypes.data), 4,
                                     _ptr(vals)) == lib.EM_OK
        np.testing.assert_array_equal(base, expected)
    ints = np.array([3, -4], np.int8)
    base = np.array([100, 7], np.int8)
    lib.em_scatter_reduce(lib.EM_I8, 0, _ptr(base), 2, ffi.cast("int64_t *", offs.ctypes.data),
                          2, _ptr(ints))
    np.testing.assert_array_equal(base, np.array([100 * 3 * -4], np.int64).astype(np.int8).tolist()
                                  + [7])  # wraps like int8 arithmetic
    bad = np.array([3], np.int64)
    assert lib.em_scatter_reduce(lib.EM_F64, 1, _ptr(base), 3,
                                 ffi.cast("int64_t *", bad.ctypes.data), 1,
                                 _ptr(vals)) == lib.EM_EINDEX
    assert lib.em_scatter_reduce(lib.EM_F64, 3, _ptr(base), 3,
                                 ffi.cast("int64_t *", offs.ctypes.data), 1,
                                 _ptr(vals)) == lib.EM_EINVAL


def test_take_rejects_out_of_bounds_offsets():
    base = np.arange(10, dtype=np.float32)
    offs = np.array([0, 9, 10], np.int64)
    out = np.empty(3, np.float32)
    status = lib.em_take(lib.EM_F32, _ptr(base), 10, ffi.cast("int64_t *", offs.ctypes.data), 3,
                         _ptr(out))
    assert status == lib.EM_EINDEX


def test_put_accumulates_repeated_offsets():
    base = np.zeros(4, np.float64)
    offs = np.array([1, 1, 3], np.int64)
    vals = np.array([1.0, 2.0, 5.0])
    lib.em_put(lib.EM_F64, _ptr(base), 4, ffi.cast("int64_t *", offs.ctypes.data), 3,
               _ptr(vals), 1)
    np.testing.assert_array_equal(base, [0, 3, 0, 5])


def test_random_is_independent_of_chunking():
    # float32 uniforms come four to a Philox block: element 60 starts block 15
    whole = np.empty(100, np.float32)
    lib.em_random_uniform(lib.EM_F32, _ptr(whole), 100, 42, 0, 0.0, 1.0)
    tail = np.empty(40, np.float32)
    lib.em_random_uniform(lib.EM_F32, _ptr(tail), 40, 42, 15, 0.0, 1.0)
    np.testing.assert_array_equal(whole[60:], tail)
    assert 0.0 <= whole.min() and whole.max() < 1.0


def test_bad_arguments_return_status_not_crash():
    assert lib.em_unary(lib.EM_EXP, 99, 1, _i64([1]), ffi.NULL, _i64([1]), ffi.NULL, _i64([1]),
                        0, 0, 0) == lib.EM_EDTYPE
    assert lib.em_binary(lib.EM_ADD, lib.EM_F32, 0, _i64([1]), ffi.NULL, _i64([1]), ffi.NULL,
                         _i64([1]), ffi.NULL, _i64([1]), 1.0) == lib.EM_EINVAL
    assert lib.em_unary(lib.EM_BITWISE_NOT, lib.EM_F32, 1, _i64([0]), ffi.NULL, _i64([1]),
                        ffi.NULL, _i64([1]), 0, 0, 0) == lib.EM_EDTYPE


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_argmax_of_long_rows_finds_the_first_extreme_or_nan(dtype):
    """Rows of 64+ find the extreme vectorized, then its first position block by block."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 300)).astype(dtype)
    x[1, [70, 5, 299]] = 9.0                      # ties: the first wins
    x[2, 250] = np.nan
    x[2, 280] = np.nan                            # the first NaN wins
    x[3, :] = 1.0                                 # all equal
    x[4, 299] = np.inf
    x[5, 64] = -np.inf                            # an inf beside a NaN later
    x[5, 128] = np.nan
    code = lib.EM_F32 if dtype == np.float32 else lib.EM_F64
    for want_max, ref in ((1, np.argmax), (0, np.argmin)):
        vals, idx = np.empty(6, dtype), np.empty(6, np.int64)
        assert lib.em_arg_reduce(want_max, code, 1, _i64([6]), _i64([300]), 300, 1, _ptr(x),
                                 _ptr(vals), ffi.cast("int64_t *", idx.ctypes.data)) == 0
        np.testing.assert_array_equal(idx, ref(x, axis=1))
        np.testing.assert_array_equal(vals, x[np.arange(6), idx])


def _conv3x3(x, w, pad):
    """Direct float64 cross-correlation of x (N, C, H, W) with w (OC, C, 3, 3)."""
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad[0],) * 2, (pad[1],) * 2))
    oh, ow = xp.shape[2] - 2, xp.shape[3] - 2
    return sum(np.einsum("nchw,oc->nohw", xp[:, :, i:i + oh, j:j + ow], w[:, :, i, j])
               for i in range(3) for j in range(3))


@pytest.mark.parametrize("adjoint", [0, 1])
@pytest.mark.parametrize("pad", [(0, 0), (1, 1), (2, 1)])
def test_winograd_conv_matches_direct_convolution(adjoint, pad):
    import ember  # noqa: F401  (loads the BLAS the kernel multiplies with)

    rng = np.random.default_rng(3)
    n, c, oc, h, wd = 3, 5, 7, 7, 10
    x = rng.standard_normal((n, c, h, wd)).astype(np.float32)
    w = rng.standard_normal((c, oc, 3, 3) if adjoint else (oc, c, 3, 3)).astype(np.float32)
    oh, ow = h + 2 * pad[0] - 2, wd + 2 * pad[1] - 2
    y = np.empty((n, oc, oh, ow), np.float32)
    block, slices = 8, 2
    scratch = np.empty(16 * oc * c + slices * (16 * (c * block + 16) + 16 * (oc * block + 16)
                                               + 8 * ((ow + 1) // 2 + 1)), np.float32)
    args = (n, c, h, wd, oc, *pad, oh, ow, adjoint, block, _ptr(scratch), scratch.size, slices)
    assert lib.em_conv2d_winograd(_ptr(x), _ptr(w), _ptr(y), *args) == 0
    filters = np.flip(w, (2, 3)).transpose(1, 0, 2, 3) if adjoint else w
    np.testing.assert_allclose(y, _conv3x3(x, filters, pad), rtol=1e-4, atol=1e-4)
    # wrong output size, too small a scratch, padding beyond 2: refused, nothing written
    bad_size = args[:7] + (oh + 1,) + args[8:]
    short = args[:12] + (scratch.size - 1,) + args[13:]
    wide = args[:5] + (3, 3, oh + 2, ow + 2) + args[9:]
    for bad in (bad_size, short, wide):
        assert lib.em_conv2d_winograd(_ptr(x), _ptr(w), _ptr(y), *bad) == lib.EM_EINVAL


def _conv_reference(x, w, pad, dil):
    """Float64 stride-1 cross-correlation of x (N, C, H, W) with w (OC, C, KH, KW)."""
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad[0],) * 2, (pad[1],) * 2))
    kh, kw = w.shape[2:]
    oh, ow = xp.shape[2] - dil[0] * (kh - 1), xp.shape[3] - dil[1] * (kw - 1)
    return sum(np.einsum("nchw,oc->nohw",
                         xp[:, :, i * dil[0]:i * dil[0] + oh, j * dil[1]:j * dil[1] + ow],
                         w[:, :, i, j].astype(np.float64))
               for i in range(kh) for j in range(kw))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("adjoint", [0, 1])
@pytest.mark.parametrize("geometry", [
    # (N, C, OC, H, W, KH, KW, pad, dilation): output widths below, at and past one
    # 2-vector strip, every output-channel block size (4, 2, 1)
    (3, 1, 6, 28, 28, 5, 5, (2, 2), (1, 1)),
    (2, 6, 7, 14, 14, 5, 5, (0, 0), (1, 1)),
    (1, 2, 9, 9, 37, 3, 2, (1, 0), (2, 3)),
    (2, 3, 1, 5, 4, 1, 3, (0, 1), (1, 1)),
])
def test_direct_conv_matches_reference(dtype, adjoint, geometry):
    n, c, oc, h, wd, kh, kw, pad, dil = geometry
    rng = np.random.default_rng(5)
    code, tol = _float_kernel(dtype)
    x = rng.standard_normal((n, c, h, wd)).astype(dtype)
    w = rng.standard_normal((c, oc, kh, kw) if adjoint else (oc, c, kh, kw)).astype(dtype)
    oh, ow = h + 2 * pad[0] - dil[0] * (kh - 1), wd + 2 * pad[1] - dil[1] * (kw - 1)
    filters = np.flip(w, (2, 3)).transpose(1, 0, 2, 3) if adjoint else w
    want = _conv_reference(x, filters, pad, dil)
    for slices in (1, 2):
        y = np.full((n, oc, oh, ow), np.nan, dtype)
        need = slices * (c * (h + 2 * pad[0]) * (wd + 2 * pad[1]) + 16) + adjoint * oc * c * kh * kw
        scratch = np.empty(need, dtype)
        args = (n, c, h, wd, oc, kh, kw, *pad, *dil, oh, ow, adjoint, _ptr(scratch), need,
                slices)
        assert lib.em_conv2d_direct(code, _ptr(x), _ptr(w), _ptr(y), *args) == 0
        np.testing.assert_allclose(y, want, **tol)
    # a wrong output size or too small a scratch is refused before anything is written
    y = np.zeros((n, oc, oh, ow), dtype)
    bad_size = args[:12] + (ow + 1,) + args[13:]
    short = args[:15] + (need - 1,) + args[16:]
    for bad in (bad_size, short):
        assert lib.em_conv2d_direct(code, _ptr(x), _ptr(w), _ptr(y), *bad) == lib.EM_EINVAL
    assert not y.any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geometry", [
    (3, 1, 6, 28, 28, 5, 5, (2, 2), (1, 1)),
    (2, 6, 7, 14, 14, 5, 5, (0, 0), (1, 1)),
    (1, 2, 3, 9, 37, 3, 7, (1, 0), (2, 3)),
    (2, 3, 1, 5, 4, 2, 1, (0, 0), (1, 1)),
])
def test_direct_weight_grad_matches_reference(dtype, geometry):
    """The weight gradient against float64 sums, on 1 and 2 threads, whatever the scratch
    held before."""
    n, c, oc, h, wd, kh, kw, pad, dil = geometry
    rng = np.random.default_rng(6)
    code, tol = _float_kernel(dtype)
    x = rng.standard_normal((n, c, h, wd)).astype(dtype)
    oh, ow = h + 2 * pad[0] - dil[0] * (kh - 1), wd + 2 * pad[1] - dil[1] * (kw - 1)
    g = rng.standard_normal((n, oc, oh, ow)).astype(dtype)
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad[0],) * 2, (pad[1],) * 2))
    want = np.empty((oc, c, kh, kw))
    for i in range(kh):
        for j in range(kw):
            win = xp[:, :, i * dil[0]:i * dil[0] + oh, j * dil[1]:j * dil[1] + ow]
            want[:, :, i, j] = np.einsum("nohw,nchw->oc", g.astype(np.float64), win)
    need = n * c * (h + 2 * pad[0]) * (wd + 2 * pad[1]) + 16 + n * oc * oh * -(-ow // 16) * 16
    for slices in (1, 2):
        gw = np.full((oc, c, kh, kw), np.nan, dtype)
        scratch = np.full(need, np.inf, dtype)  # stale scratch must not leak into the sums
        args = (n, c, h, wd, oc, kh, kw, *pad, *dil, oh, ow, _ptr(scratch), need, slices)
        assert lib.em_conv2d_direct_wgrad(code, _ptr(x), _ptr(g), _ptr(gw), *args) == 0
        np.testing.assert_allclose(gw, want, **tol)
    bad_kw = args[:5] + (kh, 8) + args[7:]
    short = args[:14] + (need - 1,) + args[15:]
    gw = np.zeros((oc, c, kh, kw), dtype)
    for bad in (bad_kw, short):
        assert lib.em_conv2d_direct_wgrad(code, _ptr(x), _ptr(g), _ptr(gw), *bad) == lib.EM_EINVAL
    assert not gw.any()


def test_direct_weight_grad_ignores_values_past_the_output_row():
    """x = inf in a column that only the masked lanes of tap kw = 0 reach: 0 * inf would
    make that tap's sum NaN."""
    x = np.ones((1, 1, 3, 12), np.float32)
    x[..., 11] = np.inf  # column 11 lies only in windows of tap kw = 2 (OW = 10)
    g = np.ones((1, 1, 1, 10), np.float32)
    gw = np.empty((1, 1, 3, 3), np.float32)
    need = 3 * 12 + 16 + 16
    scratch = np.empty(need, np.float32)
    assert lib.em_conv2d_direct_wgrad(lib.EM_F32, _ptr(x), _ptr(g), _ptr(gw), 1, 1, 3, 12, 1,
                                      3, 3, 0, 0, 1, 1, 1, 10, _ptr(scratch), need, 1) == 0
    np.testing.assert_array_equal(gw[0, 0, :, :2], 10.0)
    assert np.isinf(gw[0, 0, :, 2]).all()


@pytest.mark.parametrize("planes", [3, 40])  # below and above the threading threshold
def test_max_pool_scatter_and_gather_check_every_index(planes):
    """The scatter of max pooling's backward (repeated indices add up) and its adjoint
    gather, against NumPy; one index out of range in any plane fails the call."""
    rng = np.random.default_rng(7)
    in_sz, out_sz = 60, 2000
    gy = rng.standard_normal((planes, out_sz)).astype(np.float32)
    idx = rng.integers(0, in_sz, (planes, out_sz))
    gx = np.full((planes, in_sz), np.nan, np.float32)
    p64 = ffi.cast("int64_t *", idx.ctypes.data)
    assert lib.em_max_pool_backward(lib.EM_F32, _ptr(gy), p64, planes, in_sz, out_sz,
                                    _ptr(gx)) == 0
    want = np.zeros((planes, in_sz))
    for p in range(planes):
        np.add.at(want[p], idx[p], gy[p].astype(np.float64))
    np.testing.assert_allclose(gx, want, rtol=1e-4, atol=1e-4)
    y = np.empty((planes, out_sz), np.float32)
    assert lib.em_gather_planes(lib.EM_F32, _ptr(gx), p64, planes, in_sz, out_sz, _ptr(y)) == 0
    np.testing.assert_array_equal(y, np.take_along_axis(gx, idx, 1))
    for bad in (-1, in_sz):
        idx[planes - 1, out_sz // 2] = bad
        assert lib.em_max_pool_backward(lib.EM_F32, _ptr(gy), p64, planes, in_sz, out_sz,
                                        _ptr(gx)) == lib.EM_EINDEX
        assert lib.em_gather_planes(lib.EM_F32, _ptr(gx), p64, planes, in_sz, out_sz,
                                    _ptr(y)) == lib.EM_EINDEX


def _float_kernel(dtype):
    """(em_dtype code, assert_allclose tolerances against float64) of a float32/float64 test."""
    if dtype == np.float32:
        return lib.EM_F32, dict(rtol=2e-4, atol=2e-5)
    return lib.EM_F64, dict(rtol=1e-10, atol=1e-12)


def _thread_counts(counts=(1, 2)):
    """Iterates over counts with ember (and its kernels) set to that many threads, restoring
    the setting afterwards."""
    import ember
    before = ember.get_num_threads()
    try:
        for n in counts:
            ember.set_num_threads(n)
            yield n
    finally:
        ember.set_num_threads(before)


def _lstm_reference(xp, w, h0, c0, reverse, d_hs, dh, dc):
    """em_lstm_forward and em_lstm_backward in float64 NumPy, step by step."""
    T, B, G = xp.shape
    H = G // 4
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    order = list(range(T - 1, -1, -1) if reverse else range(T))
    acts, cs, hs = np.empty((T, B, G)), np.empty((T, B, H)), np.empty((T, B, H))
    h, c = h0, c0
    for t in order:
        z = xp[t] + h @ w.T
        a = np.concatenate([sig(z[:, :2 * H]), np.tanh(z[:, 2 * H:3 * H]), sig(z[:, 3 * H:])], 1)
        c = a[:, H:2 * H] * c + a[:, :H] * a[:, 2 * H:3 * H]
        h = a[:, 3 * H:] * np.tanh(c)
        acts[t], cs[t], hs[t] = a, c, h
    d_gates = np.empty((T, B, G))
    for k in range(T - 1, -1, -1):
        t = order[k]
        c_prev = c0 if k == 0 else cs[order[k - 1]]
        i, f, g, o = (acts[t][:, q * H:(q + 1) * H] for q in range(4))
        dh = dh + d_hs[t]
        tc = np.tanh(cs[t])
        d = dc + dh * o * (1 - tc * tc)
        d_gates[t] = np.concatenate([d * g * i * (1 - i), d * c_prev * f * (1 - f),
                                     d * i * (1 - g * g), dh * tc * o * (1 - o)], 1)
        dc = d * f
        dh = d_gates[t] @ w
    return acts, cs, hs, d_gates, dh, dc


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("T,B,H", [(4, 3, 5), (3, 40, 70), (1, 1, 1)])
@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_recurrence_matches_numpy(dtype, T, B, H, reverse):
    """Forward and backward of a whole sequence, on one thread and on two (40x70 runs the
    GEMMs in column blocks), against the float64 recurrence."""
    rng = np.random.default_rng(4)
    xp = rng.standard_normal((T, B, 4 * H)).astype(dtype)
    w = (rng.standard_normal((4 * H, H)) / np.sqrt(H)).astype(dtype)
    h0, c0, dh, dc = (rng.standard_normal((B, H)).astype(dtype) for _ in range(4))
    d_hs = rng.standard_normal((T, B, H)).astype(dtype)
    want = _lstm_reference(*(v.astype(np.float64) for v in (xp, w, h0, c0)), reverse,
                           d_hs.astype(np.float64), dh.astype(np.float64),
                           dc.astype(np.float64))
    code, tol = _float_kernel(dtype)
    for _ in _thread_counts():
        acts, cs, tcs, hs = np.empty_like(xp), *(np.empty((T, B, H), dtype) for _ in range(3))
        assert lib.em_lstm_forward(code, T, B, H, reverse, _ptr(w), _ptr(h0), _ptr(c0),
                                   _ptr(xp), _ptr(acts), _ptr(cs), _ptr(tcs),
                                   _ptr(hs)) == lib.EM_OK
        d_gates, dh_got, dc_got = np.empty((T, B, 4 * H), dtype), dh.copy(), dc.copy()
        assert lib.em_lstm_backward(code, T, B, H, reverse, _ptr(w), _ptr(c0), _ptr(acts),
                                    _ptr(cs), _ptr(tcs), _ptr(d_hs), _ptr(dh_got),
                                    _ptr(dc_got), _ptr(d_gates)) == lib.EM_OK
        for got, ref in zip((acts, cs, hs, d_gates, dh_got, dc_got), want):
            np.testing.assert_allclose(got, ref, **tol)
        np.testing.assert_allclose(tcs, np.tanh(want[1]), **tol)


def _gru_reference(xp, w, b, h0, reverse, d_hs, dh):
    """em_gru_forward and em_gru_backward in float64 NumPy, step by step."""
    T, B, G = xp.shape
    H = G // 3
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    order = list(range(T - 1, -1, -1) if reverse else range(T))
    acts, ns, hs = np.empty((T, B, G)), np.empty((T, B, H)), np.empty((T, B, H))
    h = h0
    for t in order:
        hp = h @ w.T + b
        rz = sig(xp[t][:, :2 * H] + hp[:, :2 * H])
        n = np.tanh(xp[t][:, 2 * H:] + rz[:, :H] * hp[:, 2 * H:])
        h = n + rz[:, H:] * (h - n)
        acts[t], ns[t], hs[t] = np.concatenate([rz, hp[:, 2 * H:]], 1), n, h
    dhp, dxp = np.empty((T, B, G)), np.empty((T, B, G))
    for k in range(T - 1, -1, -1):
        t = order[k]
        h_prev = h0 if k == 0 else hs[order[k - 1]]
        r, z, hn = acts[t][:, :H], acts[t][:, H:2 * H], acts[t][:, 2 * H:]
        dh = dh + d_hs[t]
        dn = dh * (1 - z) * (1 - ns[t] ** 2)
        dr, dz = dn * hn * r * (1 - r), dh * (h_prev - ns[t]) * z * (1 - z)
        dhp[t], dxp[t] = np.concatenate([dr, dz, dn * r], 1), np.concatenate([dr, dz, dn], 1)
        dh = dh * z + dhp[t] @ w
    return acts, ns, hs, dhp, dxp, dh


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("T,B,H", [(4, 3, 5), (3, 40, 70), (1, 1, 1)])
@pytest.mark.parametrize("reverse", [False, True])
def test_gru_recurrence_matches_numpy(dtype, T, B, H, reverse):
    """As the LSTM's: both directions, one thread and two, against float64."""
    rng = np.random.default_rng(6)
    xp = rng.standard_normal((T, B, 3 * H)).astype(dtype)
    w = (rng.standard_normal((3 * H, H)) / np.sqrt(H)).astype(dtype)
    b = rng.standard_normal(3 * H).astype(dtype)
    h0, dh = (rng.standard_normal((B, H)).astype(dtype) for _ in range(2))
    d_hs = rng.standard_normal((T, B, H)).astype(dtype)
    want = _gru_reference(*(v.astype(np.float64) for v in (xp, w, b, h0)), reverse,
                          d_hs.astype(np.float64), dh.astype(np.float64))
    code, tol = _float_kernel(dtype)
    for _ in _thread_counts():
        acts = np.empty((T, B, 3 * H), dtype)
        ns, hs = (np.empty((T, B, H), dtype) for _ in range(2))
        assert lib.em_gru_forward(code, T, B, H, reverse, _ptr(w), _ptr(b), _ptr(h0), _ptr(xp),
                                  _ptr(acts), _ptr(ns), _ptr(hs)) == lib.EM_OK
        dhp, dxp, dh_got = np.empty_like(acts), np.empty_like(acts), dh.copy()
        assert lib.em_gru_backward(code, T, B, H, reverse, _ptr(w), _ptr(h0), _ptr(acts),
                                   _ptr(ns), _ptr(hs), _ptr(d_hs), _ptr(dh_got), _ptr(dhp),
                                   _ptr(dxp)) == lib.EM_OK
        for got, ref in zip((acts, ns, hs, dhp, dxp, dh_got), want):
            np.testing.assert_allclose(got, ref, **tol)


def test_recurrences_refuse_bad_arguments():
    p = _ptr(np.zeros(64, np.float32))
    assert lib.em_lstm_forward(lib.EM_I32, 1, 1, 1, 0, p, p, p, p, p, p, p, p) == lib.EM_EDTYPE
    assert lib.em_lstm_forward(lib.EM_F32, -1, 1, 1, 0, p, p, p, p, p, p, p, p) == lib.EM_EINVAL
    assert lib.em_lstm_forward(lib.EM_F32, 1 << 40, 1 << 20, 1 << 10, 0, p, p, p, p, p, p, p,
                               p) == lib.EM_EINVAL
    assert lib.em_lstm_backward(lib.EM_F32, 1, 1, 1, 0, p, p, p, p, p, ffi.NULL, ffi.NULL, p,
                                p) == lib.EM_EINVAL
    assert lib.em_gru_forward(lib.EM_I64, 1, 1, 1, 0, p, p, p, p, p, p, p) == lib.EM_EDTYPE
    assert lib.em_gru_forward(lib.EM_F32, 1, -1, 1, 0, p, p, p, p, p, p, p) == lib.EM_EINVAL
    assert lib.em_gru_backward(lib.EM_F64, 1, 1, 1, 0, p, p, p, p, p, ffi.NULL, p, ffi.NULL,
                               p) == lib.EM_EINVAL


def _max_pool_reference(x, k, s, p, d):
    """Values and flat indices of 2-d max pooling, scanning each window in torch's order
    (rows, then columns): the first maximum, or the first NaN."""
    P, H, W = x.shape
    OH = (H + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    OW = (W + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    y, idx = np.empty((P, OH, OW), x.dtype), np.empty((P, OH, OW), np.int64)
    for q, oh, ow in np.ndindex(P, OH, OW):
        best, at = -np.inf, None
        for kh, kw in np.ndindex(*k):
            ih, iw = oh * s[0] - p[0] + kh * d[0], ow * s[1] - p[1] + kw * d[1]
            if not (0 <= ih < H and 0 <= iw < W):
                continue
            v = x[q, ih, iw]
            if at is None or v > best or (np.isnan(v) and not np.isnan(best)):
                best, at = v, ih * W + iw
        y[q, oh, ow], idx[q, oh, ow] = best, at
    return y, idx


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k,s,p,d", [((2, 2), (2, 2), (0, 0), (1, 1)),
                                     ((3, 3), (2, 2), (1, 1), (1, 1)),
                                     ((3, 2), (1, 2), (1, 1), (2, 1)),
                                     ((5, 5), (3, 1), (2, 2), (1, 2))])
def test_max_pool2d_matches_reference(dtype, k, s, p, d):
    """Ties (small integers), NaNs and -inf in the input, padding and dilation."""
    rng = np.random.default_rng(5)
    x = rng.integers(-3, 4, (3, 11, 13)).astype(dtype)
    x.flat[::37] = np.nan
    x.flat[5::29] = -np.inf
    want_y, want_idx = _max_pool_reference(x, k, s, p, d)
    y, idx = np.empty_like(want_y), np.empty_like(want_idx)
    code = lib.EM_F32 if dtype == np.float32 else lib.EM_F64
    args = (3, 11, 13, *k, *s, *p, *d, *want_y.shape[1:])
    assert lib.em_max_pool2d(code, _ptr(x), *args, _ptr(y),
                             ffi.cast("int64_t *", idx.ctypes.data)) == lib.EM_OK
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_array_equal(y, want_y)
    assert lib.em_max_pool2d(code, _ptr(x), *args, _ptr(y), ffi.NULL) == lib.EM_EINVAL
