"""The weights API: ``Weights``, ``WeightsEnum`` and the model registry.

Example:
    >>> from embervision import models
    >>> "resnet18" in models.list_models()
    True
    >>> models.get_weight("ResNet18_Weights.IMAGENET1K_V1").meta["num_params"]
    11689512
"""

from __future__ import annotations

import fnmatch
import functools
import inspect
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

_CATEGORIES_FILE = Path(__file__).with_name("imagenet_categories.txt")


@functools.lru_cache(maxsize=1)
def _imagenet_categories() -> tuple[str, ...]:
    return tuple(_CATEGORIES_FILE.read_text(encoding="utf-8").splitlines())


def imagenet_categories() -> list[str]:
    """A fresh list of the 1000 ImageNet-1k class names, in class-index order."""
    return list(_imagenet_categories())


@dataclass(eq=False)
class Weights:
    """A checkpoint: where it lives, the preprocessing it expects, and its metadata."""

    url: str
    transforms: Callable
    meta: dict[str, Any] = field(default_factory=dict)


class WeightsEnum(Enum):
    """Base of ``<Model>_Weights`` enums; members hold ``Weights``."""

    @classmethod
    def verify(cls, obj: Any) -> Any:
        """Accept a member, its name (``"IMAGENET1K_V1"`` or ``"Enum.NAME"``) or None."""
        if obj is None:
            return None
        if isinstance(obj, str):
            key = obj.replace(cls.__name__ + ".", "")
            try:
                return cls[key]
            except KeyError:
                raise ValueError(f"Unknown weights '{obj}' for {cls.__name__}; choose from "
                                 f"{[m for m in cls.__members__]}") from None
        if not isinstance(obj, cls):
            raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but "
                            f"received {obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, *args: Any, **kwargs: Any) -> dict:
        """Download (or read from the hub cache) and load the checkpoint."""
        import ember.hub

        return ember.hub.load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self) -> str:
        return self.value.url

    @property
    def transforms(self) -> Callable:
        return self.value.transforms

    @property
    def meta(self) -> dict[str, Any]:
        return self.value.meta


BUILTIN_MODELS: dict[str, Callable] = {}
_WEIGHTS: dict[str, type[WeightsEnum]] = {}


def register_model(name: str | None = None) -> Callable[[Callable], Callable]:
    """Decorator adding a model builder to the registry under ``name`` (or its own name)."""

    def wrapper(fn: Callable) -> Callable:
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        annotation = inspect.signature(fn).parameters.get("weights")
        enum = getattr(fn, "_weights_enum", None) or (annotation and annotation.default)
        if isinstance(enum, type) and issubclass(enum, WeightsEnum):
            _WEIGHTS[key] = enum
        return fn

    return wrapper


def list_models(module: Any = None, include: str | Iterable[str] | None = None,
                exclude: str | Iterable[str] | None = None) -> list[str]:
    """Sorted names of the registered models, filtered by fnmatch patterns."""
    names = set(BUILTIN_MODELS)
    if module is not None:
        names = {k for k, v in BUILTIN_MODELS.items()
                 if v.__module__.rsplit(".", 1)[0] == module.__name__
                 or v.__module__ == module.__name__}
    if include:
        patterns = [include] if isinstance(include, str) else include
        names = {n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)}
    if exclude:
        patterns = [exclude] if isinstance(exclude, str) else exclude
        names = {n for n in names if not any(fnmatch.fnmatch(n, p) for p in patterns)}
    return sorted(names)


def get_model_builder(name: str) -> Callable:
    """The builder function registered as ``name``."""
    name = name.lower()
    try:
        return BUILTIN_MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown model {name}") from None


def get_model(name: str, **config: Any) -> Any:
    """Build a registered model: ``get_model("resnet18", weights=None, num_classes=10)``."""
    return get_model_builder(name)(**config)


def get_model_weights(name: str | Callable) -> type[WeightsEnum]:
    """The weights enum of a model, given its name or its builder."""
    if callable(name):
        name = next((k for k, v in BUILTIN_MODELS.items() if v is name), None) or name.__name__
    key = name.lower()
    if key not in BUILTIN_MODELS:
        raise ValueError(f"Unknown model {name}")
    if key not in _WEIGHTS:
        raise ValueError(f"The model {name} has no weights enum")
    return _WEIGHTS[key]


def get_weight(name: str) -> WeightsEnum:
    """A weights member from its full name, e.g. ``"ResNet50_Weights.IMAGENET1K_V2"``."""
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    for enum in _WEIGHTS.values():
        if enum.__name__ == enum_name:
            return enum[value_name]
    raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be "
                     "retrieved.")


def weights_param(enum: type[WeightsEnum], legacy_default: str | None):
    """Decorate a builder: record its weights enum and accept the legacy ``pretrained=``.

    ``pretrained=True`` warns (as torchvision does since 0.13) and means
    ``weights=<enum>.<legacy_default>``; ``pretrained=False`` means ``weights=None``.
    """

    def decorator(builder: Callable) -> Callable:
        @functools.wraps(builder)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if args:
                # Old positional call: builder(True) meant pretrained=True.
                if len(args) > 1 or "pretrained" in kwargs or "weights" in kwargs:
                    raise TypeError(f"{builder.__name__}() takes keyword arguments only")
                kwargs["weights"] = args[0]
            weights = kwargs.get("weights")
            if "pretrained" in kwargs or isinstance(weights, bool):
                positional = "pretrained" not in kwargs
                pretrained = kwargs.pop("pretrained") if not positional else kwargs.pop("weights")
                if pretrained:
                    if legacy_default is None:
                        raise ValueError(f"No weights available for model {builder.__name__}")
                    default = enum[legacy_default]
                else:
                    default = None
                if not positional:
                    warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be "
                                  "removed in the future, please use 'weights' instead.",
                                  UserWarning, stacklevel=2)
                msg = ("Arguments other than a weight enum or `None` for 'weights' are deprecated "
                       "since 0.13 and may be removed in the future. The current behavior is "
                       f"equivalent to passing `weights={default}`.")
                if pretrained:
                    msg += (" You can also use `weights="
                            f"{enum.__name__}.DEFAULT` to get the most up-to-date weights.")
                warnings.warn(msg, UserWarning, stacklevel=2)
                kwargs["weights"] = default
            return builder(**kwargs)

        wrapper._weights_enum = enum
        return wrapper

    return decorator


def overwrite_named_param(kwargs: dict[str, Any], param: str, new_value: Any) -> None:
    """Set ``kwargs[param]``, refusing a conflicting value the user passed."""
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got "
                             f"{kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """Round ``v`` to a multiple of ``divisor``, never going below 90% of ``v``."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def load_weights(model: Any, weights: WeightsEnum | None, progress: bool) -> Any:
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model
