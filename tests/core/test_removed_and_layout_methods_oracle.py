"""Against torch: the removed linear-algebra functions (ember.solve, lstsq, eig, symeig,
matrix_rank and the Tensor methods) raise torch's exception naming the ember.linalg
replacement; Tensor.volatile warns and reads False; a dense tensor's sparse/quantized
methods raise torch's exception naming the layout, or answer as torch's do."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402

_REPLACEMENT = {"solve": "linalg.solve", "lstsq": "linalg.lstsq", "eig": "linalg.eig",
                "symeig": "linalg.eigh", "matrix_rank": "linalg.matrix_rank"}


def _error(call):
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - the exception is what is compared
        return exc
    raise AssertionError("no exception raised")


@pytest.mark.parametrize("name", sorted(_REPLACEMENT))
def test_removed_functions_raise_as_torch(name):
    two = name in ("solve", "lstsq")
    e, t = ember.eye(3), torch.eye(3)
    got = _error(lambda: getattr(ember, name)(e, e) if two else getattr(ember, name)(e))
    want = _error(lambda: getattr(torch, name)(t, t) if two else getattr(torch, name)(t))
    assert type(got) is type(want) is RuntimeError
    assert "removed" in str(got) and "removed" in str(want)
    assert f"ember.{_REPLACEMENT[name]}" in str(got)
    assert f"torch.{_REPLACEMENT[name]}" in str(want)


@pytest.mark.parametrize("name", ["solve", "lstsq", "eig", "symeig"])
def test_removed_methods_raise_as_torch(name):
    two = name in ("solve", "lstsq")
    e, t = ember.eye(3), torch.eye(3)
    got = _error(lambda: getattr(e, name)(e) if two else getattr(e, name)())
    want = _error(lambda: getattr(t, name)(t) if two else getattr(t, name)())
    assert type(got) is type(want) is RuntimeError
    assert f"ember.{_REPLACEMENT[name]}" in str(got)


def test_volatile_matches_torch():
    e, t = ember.ones(2), torch.ones(2)
    with warnings.catch_warnings(record=True) as got_e:
        warnings.simplefilter("always")
        read_e = e.volatile
        e.volatile = True
        read_again = e.volatile
    with warnings.catch_warnings(record=True) as got_t:
        warnings.simplefilter("always")
        read_t = t.volatile
        t.volatile = True
    assert read_e is read_t is read_again is False
    assert [w.category for w in got_e[:2]] == [w.category for w in got_t] == [UserWarning] * 2
    assert "no_grad" in str(got_e[1].message) and "no_grad" in str(got_t[1].message)


_LAYOUT_ERRORS = ["indices", "values", "coalesce", "is_coalesced", "crow_indices",
                  "col_indices", "ccol_indices", "row_indices"]
_KERNEL_ERRORS = ["_indices", "_values", "_nnz", "_dimI", "_dimV", "q_scale", "q_zero_point",
                  "q_per_channel_scales", "q_per_channel_zero_points", "q_per_channel_axis",
                  "int_repr", "qscheme"]


@pytest.mark.parametrize("name", _LAYOUT_ERRORS + _KERNEL_ERRORS)
def test_dense_tensor_refuses_layout_methods_as_torch(name, device):
    got = _error(lambda: getattr(ember.ones(2, 3, device=device), name)())
    want = _error(lambda: getattr(torch.ones(2, 3), name)())
    assert type(got) is type(want)
    if name in _LAYOUT_ERRORS:
        assert str(got) == str(want)  # "<name> expected <layout> tensor layout but got Strided"
    else:
        assert f"Could not run 'aten::{name}'" in str(got)
        assert f"'{device.upper()}' backend" in str(got)


@pytest.mark.parametrize("name, args", [("sparse_resize_", ((2, 3), 1, 1)),
                                        ("sparse_resize_and_clear_", ((2, 3), 1, 1)),
                                        ("_coalesced_", (True,))])
def test_dense_tensor_refuses_sparse_mutators_as_torch(name, args):
    got = _error(lambda: getattr(ember.ones(2, 3), name)(*args))
    want = _error(lambda: getattr(torch.ones(2, 3), name)(*args))
    assert type(got) is type(want) is NotImplementedError


def test_sparse_tensor_names_its_layout_as_torch():
    dense = [[0.0, 2.0], [3.0, 0.0]]
    got = _error(lambda: ember.tensor(dense).to_sparse().crow_indices())
    want = _error(lambda: torch.tensor(dense).to_sparse().crow_indices())
    assert type(got) is type(want) is RuntimeError and str(got) == str(want)
    # the sparse tensor's own methods still answer
    e, t = ember.tensor(dense).to_sparse(), torch.tensor(dense).to_sparse()
    np.testing.assert_array_equal(e.indices().numpy(), t.indices().numpy())
    assert e.sparse_dim() == t.sparse_dim() == 2


def test_dense_answers_match_torch(device):
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    e, t = ember.tensor(x, device=device), torch.tensor(x)
    assert (e.sparse_dim(), e.dense_dim()) == (t.sparse_dim(), t.dense_dim()) == (0, 3)
    assert e.dequantize() is e and t.dequantize() is t
    ints_e = ember.tensor([1, 2], device=device).dequantize()
    ints_t = torch.tensor([1, 2]).dequantize()
    assert str(ints_e.dtype).split(".")[-1] == str(ints_t.dtype).split(".")[-1] == "float32"
    assert ints_e.tolist() == ints_t.tolist()


@pytest.mark.parametrize("coalesce", [False, True])
def test_sparse_mask_matches_torch(coalesce):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    idx = np.array([[2, 0, 2, 1], [3, 1, 3, 0]])
    mask_e = ember.sparse_coo_tensor(ember.tensor(idx), ember.ones(4), (3, 4))
    mask_t = torch.sparse_coo_tensor(torch.tensor(idx), torch.ones(4), (3, 4))
    if coalesce:
        mask_e, mask_t = mask_e.coalesce(), mask_t.coalesce()
    got, want = ember.tensor(x).sparse_mask(mask_e), torch.tensor(x).sparse_mask(mask_t)
    assert got.is_coalesced() == want.is_coalesced() == coalesce
    np.testing.assert_array_equal(got._indices().numpy(), want._indices().numpy())
    np.testing.assert_array_equal(got._values().numpy(), want._values().numpy())
    np.testing.assert_array_equal(got.to_dense().numpy(), want.to_dense().numpy())
    assert type(_error(lambda: ember.ones(3, 4).sparse_mask(ember.ones(3, 4)))) is \
        type(_error(lambda: torch.ones(3, 4).sparse_mask(torch.ones(3, 4))))
    assert type(_error(lambda: ember.ones(2).sparse_mask(mask_e))) is \
        type(_error(lambda: torch.ones(2).sparse_mask(mask_t))) is RuntimeError
