"""ember.types and ember.functional against torch's modules of those names: the same
public names, aliases that accept what torch's accept, and functional's functions
(ember's own ops) giving torch's values."""

import os
import typing

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402
import ember.functional as ef  # noqa: E402
import ember.types as et  # noqa: E402
import torch.functional as tf  # noqa: E402
import torch.types as tt  # noqa: E402


def test_types_public_names_match_torch():
    assert sorted(et.__all__) == sorted(tt.__all__)
    for name in ("_size", "_TensorOrTensors", "_TensorOrOptionalTensors", "_Number", "_int",
                 "_float", "_bool", "_complex", "_str", "_bytes", "_dtype", "_device",
                 "IntLikeType", "FloatLikeType", "BoolLikeType"):
        assert hasattr(et, name) and hasattr(tt, name), name


@pytest.mark.parametrize("alias, values, outsiders", [
    ("Number", [3, 2.5, True], ["3", None, 1j]),
    ("Device", ["cpu", 0, None], [2.5, b"cpu"]),
])
def test_aliases_accept_what_torch_accepts(alias, values, outsiders):
    for value in values:
        assert isinstance(value, getattr(et, alias)) == isinstance(value, getattr(tt, alias))
        assert isinstance(value, getattr(et, alias))
    for value in outsiders:
        assert not isinstance(value, getattr(et, alias))
        assert not isinstance(value, getattr(tt, alias))
    assert et._Number == tt._Number == (int, float, bool)


def test_aliases_name_ember_classes():
    assert isinstance(ember.device("cpu"), et.Device)
    # aliases with parameterized members are for annotations only: compare their members
    assert typing.get_args(et._size)[0] is ember.Size
    assert typing.get_args(et._size)[1:] == typing.get_args(tt._size)[1:]
    assert typing.get_args(et.FileLike)[0] is str
    assert typing.get_args(et.FileLike)[1].__origin__ is os.PathLike
    assert typing.get_args(et._TensorOrTensors)[0] is ember.Tensor
    assert isinstance(ember.ones(2), typing.get_args(et._TensorOrTensors)[0])
    assert isinstance(ember.ones(2).untyped_storage(), et.Storage)
    assert et._dtype is ember.dtype and et._device is ember.device and et._int is int


def test_functional_names_match_torch_and_are_embers_ops():
    assert sorted(ef.__all__) == sorted(tf.__all__)
    for name in ef.__all__:
        assert getattr(ef, name) is getattr(ember, name), name


def test_functional_values_match_torch():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    ea, eb, ta, tb = ember.tensor(a), ember.tensor(b), torch.tensor(a), torch.tensor(b)
    cases = [
        (ef.tensordot(ea, eb, dims=1), tf.tensordot(ta, tb, dims=1)),
        (ef.einsum("ij,jk->ik", ea, eb), tf.einsum("ij,jk->ik", ta, tb)),
        (ef.cdist(ea, ea), tf.cdist(ta, ta)),
        (ef.block_diag(ea, eb), tf.block_diag(ta, tb)),
        (ef.norm(ea), tf.norm(ta)),
        (ef.chain_matmul(ea, eb, eb.T), tf.chain_matmul(ta, tb, tb.T)),
        (ef.atleast_3d(ea), tf.atleast_3d(ta)),
        (ef.cartesian_prod(ember.arange(3), ember.arange(2)),
         tf.cartesian_prod(torch.arange(3), torch.arange(2))),
    ]
    for got, want in cases:
        assert tuple(got.shape) == tuple(want.shape)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)
    for got, want in zip(ef.split(ea, [1, 3], 1), tf.split(ta, [1, 3], 1)):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    for got, want in zip(ef.meshgrid(ember.arange(3), ember.arange(2), indexing="ij"),
                         tf.meshgrid(torch.arange(3), torch.arange(2), indexing="ij")):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    values = [3, 1, 3, 2, 1]
    for got, want in zip(ef.unique(ember.tensor(values), return_counts=True),
                         tf.unique(torch.tensor(values), return_counts=True)):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert tuple(ef.broadcast_shapes((2, 1), (3,))) == tuple(tf.broadcast_shapes((2, 1), (3,)))


@pytest.mark.parametrize("shapes", [((2, 1), (3,)), ((2, 1), (3,), 1), (4,), (), ((0, 1), (5,))])
def test_broadcast_shapes_returns_a_size_as_torch(shapes):
    got, want = ember.broadcast_shapes(*shapes), torch.broadcast_shapes(*shapes)
    assert isinstance(got, ember.Size) and tuple(got) == tuple(want)


@pytest.mark.parametrize("shapes,error", [(((2,), (3,)), RuntimeError), (((-1,), (2,)), ValueError)])
def test_broadcast_shapes_refuses_as_torch(shapes, error):
    with pytest.raises(error):
        torch.broadcast_shapes(*shapes)
    with pytest.raises(error):
        ember.broadcast_shapes(*shapes)
