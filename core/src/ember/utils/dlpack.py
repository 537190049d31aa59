"""ember.utils.dlpack: tensors to and from DLPack, as torch.utils.dlpack.

``from_dlpack`` takes any object with ``__dlpack__`` (NumPy arrays, torch or CuPy
tensors, ember tensors) or a DLPack capsule, and shares its memory; ``to_dlpack`` gives
the legacy capsule of an ember tensor. The memory itself crosses through NumPy's DLPack
on the CPU and CuPy's on the GPU (``Tensor.__dlpack__`` and ``ember.from_dlpack``).

Example:
    >>> capsule = ember.utils.dlpack.to_dlpack(ember.arange(3))
    >>> ember.utils.dlpack.from_dlpack(capsule)       # the same memory, once per capsule
    tensor([0, 1, 2])
"""

from __future__ import annotations

import ctypes
import enum
import warnings

from .._device import device as _device
from .._tensor import Tensor
from ..ops.creation import from_dlpack as _from_producer

__all__ = ["DLDeviceType", "from_dlpack", "to_dlpack"]


class DLDeviceType(enum.IntEnum):
    """DLPack's device type codes (dlpack.h)."""

    kDLCPU = 1
    kDLCUDA = 2
    kDLCUDAHost = 3
    kDLOpenCL = 4
    kDLVulkan = 7
    kDLMetal = 8
    kDLVPI = 9
    kDLROCM = 10
    kDLROCMHost = 11
    kDLExtDev = 12
    kDLCUDAManaged = 13
    kDLOneAPI = 14
    kDLWebGPU = 15
    kDLHexagon = 16
    kDLMAIA = 17


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_capsule_is_valid = ctypes.pythonapi.PyCapsule_IsValid
_capsule_is_valid.restype = ctypes.c_int
_capsule_is_valid.argtypes = [ctypes.py_object, ctypes.c_char_p]

_POINTER = ctypes.sizeof(ctypes.c_void_p)
# Where a capsule's DLDevice lies, by capsule name: DLManagedTensor starts with its
# DLTensor; DLManagedTensorVersioned puts a version, a context, a deleter and flags
# (8 bytes each) before it. In DLTensor, the device follows the data pointer.
_DEVICE_OFFSET = {b"dltensor": _POINTER, b"dltensor_versioned": 8 + 3 * 8 + _POINTER}


class _CapsuleProducer:
    """A DLPack capsule seen as a producer object, for consumers that want
    ``__dlpack__`` and ``__dlpack_device__`` (NumPy's and CuPy's from_dlpack)."""

    def __init__(self, capsule) -> None:
        for name, offset in _DEVICE_OFFSET.items():
            if _capsule_is_valid(capsule, name):
                device = _DLDevice.from_address(_capsule_pointer(capsule, name) + offset)
                self._device = (device.device_type, device.device_id)
                self._capsule = capsule
                return
        raise RuntimeError("from_dlpack received an invalid capsule. Note that DLTensor "
                           "capsules can be consumed only once, so you might have already "
                           "constructed a tensor from it once.")

    def __dlpack__(self, **kwargs):
        return self._capsule

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._device


def _is_capsule(obj) -> bool:
    return type(obj).__name__ == "PyCapsule"


def from_dlpack(ext_tensor, *, device=None, copy: bool | None = None) -> Tensor:
    """A tensor over ext_tensor's memory: an object with ``__dlpack__`` or a DLPack capsule
    (each capsule can be consumed once). With device, the tensor is moved there (a copy
    when it differs); copy=True always copies, copy=False refuses to.

    Example:
        >>> a = numpy.arange(3.0)
        >>> t = ember.from_dlpack(a)
        >>> t[0] = 5.0                 # a[0] is 5.0 too
    """
    if _is_capsule(ext_tensor):
        if device is not None or copy is not None:
            raise AssertionError("device and copy kwargs not supported when ext_tensor is "
                                 "already a DLPack capsule.")
        # NumPy marks what a legacy capsule holds read-only, since the capsule has no flag
        # to say; torch treats that memory as writable, and so does ember
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "The given NumPy array is not writable")
            out = _from_producer(_CapsuleProducer(ext_tensor))
    else:
        out = _from_producer(ext_tensor)
    want = None if device is None else _device(device)
    if want is not None and (want.type != out.device.type or
                             want.index not in (None, out.device.index)):
        if copy is False:
            raise BufferError(f"from_dlpack: copy=False, but the tensor is on {out.device} "
                              f"and was asked for on {_device(device)}")
        return out.to(device)
    return out.clone() if copy else out


def to_dlpack(tensor: Tensor):
    """tensor's memory as a legacy DLPack capsule (``"dltensor"``), for consumers that
    take capsules; newer ones take the tensor itself through ``__dlpack__``.

    Example:
        >>> numpy_consumer_capsule = ember.to_dlpack(ember.ones(2))
    """
    return tensor.detach().__dlpack__()
