"""The legacy type names against torch: ember.cuda.FloatTensor and kin (isinstance by dtype
and device, the type strings, the CUDA constructors), the legacy storage classes,
ember.Storage (which follows the default dtype) and ember.StorageBase."""

import warnings

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402

_TYPES = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor",
          "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]


@pytest.mark.parametrize("name", _TYPES)
def test_cuda_type_names_match_torch(name):
    e, t = getattr(ember.cuda, name), getattr(torch.cuda, name)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert e.is_cuda is t.is_cuda is True
    assert repr(e) == repr(t).replace("torch", "ember")
    # a CPU tensor of the right dtype is not a CUDA type, as in torch
    cpu_e = ember.zeros(2, dtype=e.dtype)
    cpu_t = torch.zeros(2, dtype=t.dtype)
    assert isinstance(cpu_e, e) is isinstance(cpu_t, t) is False
    assert isinstance(cpu_e, getattr(ember, name)) is isinstance(cpu_t, getattr(torch, name))


@pytest.mark.parametrize("name", ["FloatStorage", "DoubleStorage", "HalfStorage",
                                  "BFloat16Storage", "LongStorage", "IntStorage",
                                  "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage",
                                  "ComplexFloatStorage", "ComplexDoubleStorage"])
def test_cuda_storage_names_match_torch(name):
    e, t = getattr(ember.cuda, name), getattr(torch.cuda, name)
    assert repr(e) == repr(t).replace("torch", "ember")
    assert e.__module__ == "ember.cuda" and t.__module__ == "torch.cuda"
    assert issubclass(e, ember.TypedStorage) and issubclass(t, torch.TypedStorage)
    # a CPU storage is not a CUDA storage class's instance, in either
    assert isinstance(ember.ones(2).storage(), e) is False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's TypedStorage deprecation
        assert isinstance(torch.ones(2).storage(), t) is False


def test_storage_follows_default_dtype_as_torch():
    before_e, before_t = ember.get_default_dtype(), torch.get_default_dtype()
    try:
        assert ember.Storage is ember.FloatStorage and torch.Storage is torch.FloatStorage
        ember.set_default_dtype(ember.float64)
        torch.set_default_dtype(torch.float64)
        assert ember.Storage is ember.DoubleStorage and torch.Storage is torch.DoubleStorage
    finally:
        ember.set_default_dtype(before_e)
        torch.set_default_dtype(before_t)


def test_storage_base_as_torch():
    assert isinstance(ember.ones(2).untyped_storage(), ember.StorageBase)
    assert isinstance(torch.ones(2).untyped_storage(), torch.StorageBase)
    assert issubclass(ember.UntypedStorage, ember.StorageBase)
    assert not issubclass(ember.TypedStorage, ember.StorageBase)
    assert not issubclass(torch.TypedStorage, torch.StorageBase)
    with pytest.raises(RuntimeError, match="Cannot directly construct StorageBase"):
        ember.StorageBase()
    with pytest.raises(RuntimeError, match="Cannot directly construct StorageBase"):
        torch.StorageBase()


@pytest.mark.parametrize("name", ["FloatTensor", "LongTensor", "BoolTensor", "HalfTensor"])
def test_cuda_types_build_cuda_tensors(name, device):
    if device != "cuda":
        pytest.skip("the CUDA legacy constructors need a CUDA device")
    cls = getattr(ember.cuda, name)
    x = cls([1, 0, 1])
    assert x.device.type == "cuda" and x.dtype is cls.dtype
    assert x.tolist() == getattr(torch, name)([1, 0, 1]).tolist()
    assert isinstance(x, cls) and not isinstance(x, getattr(ember, name))
    assert x.type() == f"ember.cuda.{name}"
    assert tuple(cls(2, 3).shape) == (2, 3)
    # Tensor.type reads torch's spelling of a CUDA type, and moves across devices
    y = ember.tensor([1.5, 2.5]).type("torch.cuda.DoubleTensor")
    assert y.device.type == "cuda" and y.dtype is ember.float64 and y.tolist() == [1.5, 2.5]
    assert y.type(ember.FloatTensor).device.type == "cpu"
    assert isinstance(x.storage(), getattr(ember.cuda, name.replace("Tensor", "Storage")))
