"""Detection and layer ops with torchvision's ``ops`` API."""

from .boxes import (batched_nms, box_area, box_convert, box_iou, clip_boxes_to_image,
                    generalized_box_iou, nms, remove_small_boxes)
from .losses import sigmoid_focal_loss, stochastic_depth
from .roi_align import RoIAlign, roi_align
from .roi_pool import RoIPool, roi_pool

__all__ = ["batched_nms", "box_area", "box_convert", "box_iou", "clip_boxes_to_image",
           "generalized_box_iou", "nms", "remove_small_boxes", "RoIAlign", "roi_align", "RoIPool",
           "roi_pool", "sigmoid_focal_loss", "stochastic_depth"]


def __getattr__(name: str):
    # The layer modules need ember.nn; load them on first use.
    if name in ("StochasticDepth", "MLP", "Conv2dNormActivation", "Conv3dNormActivation",
                "SqueezeExcitation"):
        from . import misc
        return getattr(misc, name)
    if name in ("FeaturePyramidNetwork", "ExtraFPNBlock", "LastLevelMaxPool", "LastLevelP6P7"):
        from . import feature_pyramid_network
        return getattr(feature_pyramid_network, name)
    raise AttributeError(f"module 'embervision.ops' has no attribute {name!r}")
