"""cuDNN's library (libcudnn.so.9), loaded through cffi's ABI mode on first use.

CuPy 14 dropped its cuDNN bindings; the library ships as the ``nvidia-cudnn-cu13`` wheel
(the ``cuda`` extra installs it, and torch's CUDA builds bring it too). This module
finds and loads it and turns its status codes into exceptions; ``cudnn_conv.py`` runs
the convolutions and ``ember.backends.cudnn`` reports its version.
"""

from __future__ import annotations

import os

_CDEF = """
typedef int cudnnStatus_t;
typedef struct cudnnContext *cudnnHandle_t;
typedef void *cudnnBackendDescriptor_t;

size_t cudnnGetVersion(void);
const char *cudnnGetErrorString(cudnnStatus_t status);
cudnnStatus_t cudnnCreate(cudnnHandle_t *handle);
cudnnStatus_t cudnnSetStream(cudnnHandle_t handle, void *stream);
cudnnStatus_t cudnnBackendCreateDescriptor(int descriptorType,
                                           cudnnBackendDescriptor_t *descriptor);
cudnnStatus_t cudnnBackendDestroyDescriptor(cudnnBackendDescriptor_t descriptor);
cudnnStatus_t cudnnBackendFinalize(cudnnBackendDescriptor_t descriptor);
cudnnStatus_t cudnnBackendSetAttribute(cudnnBackendDescriptor_t descriptor, int name,
                                       int type, int64_t count, const void *elements);
cudnnStatus_t cudnnBackendGetAttribute(cudnnBackendDescriptor_t descriptor, int name,
                                       int type, int64_t requested, int64_t *count,
                                       void *elements);
cudnnStatus_t cudnnBackendExecute(cudnnHandle_t handle, cudnnBackendDescriptor_t plan,
                                  cudnnBackendDescriptor_t variantPack);
"""

_state: dict = {}  # "ffi", "lib": the loaded library (lib None where it did not load)


def load():
    """(ffi, lib) of libcudnn.so.9; lib is None where it is not installed."""
    if "lib" not in _state:
        import cffi
        ffi, lib = cffi.FFI(), None
        ffi.cdef(_CDEF)
        for path in _candidates():
            try:
                lib = ffi.dlopen(path)
                lib.cudnnGetVersion()
                break
            except (OSError, AttributeError):
                lib = None
        _state["ffi"], _state["lib"] = ffi, lib
    return _state["ffi"], _state["lib"]


def _candidates():
    """The wheel's copy first (the one built for CuPy's CUDA), then the loader's search."""
    try:
        import nvidia.cudnn
        for folder in nvidia.cudnn.__path__:
            yield os.path.join(folder, "lib", "libcudnn.so.9")
    except ImportError:
        pass
    yield "libcudnn.so.9"


def version() -> int | None:
    """cuDNN's version as one number (9.28.1 -> 92801), None where it is not installed."""
    _, lib = load()
    return int(lib.cudnnGetVersion()) if lib is not None else None


class CudnnError(RuntimeError):
    """A cuDNN call failed; ``status`` is its cudnnStatus_t."""

    def __init__(self, status: int):
        ffi, lib = load()
        super().__init__(f"cuDNN error: {ffi.string(lib.cudnnGetErrorString(status)).decode()}")
        self.status = status


def check(status: int) -> None:
    if status:
        raise CudnnError(status)
