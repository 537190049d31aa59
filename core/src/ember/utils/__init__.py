"""Utilities: data loading (``ember.utils.data``), hook handles (``ember.utils.hooks``),
activation checkpointing (``ember.utils.checkpoint``) and DLPack exchange
(``ember.utils.dlpack``)."""

from . import checkpoint, data, dlpack, hooks  # noqa: F401
