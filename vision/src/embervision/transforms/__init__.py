"""Image transforms with torchvision's API (``embervision.transforms``)."""

from . import autoaugment, functional
from .autoaugment import AugMix, AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide
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
                         RandomPerspective,
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
