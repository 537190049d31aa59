"""ember.amp: automatic mixed precision (autocast regions and loss scaling), as torch.amp.

Example:
    >>> with ember.autocast("cuda", dtype=ember.bfloat16):
    ...     y = model(x)
"""

from .autocast_mode import (autocast, custom_bwd, custom_fwd, get_autocast_dtype,
                            is_autocast_available, is_autocast_enabled)
from .grad_scaler import GradScaler

__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd", "get_autocast_dtype",
           "is_autocast_available", "is_autocast_enabled"]
