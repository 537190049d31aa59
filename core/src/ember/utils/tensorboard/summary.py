"""Builders of ``tensorboard.Summary`` messages, as serialized bytes (the counterparts of
``torch.utils.tensorboard.summary``'s functions, which return protobuf objects).

Give the result to ``SummaryWriter.file_writer.add_summary``.

Example:
    >>> data = scalar("loss", 0.5)
    >>> isinstance(data, bytes)
    True
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import numpy as np

from . import _proto as pb

# numpy here only converts and bins logged values: this is interop, not an op's hot path.


def make_np(x: Any) -> np.ndarray:
    """values (an ember Tensor, a numpy array, a Python number or list) as a numpy array."""
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # an ember (or torch) tensor
        return np.asarray(x.detach().cpu().numpy())
    if isinstance(x, (int, float, bool, np.generic)):
        return np.array([x])
    return np.asarray(x)


def _value(tag: str, *, metadata: bytes | None = None, simple_value: float | None = None,
           image: bytes | None = None, histo: bytes | None = None,
           tensor: bytes | None = None) -> bytes:
    """A Summary with one Summary.Value (tag 1, simple_value 2, image 4, histo 5, tensor 8,
    metadata 9)."""
    v = pb.string(1, tag)
    if simple_value is not None:
        v += pb.float32(2, simple_value, always=True)
    if image is not None:
        v += pb.message(4, image)
    if histo is not None:
        v += pb.message(5, histo)
    if tensor is not None:
        v += pb.message(8, tensor)
    if metadata is not None:
        v += pb.message(9, metadata)
    return pb.message(1, v)


def _metadata(plugin_name: str, content: bytes = b"") -> bytes:
    """SummaryMetadata{plugin_data: PluginData{plugin_name, content}}."""
    return pb.message(1, pb.string(1, plugin_name) + pb.length_delimited(2, content))


# TensorProto dtypes (tensorflow/core/framework/types.proto)
_DT_FLOAT, _DT_DOUBLE, _DT_STRING = 1, 2, 7


def scalar(name: str, tensor: Any, collections: Any = None, new_style: bool = False,
           double_precision: bool = False) -> bytes:
    """A scalar summary: ``simple_value``, or with ``new_style`` a 0-d tensor under the
    "scalars" plugin (float32, or float64 with ``double_precision``)."""
    arr = make_np(tensor).squeeze()
    if arr.ndim != 0:
        raise AssertionError(f"Tensor should contain one element (0 dimensions). Was given "
                             f"size: {arr.size} and {arr.ndim} dimensions.")
    value = float(arr)
    if not new_style:
        return _value(name, simple_value=value)
    if double_precision:
        proto = pb.varint(1, _DT_DOUBLE) + pb.packed_doubles(6, [value])
    else:
        proto = pb.varint(1, _DT_FLOAT) + pb.packed_floats(5, [value])
    return _value(name, tensor=proto, metadata=_metadata("scalars"))


def default_bins() -> list[float]:
    """TensorFlow's histogram bucket edges: ±1e-12 growing by 10% up to 1e20, and 0."""
    pos = []
    v = 1e-12
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    return [-x for x in reversed(pos)] + [0.0] + pos


