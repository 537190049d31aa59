"""ember-text: tokenizers, vocabularies and text transforms for Ember (torchtext's API).

``embertext.data``, ``embertext.vocab`` and ``embertext.tokenizers`` work without importing
ember; ``embertext.transforms``, ``embertext.functional`` and ``embertext.datasets`` are
loaded on first access.

Example:
    >>> import embertext
    >>> embertext.data.get_tokenizer("basic_english")("Hello, World!")
    ['hello', ',', 'world', '!']
"""

import importlib

from embertext import data, tokenizers, vocab

__version__ = "0.1.0"
__all__ = ["data", "datasets", "functional", "tokenizers", "transforms", "vocab"]

_LAZY = {"transforms", "functional", "datasets"}


def __getattr__(name: str):
    # transforms/functional import ember; keep `import embertext` free of it
    if name in _LAZY:
        return importlib.import_module(f"embertext.{name}")
    raise AttributeError(f"module 'embertext' has no attribute {name!r}")
