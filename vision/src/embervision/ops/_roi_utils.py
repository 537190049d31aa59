"""Shared argument handling of the RoI ops (boxes as Tensor[K, 5] or a list of Tensor[L, 4])."""

from __future__ import annotations

import ember


def check_roi_boxes_shape(boxes: ember.Tensor | list[ember.Tensor]) -> None:
    """Raise as torchvision does when ``boxes`` is neither Tensor[K, 5] nor a list of [L, 4]."""
    if isinstance(boxes, (list, tuple)):
        for box in boxes:
            if not isinstance(box, ember.Tensor) or box.ndim != 2 or box.shape[1] != 4:
                raise AssertionError("The shape of the tensor in the boxes list is not correct "
                                     "as List[Tensor[L, 4]]")
    elif isinstance(boxes, ember.Tensor):
        if boxes.ndim != 2 or boxes.shape[1] != 5:
            raise AssertionError("The boxes tensor shape is not correct as Tensor[K, 5]")
    else:
        raise AssertionError("boxes is expected to be a Tensor[L, 5] or a List[Tensor[K, 4]]")


def convert_boxes_to_roi_format(boxes: list[ember.Tensor]) -> ember.Tensor:
    """Concatenate per-image (L, 4) boxes into (K, 5) rows ``[image_index, x1, y1, x2, y2]``."""
    concat = ember.cat(list(boxes), dim=0)
    ids = ember.cat([ember.full_like(b[:, :1], i) for i, b in enumerate(boxes)], dim=0)
    return ember.cat([ids, concat], dim=1)


def rois_of(input: ember.Tensor, boxes: ember.Tensor | list[ember.Tensor]) -> ember.Tensor:
    """Validated (K, 5) rois in ``input``'s dtype, detached (torchvision gives boxes no grad)."""
    check_roi_boxes_shape(boxes)
    if input.ndim != 4:
        raise ValueError(f"Expected input of shape (N, C, H, W), got {tuple(input.shape)}")
    rois = boxes if isinstance(boxes, ember.Tensor) else convert_boxes_to_roi_format(boxes)
    if rois.device != input.device:
        raise RuntimeError(f"Expected input and rois on the same device, got {input.device} "
                           f"and {rois.device}")
    return rois.detach().to(input.dtype)


def pair(size: int | tuple[int, int] | list[int]) -> tuple[int, int]:
    if isinstance(size, int):
        return size, size
    size = tuple(size)
    return (size[0], size[0]) if len(size) == 1 else (int(size[0]), int(size[1]))
