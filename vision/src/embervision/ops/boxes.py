"""Box utilities: areas, IoUs, format conversion, NMS.

Boxes are (N, 4) tensors in (x1, y1, x2, y2) format unless a function says otherwise.

Example:
    >>> import ember
    >>> from embervision.ops import box_iou
    >>> a = ember.tensor([[0., 0., 2., 2.]])
    >>> box_iou(a, ember.tensor([[1., 1., 3., 3.]])).tolist()
    [[0.1428571492433548]]
"""

from __future__ import annotations

import numbers

import ember

from embervision import _native


# nms's dtypes per device: torchvision's CPU kernel takes float32/float64, its CUDA kernel half too
_NMS_DTYPES = {"cpu": (ember.float32, ember.float64),
               "cuda": (ember.float16, ember.float32, ember.float64)}


def _check_boxes(boxes: ember.Tensor, name: str = "boxes") -> None:
    if not isinstance(boxes, ember.Tensor):
        raise TypeError(f"{name} should be a Tensor, got {type(boxes)}")
    if boxes.ndim != 2 or boxes.shape[-1] != 4:
        raise ValueError(f"{name} should have shape (N, 4), got {tuple(boxes.shape)}")


def _upcast(t: ember.Tensor) -> ember.Tensor:
    # Integer boxes would overflow in products; floats below 32 bits lose precision.
    if t.dtype.is_floating_point:
        return t if t.dtype in (ember.float32, ember.float64) else t.float()
    return t if t.dtype in (ember.int32, ember.int64) else t.int()


def box_area(boxes: ember.Tensor) -> ember.Tensor:
    """Areas (x2 - x1) * (y2 - y1) of (N, 4) boxes."""
    _check_boxes(boxes)
    boxes = _upcast(boxes)
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _inter_union(boxes1: ember.Tensor, boxes2: ember.Tensor):
    area1, area2 = box_area(boxes1), box_area(boxes2)
    lt = ember.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = ember.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh = _upcast(rb - lt).clamp(min=0)
    inter = wh[:, :, 0] * wh[:, :, 1]
    union = area1[:, None] + area2[None, :] - inter
    return inter, union


def box_iou(boxes1: ember.Tensor, boxes2: ember.Tensor) -> ember.Tensor:
    """Pairwise intersection-over-union, (N, M)."""
    _check_boxes(boxes1, "boxes1")
    _check_boxes(boxes2, "boxes2")
    inter, union = _inter_union(boxes1, boxes2)
    return inter / union


