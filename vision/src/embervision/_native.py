"""Access to the compiled ``embervision._C`` module: status codes become exceptions.

The callers in ``ops`` validate shapes, dtypes and devices first (with torchvision's
exception types); these wrappers only hand C pointers into ember's CPU storage.
"""

from __future__ import annotations

import ctypes

import ember
import numpy as np

from embervision._C import ffi, lib

__all__ = ["nms", "roi_align", "roi_align_backward", "u8_hwc_to_chw", "pil_to_chw",
           "normalize"]

_NMS = {ember.float32: ("float", lib.ev_nms_f32), ember.float64: ("double", lib.ev_nms_f64)}


def _check(status: int, what: str) -> None:
    if status == lib.EV_ERR_NOMEM:
        raise MemoryError(f"{what}: out of memory")
    if status == lib.EV_ERR_INDEX:
        raise IndexError(f"{what}: index out of range")
    if status != lib.EV_OK:
        raise ValueError(f"{what}: invalid argument (status {status})")


def _ptr(ctype: str, array: np.ndarray):
    return ffi.cast(f"{ctype} *", ffi.from_buffer(array))


def nms(boxes: ember.Tensor, order: ember.Tensor, labels: ember.Tensor | None,
        iou_threshold: float) -> ember.Tensor:
    """Greedy NMS of ``csrc/nms.c`` over CPU ``boxes`` (N, 4) visited in ``order``.

    ``order`` is an int64 permutation of ``range(N)`` by decreasing score; ``labels`` (int64,
    or None) restricts suppression to boxes of one category. Returns the kept indices (int64)
    in ``order``'s order. No autograd: the result is a set of indices.
    """
    ctype, fn = _NMS[boxes.dtype]
    # numpy is only the zero-copy bridge that hands C a pointer to ember's storage
    b = np.ascontiguousarray(boxes.detach().numpy())
    o = np.ascontiguousarray(order.numpy(), dtype=np.int64)
    # locals keep every array alive until C returns (a cast pointer does not own its buffer)
    lab = None if labels is None else np.ascontiguousarray(labels.numpy(), dtype=np.int64)
    n = b.shape[0]
    if b.shape != (n, 4) or o.shape != (n,) or (lab is not None and lab.shape != (n,)):
        raise ValueError(f"nms kernel: boxes {b.shape}, order {o.shape} and labels "
                         f"{None if lab is None else lab.shape} do not match")
    keep = np.empty(n, dtype=np.int64)
    n_keep = ffi.new("int64_t *")
    _check(fn(_ptr(f"const {ctype}", b), _ptr("const int64_t", o),
              ffi.NULL if lab is None else _ptr("const int64_t", lab), n, iou_threshold,
              _ptr("int64_t", keep), n_keep), "nms")
    return ember.from_numpy(keep[:n_keep[0]])


_ROI_ALIGN = {ember.float32: ("float", lib.ev_roi_align_f32, lib.ev_roi_align_backward_f32),
              ember.float64: ("double", lib.ev_roi_align_f64, lib.ev_roi_align_backward_f64)}


def roi_align(input: ember.Tensor, rois: ember.Tensor, pooled: tuple[int, int],
              spatial_scale: float, sampling_ratio: int, aligned: bool) -> ember.Tensor:
    """RoIAlign of ``csrc/roi_align.c`` over CPU ``input`` (N, C, H, W) and ``rois`` (K, 5)
    of its dtype; returns (K, C, *pooled). No autograd here (see ``ops.roi_align``)."""
    ctype, fn, _ = _ROI_ALIGN[input.dtype]
    x = np.ascontiguousarray(input.detach().numpy())
    r = np.ascontiguousarray(rois.detach().numpy())
    n, c, h, w = x.shape
    out = np.empty((r.shape[0], c) + tuple(pooled), dtype=x.dtype)
    _check(fn(_ptr(f"const {ctype}", x), _ptr(f"const {ctype}", r), _ptr(ctype, out), n, c, h, w,
              r.shape[0], pooled[0], pooled[1], spatial_scale, sampling_ratio, int(aligned)),
           "roi_align")
    return ember.from_numpy(out)


def roi_align_backward(grad: ember.Tensor, rois: ember.Tensor, input_shape: tuple[int, ...],
                       spatial_scale: float, sampling_ratio: int,
                       aligned: bool) -> ember.Tensor:
    """Gradient of :func:`roi_align` with respect to its input, shaped ``input_shape``."""
    ctype, _, fn = _ROI_ALIGN[grad.dtype]
    g = np.ascontiguousarray(grad.detach().numpy())
    r = np.ascontiguousarray(rois.detach().numpy())
    n, c, h, w = input_shape
    grad_input = np.zeros((n, c, h, w), dtype=g.dtype)
    _check(fn(_ptr(f"const {ctype}", g), _ptr(f"const {ctype}", r), _ptr(ctype, grad_input), n,
              c, h, w, r.shape[0], g.shape[2], g.shape[3], spatial_scale, sampling_ratio,
              int(aligned)), "roi_align_backward")
    return ember.from_numpy(grad_input)


