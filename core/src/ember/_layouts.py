"""``ember.layout`` and ``ember.memory_format``: the named constants ``ember.strided``,
``ember.contiguous_format``, ``ember.channels_last``, ...

Each constant is a ``str`` holding its own name, so code that compares it with a string
(``layout == "strided"``) keeps working, and prints as torch's do (``ember.strided``).
Ember stores dense tensors strided and row-major (the memory formats are accepted wherever
torch takes one and name that one layout); ``ember.sparse_coo`` is the layout of sparse COO
tensors.

Example:
    >>> ember.channels_last
    ember.channels_last
    >>> isinstance(ember.strided, ember.layout), ember.ones(2).layout is ember.strided
    (True, True)
"""

from __future__ import annotations


class _NamedConstant(str):
    """A string constant that prints as ``ember.<name>`` and pickles as that global."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"ember.{str.__str__(self)}"

    __str__ = __repr__

    def __reduce__(self) -> str:
        # a global's name: unpickling and deepcopy hand back the one constant
        return str.__str__(self)


class layout(_NamedConstant):
    """How a tensor's elements are stored (torch.layout): ``ember.strided`` or
    ``ember.sparse_coo``."""

    __slots__ = ()


class memory_format(_NamedConstant):
    """The order a tensor's dims are laid out in memory (torch.memory_format)."""

    __slots__ = ()


# pickle finds the constants as ember.<name>
layout.__module__ = memory_format.__module__ = "ember"

strided = layout("strided")
sparse_coo = layout("sparse_coo")
contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
legacy_contiguous_format = contiguous_format  # torch's older name of the same constant