def make_histogram(values: np.ndarray, bins: Any, max_bins: int | None = None) -> bytes:
    """A HistogramProto: counts per bucket, written as TensorBoard expects (right edges only,
    empty buckets at both ends dropped, one empty bucket kept on the left so that the
    leftmost edge survives)."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.size == 0:
        raise ValueError("The input has no element.")
    counts, edges = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        # merge groups of len // max_bins adjacent buckets (as torch: the result may keep a
        # few more than max_bins), padding the last group with empty ones
        group = len(counts) // max_bins
        pad = -len(counts) % group
        counts = np.pad(counts, (0, pad)).reshape(-1, group).sum(axis=1)
        edges = np.concatenate([edges[:-1:group], edges[-1:]])
    nonzero = np.flatnonzero(counts)
    first, last = int(nonzero[0]), int(nonzero[-1])
    if first > 0:
        counts, limits = counts[first - 1:last + 1], edges[first:last + 2]
    else:
        counts, limits = np.concatenate([[0], counts[:last + 1]]), edges[:last + 2]
    return (pb.double(1, float(values.min())) + pb.double(2, float(values.max()))
            + pb.double(3, float(values.size)) + pb.double(4, float(values.sum()))
            + pb.double(5, float(values.dot(values)))
            + pb.packed_doubles(6, limits.tolist()) + pb.packed_doubles(7, counts.tolist()))


def histogram(name: str, values: Any, bins: Any, max_bins: int | None = None) -> bytes:
    """A histogram summary of values (any shape) over bins (edges, a count, or a numpy
    binning rule such as ``"auto"``)."""
    return _value(name, histo=make_histogram(make_np(values), bins, max_bins))


def text(tag: str, text: str) -> bytes:
    """A text summary (tag ``<tag>/text_summary``, a 1-element string tensor, "text" plugin)."""
    proto = (pb.varint(1, _DT_STRING) + pb.message(2, pb.message(2, pb.varint(1, 1)))
             + pb.length_delimited(8, text.encode("utf-8"), keep_empty=True))
    return _value(tag + "/text_summary", tensor=proto, metadata=_metadata("text"))


def _png(hwc: np.ndarray) -> bytes:
    """PNG bytes of an HxWxC uint8 image (C = 1, 3 or 4), unfiltered rows in one zlib stream."""
    h, w, c = hwc.shape
    color_type = {1: 0, 3: 2, 4: 6}[c]

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    rows = np.concatenate([np.zeros((h, 1), np.uint8), hwc.reshape(h, w * c)], axis=1)
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))


def _grid(batch: np.ndarray, ncols: int = 8) -> np.ndarray:
    """(N, C, H, W) images -> one (C, rows*H, cols*W) image, row by row, empty cells black;
    one channel becomes three."""
    if batch.shape[1] == 1:
        batch = np.concatenate([batch] * 3, axis=1)
    n, c, h, w = batch.shape
    cols = max(1, min(n, ncols))
    rows = -(-n // cols)
    cells = np.zeros((rows * cols, c, h, w), dtype=batch.dtype)
    cells[:n] = batch
    return cells.reshape(rows, cols, c, h, w).transpose(2, 0, 3, 1, 4).reshape(c, rows * h,
                                                                              cols * w)


def _to_hwc(arr: np.ndarray, dataformats: str) -> np.ndarray:
    fmt = dataformats.upper()
    if len(set(fmt)) != len(fmt):
        raise AssertionError(f"You can not use the same dimension shorthand twice. "
                             f"input_format: {dataformats}")
    if arr.ndim != len(fmt):
        raise AssertionError(f"size of input tensor and input format are different. tensor "
                             f"shape: {arr.shape}, input_format: {dataformats}")
    if fmt not in ("HW", "WH") and set(fmt) != set("CHW") and set(fmt) != set("NCHW"):
        raise ValueError(f"dataformats must be a permutation of 'CHW', 'NCHW' or 'HW', got "
                         f"{dataformats!r}")
    if len(fmt) == 2:
        hw = arr.transpose([fmt.index("H"), fmt.index("W")])
        return np.stack([hw] * 3, axis=2)
    if len(fmt) == 4:  # a batch: tiled into one grid image, 8 to a row, as torch does
        return _grid(arr.transpose([fmt.index(c) for c in "NCHW"])).transpose(1, 2, 0)
    hwc = arr.transpose([fmt.index(c) for c in "HWC"])
    return np.concatenate([hwc] * 3, axis=2) if hwc.shape[2] == 1 else hwc


def image(tag: str, tensor: Any, rescale: float = 1, dataformats: str = "CHW") -> bytes:
    """An image summary (PNG). Float images are in [0, 1]; uint8 images in [0, 255]."""
    if rescale != 1:
        raise NotImplementedError("image(rescale != 1) is not supported")
    arr = make_np(tensor)
    hwc = _to_hwc(arr, dataformats)
    if hwc.shape[2] not in (3, 4):
        raise ValueError(f"an image needs 1, 3 or 4 channels, got {hwc.shape[2]}")
    scale = 1 if arr.dtype == np.uint8 else 255
    pixels = (hwc.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    h, w, c = pixels.shape
    img = (pb.varint(1, h) + pb.varint(2, w) + pb.varint(3, c)
           + pb.length_delimited(4, _png(pixels)))
    return _value(tag, image=img)


# ----------------------------------------------------------------------------- hparams
_PLUGIN_HPARAMS = "hparams"
_EXPERIMENT_TAG = "_hparams_/experiment"
_SESSION_START_INFO_TAG = "_hparams_/session_start_info"
_SESSION_END_INFO_TAG = "_hparams_/session_end_info"
_DATA_TYPE_STRING, _DATA_TYPE_FLOAT64 = 1, 3
_STATUS_SUCCESS = 1


def _struct_value(v: Any) -> bytes:
    """google.protobuf.Value: number_value 2 or string_value 3 (a oneof). As in torch,
    booleans are ints, so they are written as numbers."""
    if isinstance(v, str):
        return pb.string(3, v, always=True)
    return pb.double(2, float(v), always=True)


def hparams(hparam_dict: dict[str, Any], metric_dict: dict[str, Any],
            hparam_domain_discrete: dict[str, list] | None = None
            ) -> tuple[bytes, bytes, bytes]:
    """The three summaries of TensorBoard's hparams plugin: the experiment (the names of
    hyperparameters and metrics), the session start info (the values) and the session end
    info (status success). Values are int, float, str, bool or 1-element tensors; None
    values are left out."""
    if not isinstance(hparam_dict, dict):
        raise TypeError("parameter: hparam_dict should be a dictionary, nothing logged.")
    if not isinstance(metric_dict, dict):
        raise TypeError("parameter: metric_dict should be a dictionary, nothing logged.")
    domains = hparam_domain_discrete or {}
    if not isinstance(domains, dict):
        raise TypeError("parameter: hparam_domain_discrete should be a dictionary, "
                        "nothing logged.")
    for k, v in domains.items():
        if (k not in hparam_dict or not isinstance(v, list)
                or not all(isinstance(d, type(hparam_dict[k])) for d in v)):
            raise TypeError(f"parameter: hparam_domain_discrete[{k}] should be a list of same "
                            f"type as hparam_dict[{k}].")
    infos, start_values = [], []
    for k, v in hparam_dict.items():
        if v is None:
            continue
        # as torch's: bool is an int, so booleans are logged as numbers (DATA_TYPE_FLOAT64)
        if isinstance(v, (int, float)):
            kind = _DATA_TYPE_FLOAT64
        elif isinstance(v, str):
            kind = _DATA_TYPE_STRING
        elif hasattr(v, "detach"):
            v, kind = float(make_np(v).reshape(-1)[0]), _DATA_TYPE_FLOAT64
        else:
            raise ValueError("value should be one of int, float, str, bool, or ember.Tensor")
        start_values.append(pb.message(1, pb.string(1, k) + pb.message(2, _struct_value(v))))
        info = pb.string(1, k) + pb.varint(4, kind)
        if k in domains:
            items = b"".join(pb.message(1, _struct_value(d)) for d in domains[k])
            info += pb.message(5, items)
        infos.append(pb.message(4, info))
    metrics = [pb.message(5, pb.message(1, pb.string(2, k))) for k in metric_dict]

    def plugin_summary(tag: str, field: int, body: bytes) -> bytes:
        content = pb.message(field, body)  # HParamsPluginData{version 0, <field>: body}
        return _value(tag, metadata=_metadata(_PLUGIN_HPARAMS, content))

    exp = plugin_summary(_EXPERIMENT_TAG, 2, b"".join(infos) + b"".join(metrics))
    ssi = plugin_summary(_SESSION_START_INFO_TAG, 3, b"".join(start_values))
    sei = plugin_summary(_SESSION_END_INFO_TAG, 4, pb.varint(1, _STATUS_SUCCESS))
    return exp, ssi, sei
