"""ember.amp: automatic mixed precision (autocast regions and loss scaling), as torch.amp.

Example:
    >>> with ember.autocast("cuda", dtype=ember.bfloat16):
    ...     y = model(x)
"""

from .autocast_mode import autocast, get_autocast_dtype, is_autocast_enabled
from .grad_scaler import GradScaler

__all__ = ["GradScaler", "autocast", "get_autocast_dtype", "is_autocast_enabled"]