_TO_CHW = {ember.float32: ("float", lib.ev_u8_hwc_to_chw_f32),
           ember.float64: ("double", lib.ev_u8_hwc_to_chw_f64)}


def u8_hwc_to_chw(src, shape: tuple[int, int, int], strides: tuple[int, int, int],
                  dtype: ember.dtype) -> ember.Tensor:
    """ToTensor's conversion (``csrc/convert.c``): the uint8 image ``src`` (a bytes-like
    object holding packed rows, a uint8 ndarray, or a ``const uint8_t *`` to element
    [0, 0, 0]) of ``shape`` (h, w, c), with byte ``strides``, as a new contiguous (c, h, w)
    CPU tensor of ``dtype`` (float32 or float64) holding each value / 255."""
    ctype, fn = _TO_CHW[dtype]
    h, w, c = shape
    out = ember.empty((c, h, w), dtype=dtype, device="cpu")
    if out.numel() == 0:
        return out
    if isinstance(src, ffi.CData):
        ptr = src
    elif isinstance(src, np.ndarray) and not src.flags.c_contiguous:
        # a strided view: C walks the strides from element [0, 0, 0] (``src`` stays alive)
        ptr = ffi.cast("const uint8_t *", src.__array_interface__["data"][0])
    else:
        ptr = ffi.from_buffer("const uint8_t[]", src)
        if len(ptr) < h * w * c:
            raise ValueError(f"to_tensor: {len(ptr)} bytes cannot hold a {h}x{w}x{c} image")
    _check(fn(ptr, h, w, c, *strides, ffi.cast(f"{ctype} *", out.data_ptr()),
              ember.get_num_threads()), "to_tensor")
    return out


# PyCapsule_GetPointer through a prototype of our own (not the shared ctypes.pythonapi
# attribute, whose restype other code may set differently)
_capsule_pointer = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", ctypes.pythonapi))
# modes whose bands are the first bytes of each pixel in Pillow's memory (checked against
# tobytes() in the tests; "LA" keeps its alpha in the fourth byte, "LAB" is packed otherwise)
_PIL_BANDS = {"RGB": 3, "YCbCr": 3, "HSV": 3, "RGBA": 4, "CMYK": 4, "RGBX": 4, "RGBa": 4,
              "L": 1, "P": 1}


def pil_to_chw(pic, dtype: ember.dtype) -> ember.Tensor | None:
    """ToTensor of a PIL image read in place from Pillow's pixel memory, exported through
    the Arrow C data interface (no ``tobytes()`` copy: 500x375 RGB 90 -> 2 us); None where
    the mode is not one of ``_PIL_BANDS`` or Pillow cannot export it (before 11.2, or rows
    in separate memory blocks), and the caller copies the bytes out instead."""
    bands = _PIL_BANDS.get(pic.mode)
    if bands is None:
        return None
    try:
        schema, array = pic.__arrow_c_array__()
    except (AttributeError, ValueError):
        return None
    w, h = pic.size
    data, pixel_bytes = ffi.new("const uint8_t **"), ffi.new("int64_t *")
    if lib.ev_arrow_pixels(ffi.cast("struct ArrowSchema *",
                                    _capsule_pointer(schema, b"arrow_schema")),
                           ffi.cast("struct ArrowArray *", _capsule_pointer(array, b"arrow_array")),
                           w * h, data, pixel_bytes) != lib.EV_OK:
        return None
    step = pixel_bytes[0]
    # the capsules own the export (and release it when collected): they live until C returns
    out = u8_hwc_to_chw(data[0], (h, w, bands), (w * step, step, 1), dtype)
    del schema, array
    return out


_NORMALIZE = {ember.float32: ("float", lib.ev_normalize_f32),
              ember.float64: ("double", lib.ev_normalize_f64)}


def normalize(tensor: ember.Tensor, mean: np.ndarray, std: np.ndarray,
              out: ember.Tensor) -> ember.Tensor:
    """``(tensor - mean[c]) / std[c]`` (``csrc/convert.c``) from the contiguous CPU
    ``tensor`` (..., C, H, W) into the contiguous ``out`` of its shape and dtype (float32
    or float64; ``out`` may be ``tensor``). ``mean`` and ``std`` are contiguous 1-D arrays
    of that dtype holding 1 or C values. No autograd."""
    ctype, fn = _NORMALIZE[tensor.dtype]
    if tensor.numel() == 0:
        return out
    c, h, w = tensor.shape[-3:]
    _check(fn(ffi.cast(f"{ctype} *", tensor.data_ptr()), ffi.cast(f"{ctype} *", out.data_ptr()),
              tensor.numel() // (c * h * w), c, h * w, ffi.from_buffer(f"{ctype}[]", mean),
              mean.size, ffi.from_buffer(f"{ctype}[]", std), std.size,
              ember.get_num_threads()), "normalize")
    return out
