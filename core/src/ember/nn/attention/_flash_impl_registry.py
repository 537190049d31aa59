"""The registry of alternative flash-attention implementations (torch.nn.attention's
``register_flash_attention_impl`` and its siblings).

A provider registers a callable under a name; activating the name calls it, and a handle
it returns (anything with ``remove()``) is kept until the next activation or a restore.
Torch lists "FA3" and "FA4" out of the box; ember lists them too, but ember's attention has
no dispatcher for foreign kernels to plug into, so activating either fails: with
ModuleNotFoundError where the flash_attn package is missing (as torch), else RuntimeError.

Example:
    >>> from ember.nn import attention
    >>> attention.list_flash_attention_impls()
    ['FA3', 'FA4']
    >>> attention.current_flash_attention_impl() is None
    True
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

_log = logging.getLogger(__name__)

_register_fns: dict[str, Callable[..., Any]] = {}
# (name, handle) of the implementation activated last, while its handle is held
_active: tuple[str, Any] | None = None


def _foreign_kernels(name: str, module_path: str) -> Callable[[], None]:
    """The register callable of one of torch's built-in names: finds the provider's module
    as torch does, then refuses, since ember cannot route attention to its kernels."""

    def register() -> None:
        importlib.import_module(module_path)
        raise RuntimeError(f"ember cannot use the {name} flash attention kernels of "
                           f"'{module_path}': its attention runs on its own kernels only")

    return register


def register_flash_attention_impl(impl: str, *, register_fn: Callable[..., Any]) -> None:
    """Makes ``impl`` activatable: ``activate_flash_attention_impl(impl)`` will call
    ``register_fn()``, replacing whatever was registered under that name.

    Example:
        >>> register_flash_attention_impl("Mine", register_fn=lambda: None)
        >>> "Mine" in list_flash_attention_impls()
        True
    """
    _register_fns[impl] = register_fn


def activate_flash_attention_impl(impl: str) -> None:
    """Restores the default, then calls the callable registered under ``impl``; a handle it
    returns makes ``impl`` the current implementation. Unknown names raise ValueError.

    Example:
        >>> register_flash_attention_impl("Mine", register_fn=lambda: None)
        >>> activate_flash_attention_impl("Mine")
    """
    global _active
    restore_flash_attention_impl(_raise_warn=False)
    register_fn = _register_fns.get(impl)
    if register_fn is None:
        raise ValueError(f"Unknown flash attention impl '{impl}'. "
                         f"Available implementations: {list_flash_attention_impls()}")
    handle = register_fn()
    if handle is not None:
        _active = (impl, handle)


def list_flash_attention_impls() -> list[str]:
    """The registered names, sorted.

    Example:
        >>> list_flash_attention_impls()[:2]
        ['FA3', 'FA4']
    """
    return sorted(_register_fns)


def current_flash_attention_impl() -> str | None:
    """The name whose handle is held, or None while the default kernels are in use.

    Example:
        >>> current_flash_attention_impl() is None
        True
    """
    return None if _active is None else _active[0]


def restore_flash_attention_impl(_raise_warn: bool = True) -> None:
    """Goes back to the default kernels, calling ``remove()`` on the held handle; logs a
    warning when nothing was active.

    Example:
        >>> restore_flash_attention_impl(_raise_warn=False)
    """
    global _active
    if _active is not None:
        _active[1].remove()
    elif _raise_warn:
        _log.warning("Trying to restore default FA2 impl when no custom impl was activated")
    _active = None


register_flash_attention_impl("FA3", register_fn=_foreign_kernels("FA3", "flash_attn_interface"))
register_flash_attention_impl("FA4", register_fn=_foreign_kernels("FA4",
                                                                  "flash_attn.cute.interface"))
