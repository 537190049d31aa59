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
