"""Nested containers of values (tuples, named tuples, lists, dicts) as a flat list of leaves
and a spec to rebuild them, as torch.utils._pytree: what vmap and the other transforms of
ember.func use to reach every tensor of their arguments and results.

Example:
    >>> leaves, spec = tree_flatten({"a": (1, 2), "b": [3]})
    >>> leaves
    [1, 2, 3]
    >>> tree_unflatten([x * 10 for x in leaves], spec)
    {'a': (10, 20), 'b': [30]}
"""

from __future__ import annotations

from typing import Any, Callable

_LEAF = None  # the spec of a leaf


def _children(tree) -> tuple | None:
    """(node type, keys or None, children) of a container, None for a leaf."""
    if isinstance(tree, dict):
        return type(tree), tuple(tree), tuple(tree.values())
    if isinstance(tree, (tuple, list)):
        return type(tree), None, tuple(tree)
    return None


def tree_flatten(tree: Any) -> tuple[list, Any]:
    """(the leaves in order, a spec that tree_unflatten rebuilds the containers from)."""
    leaves: list = []

    def walk(node):
        parts = _children(node)
        if parts is None:
            leaves.append(node)
            return _LEAF
        kind, keys, children = parts
        return kind, keys, tuple(walk(c) for c in children)
    return leaves, walk(tree)


def tree_unflatten(leaves, spec) -> Any:
    """The containers of spec, holding leaves in order."""
    it = iter(leaves)

    def build(node):
        if node is _LEAF:
            return next(it)
        kind, keys, children = node
        values = [build(c) for c in children]
        if keys is not None:
            return kind(zip(keys, values))
        if hasattr(kind, "_fields"):  # a named tuple takes its fields as arguments
            return kind(*values)
        return kind(values)
    return build(spec)


def tree_map(fn: Callable, tree: Any) -> Any:
    """tree with fn applied to every leaf."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)


def broadcast_prefix(prefix: Any, tree: Any) -> list:
    """One value per leaf of tree from prefix, a tree whose leaves each stand for a whole
    subtree (vmap's in_dims: 0 for every tensor, or one entry per argument)."""
    parts_p, parts_t = _children(prefix), _children(tree)
    if parts_p is None:
        return [prefix] * len(tree_flatten(tree)[0])
    if parts_t is None or len(parts_p[2]) != len(parts_t[2]) or parts_p[1] != parts_t[1]:
        raise ValueError(f"the structure {prefix!r} does not match the arguments' structure")
    out: list = []
    for p, t in zip(parts_p[2], parts_t[2]):
        out += broadcast_prefix(p, t)
    return out
