"""Utilities: hook handles (``ember.utils.hooks``) and data loading (``ember.utils.data``)."""

from . import hooks  # noqa: F401