def generalized_box_iou(boxes1: ember.Tensor, boxes2: ember.Tensor) -> ember.Tensor:
    """Pairwise generalized IoU (Rezatofighi et al., 2019), (N, M), in [-1, 1]."""
    _check_boxes(boxes1, "boxes1")
    _check_boxes(boxes2, "boxes2")
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / union
    lt = ember.minimum(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = ember.maximum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh = _upcast(rb - lt).clamp(min=0)
    hull = wh[:, :, 0] * wh[:, :, 1]
    return iou - (hull - union) / hull


def box_convert(boxes: ember.Tensor, in_fmt: str, out_fmt: str) -> ember.Tensor:
    """Convert between ``xyxy``, ``xywh`` (x, y, w, h) and ``cxcywh`` (centre, w, h)."""
    allowed = ("xyxy", "xywh", "cxcywh")
    if in_fmt not in allowed or out_fmt not in allowed:
        raise ValueError("Unsupported Bounding Box Conversions for given in_fmt and out_fmt")
    if in_fmt == out_fmt:
        return boxes.clone()
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "xywh":
        a, b, c, d = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        a, b, c, d = a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d
    if out_fmt == "xywh":
        return ember.stack((a, b, c - a, d - b), dim=-1)
    if out_fmt == "cxcywh":
        return ember.stack(((a + c) / 2, (b + d) / 2, c - a, d - b), dim=-1)
    return ember.stack((a, b, c, d), dim=-1)


def clip_boxes_to_image(boxes: ember.Tensor, size: tuple[int, int]) -> ember.Tensor:
    """Clamp (..., 4) boxes to an image of ``size`` = (height, width)."""
    height, width = size
    x = boxes[..., 0::2].clamp(min=0, max=width)
    y = boxes[..., 1::2].clamp(min=0, max=height)
    return ember.stack((x, y), dim=boxes.ndim).reshape(boxes.shape)


def remove_small_boxes(boxes: ember.Tensor, min_size: float) -> ember.Tensor:
    """Indices of the boxes whose sides are both at least ``min_size``."""
    ws, hs = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    keep = (ws >= min_size) & (hs >= min_size)
    return ember.nonzero(keep).reshape(-1)


def _check_nms_args(boxes: ember.Tensor, scores: ember.Tensor, iou_threshold: float) -> None:
    # torchvision's C++ operator raises RuntimeError for all of these; same messages.
    if not isinstance(boxes, ember.Tensor) or not isinstance(scores, ember.Tensor):
        raise TypeError(f"boxes and scores should be Tensors, got {type(boxes).__name__} and "
                        f"{type(scores).__name__}")
    if boxes.ndim != 2:
        raise RuntimeError(f"boxes should be a 2d tensor, got {boxes.ndim}D")
    if boxes.shape[1] != 4:
        raise RuntimeError(f"boxes should have 4 elements in dimension 1, got {boxes.shape[1]}")
    if scores.ndim != 1:
        raise RuntimeError(f"scores should be a 1d tensor, got {scores.ndim}D")
    if boxes.shape[0] != scores.shape[0]:
        raise RuntimeError("boxes and scores should have same number of elements in dimension 0, "
                           f"got {boxes.shape[0]} and {scores.shape[0]}")
    if boxes.device != scores.device:
        raise RuntimeError(f"boxes and scores should be on the same device, got {boxes.device} "
                           f"and {scores.device}")
    if boxes.dtype != scores.dtype:
        raise RuntimeError(f"dets should have the same type as scores, got {boxes.dtype} and "
                           f"{scores.dtype}")
    if not isinstance(iou_threshold, numbers.Real):
        raise RuntimeError("nms() Expected a value of type 'float' for argument 'iou_threshold' "
                           f"but instead found type '{type(iou_threshold).__name__}'.")
    allowed = _NMS_DTYPES[boxes.device.type]
    if boxes.dtype not in allowed:
        raise RuntimeError(f"nms is not implemented for {boxes.dtype} on {boxes.device.type} "
                           f"(supported: {', '.join(str(d) for d in allowed)})")


def nms(boxes: ember.Tensor, scores: ember.Tensor, iou_threshold: float) -> ember.Tensor:
    """Greedy non-maximum suppression; returns kept indices by decreasing score (int64).

    Boxes are visited by decreasing score (ties: lower index first); a box is dropped when
    its IoU with an already kept box is > ``iou_threshold``. CPU tensors run the C kernel of
    ``csrc/nms.c``; CUDA tensors stay on the GPU (ember ops).

    Example:
        >>> boxes = ember.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]])
        >>> nms(boxes, ember.tensor([0.9, 0.8, 0.7]), 0.5).tolist()
        [0, 2]
    """
    _check_nms_args(boxes, scores, iou_threshold)
    if boxes.shape[0] == 0:
        return ember.zeros(0, dtype=ember.int64, device=boxes.device)
    order = ember.argsort(scores.detach(), descending=True, stable=True)
    if boxes.device.type == "cpu":
        return _native.nms(boxes, order, None, float(iou_threshold))
    return _nms_ember(boxes.detach(), order, iou_threshold)


def _nms_ember(boxes: ember.Tensor, order: ember.Tensor, iou_threshold: float) -> ember.Tensor:
    """NMS from ember ops on ``boxes``' own device (the CUDA path)."""
    n = boxes.shape[0]
    sorted_boxes = boxes[order]
    # One pairwise IoU matrix, then a greedy pass: each kept box suppresses the later
    # boxes that overlap it too much (one vector op per kept box).
    over = (box_iou(sorted_boxes, sorted_boxes) > iou_threshold).triu(1)
    removed = ember.zeros(n, dtype=ember.bool, device=boxes.device)
    keep = []
    for i in range(n):
        if bool(removed[i]):
            continue
        keep.append(i)
        removed = removed | over[i]
    return order[ember.tensor(keep, dtype=ember.int64, device=boxes.device)]


def batched_nms(boxes: ember.Tensor, scores: ember.Tensor, idxs: ember.Tensor,
                iou_threshold: float) -> ember.Tensor:
    """NMS done independently per category ``idxs``; kept indices by decreasing score.

    As torchvision does, up to 1000 boxes on the CPU (4000 coordinates) are shifted by
    category so that boxes of different categories do not overlap, and go through one
    :func:`nms` (so the IoUs, and the kept sets, are computed from the same shifted
    coordinates); more boxes go through the C kernel with the categories, which only
    compares boxes of one category (torchvision's per-category loop), in one pass.

    Example:
        >>> boxes = ember.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [1., 1., 10., 10.]])
        >>> batched_nms(boxes, ember.tensor([0.9, 0.8, 0.7]), ember.tensor([0, 0, 1]), 0.5).tolist()
        [0, 2]
    """
    _check_nms_args(boxes, scores, iou_threshold)
    if not isinstance(idxs, ember.Tensor):
        raise TypeError(f"idxs should be a Tensor, got {type(idxs).__name__}")
    if idxs.ndim != 1 or idxs.shape[0] != boxes.shape[0]:
        raise RuntimeError(f"idxs should have shape ({boxes.shape[0]},) like the boxes, got "
                           f"{tuple(idxs.shape)}")
    if idxs.device != boxes.device:
        raise RuntimeError(f"idxs should be on the device of the boxes ({boxes.device}), got "
                           f"{idxs.device}")
    if boxes.shape[0] == 0:
        return ember.zeros(0, dtype=ember.int64, device=boxes.device)
    if boxes.device.type == "cpu" and boxes.numel() > 4000:
        if idxs.dtype.is_floating_point:
            # categories are the distinct values (as torch.unique sees them), not their floors
            idxs = ember.unique(idxs, return_inverse=True)[1]
        order = ember.argsort(scores.detach(), descending=True, stable=True)
        return _native.nms(boxes, order, idxs.to(ember.int64), float(iou_threshold))
    boxes = boxes.detach()
    max_coordinate = boxes.max()
    offsets = idxs.to(boxes.dtype) * (max_coordinate + 1)
    return nms(boxes + offsets[:, None], scores, iou_threshold)
