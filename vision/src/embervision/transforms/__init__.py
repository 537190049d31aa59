"""Image transforms with torchvision's API (``embervision.transforms``)."""

from . import functional
from .functional import InterpolationMode
from .transforms import *  # noqa: F403
from .transforms import (
                         CenterCrop,
                         ColorJitter,
                         Compose,
                         ConvertImageDtype,
                         FiveCrop,
                         GaussianBlur,
                         Grayscale,
                         Lambda,
                         Normalize,
                         Pad,
                         PILToTensor,
                         RandomAdjustSharpness,
                         RandomAffine,
                         RandomApply,
                         RandomAutocontrast,
                         RandomChoice,
                         RandomCrop,
                         RandomEqualize,
                         RandomErasing,
                         RandomGrayscale,
                         RandomHorizontalFlip,
                         RandomInvert,
                         RandomOrder,
                         RandomPosterize,
                         RandomResizedCrop,
                         RandomRotation,
                         RandomSolarize,
                         RandomVerticalFlip,
                         Resize,
                         TenCrop,
                         ToPILImage,
                         ToTensor,
)
