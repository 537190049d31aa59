"""ember-vision: datasets, transforms, image I/O, ops and models for Ember with torchvision's API.

Example:
    >>> import embervision
    >>> from embervision import transforms
    >>> transforms.CenterCrop(2)
    CenterCrop(size=(2, 2))
"""

from . import datasets, io, ops, transforms, utils

__version__ = "0.1.0"


def __getattr__(name: str):
    # models needs ember.nn; import it on first use so the rest works without it.
    if name == "models":
        import importlib
        return importlib.import_module(".models", __name__)
    raise AttributeError(f"module 'embervision' has no attribute {name!r}")
