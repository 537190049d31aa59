"""Type aliases for annotating code that takes ember's values, as ``torch.types``.

ember has no symbolic shapes, so the aliases that torch widens with SymInt and its kin
name plain Python numbers here.

Example:
    >>> from ember.types import Device, _size
    >>> def zeros_on(shape: _size, device: Device = None) -> ember.Tensor:
    ...     return ember.zeros(shape, device=device)
"""

from __future__ import annotations

import os
# the builtins under names that ember's own (ember.int, ember.float) cannot shadow
from builtins import bool as _bool  # noqa: F401
from builtins import bytes as _bytes  # noqa: F401
from builtins import complex as _complex  # noqa: F401
from builtins import float as _float  # noqa: F401
from builtins import int as _int  # noqa: F401
from builtins import str as _str  # noqa: F401
from collections.abc import Sequence
from typing import IO, TypeAlias, Union

from ._device import device as _device
from ._dtype import dtype as _dtype  # noqa: F401
from ._tensor import Size, Tensor
from .storage import TypedStorage, UntypedStorage

__all__ = ["Number", "Device", "FileLike", "Storage"]

_TensorOrTensors: TypeAlias = Union[Tensor, Sequence[Tensor]]
_TensorOrOptionalTensors: TypeAlias = Union[Tensor, Sequence[Union[Tensor, None]]]
_size: TypeAlias = Union[Size, list[int], tuple[int, ...]]
IntLikeType: TypeAlias = int
FloatLikeType: TypeAlias = float
BoolLikeType: TypeAlias = bool

Number: TypeAlias = Union[int, float, bool]
# the classes themselves, for isinstance checks
_Number = (int, float, bool)

FileLike: TypeAlias = Union[str, os.PathLike[str], IO[bytes]]
Device: TypeAlias = Union[_device, str, int, None]
# what a tensor's untyped_storage() or the legacy typed view of it gives
Storage: TypeAlias = Union[UntypedStorage, TypedStorage]
