"""Nested containers as a flat list of leaves plus a ``TreeSpec`` to rebuild them, as
torch.utils._pytree: what vmap and the other transforms of ember.func use to reach every
tensor of their arguments and results.

A node is a value whose exact type is registered: tuple, list, dict, OrderedDict,
defaultdict, deque, any named tuple (all of them share the node type
``collections.namedtuple``; the class is the node's context), ember.Size (as torch.Size is
in torch) and what ``register_pytree_node`` adds. Everything else, subclasses of tuple or
list included, is a leaf. Key paths name each leaf's place (``[0]``, ``['key']``,
``.field``); a spec dumps to the same JSON document torch writes (protocol 1).

Example:
    >>> leaves, spec = tree_flatten({"a": (1, 2), "b": [3]})
    >>> leaves
    [1, 2, 3]
    >>> tree_unflatten([x * 10 for x in leaves], spec)
    {'a': (10, 20), 'b': [30]}
    >>> keystr(tree_leaves_with_path({"a": (1, 2)})[1][0])
    "['a'][1]"
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import types
from collections import OrderedDict, defaultdict, deque, namedtuple
from typing import Any, Callable, Iterable, NamedTuple

__all__ = ["PyTree", "Context", "FlattenFn", "UnflattenFn", "DumpableContext",
           "ToDumpableContextFn", "FromDumpableContextFn", "PyTreeSpec", "TreeSpec",
           "LeafSpec", "keystr", "key_get", "register_pytree_node", "tree_is_leaf",
           "tree_flatten", "tree_flatten_with_path", "tree_unflatten", "tree_iter",
           "tree_leaves", "tree_leaves_with_path", "tree_structure", "tree_map",
           "tree_map_with_path", "tree_map_", "tree_map_only", "tree_map_only_", "tree_all",
           "tree_any", "tree_all_only", "tree_any_only", "treespec_dumps", "treespec_loads",
           "treespec_pprint", "is_namedtuple", "is_namedtuple_class", "is_namedtuple_instance",
           "is_structseq", "is_structseq_class", "is_structseq_instance"]

PyTree = Any
Context = Any
DumpableContext = Any
FlattenFn = Callable[[PyTree], "tuple[list[Any], Context]"]
UnflattenFn = Callable[[Iterable[Any], Context], PyTree]
ToDumpableContextFn = Callable[[Context], DumpableContext]
FromDumpableContextFn = Callable[[DumpableContext], Context]
KeyPath = tuple

DEFAULT_TREESPEC_SERIALIZATION_PROTOCOL = 1
_NO_SERIALIZED_NAME = "NO_SERIALIZED_TYPE_NAME_FOUND"  # torch's marker, kept for its messages


class NodeDef(NamedTuple):
    type: type
    flatten_fn: FlattenFn
    unflatten_fn: UnflattenFn
    flatten_with_keys_fn: Callable | None


class _Serializer(NamedTuple):
    name: str
    to_dumpable: ToDumpableContextFn | None
    from_dumpable: FromDumpableContextFn | None


SUPPORTED_NODES: dict = {}
_SERIALIZERS: dict = {}  # node type -> _Serializer
_TYPE_BY_NAME: dict = {}  # serialized name -> node type


# ---- key paths -----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class SequenceKey:
    """A position in a sequence node: prints as ``[idx]``."""

    idx: int

    def __str__(self) -> str:
        return f"[{self.idx!r}]"

    def get(self, sequence) -> Any:
        return sequence[self.idx]


@dataclasses.dataclass(frozen=True)
class MappingKey:
    """A key of a mapping node: prints as ``['key']``."""

    key: Any

    def __str__(self) -> str:
        return f"[{self.key!r}]"

    def get(self, mapping) -> Any:
        return mapping[self.key]


@dataclasses.dataclass(frozen=True)
class GetAttrKey:
    """An attribute (a named tuple's field): prints as ``.name``."""

    name: str

    def __str__(self) -> str:
        return f".{self.name}"

    def get(self, obj) -> Any:
        return getattr(obj, self.name)


def keystr(kp: KeyPath) -> str:
    """A key path as the text that would index it, e.g. ``"['a'][0].x"``.

    Example:
        >>> keystr((MappingKey("a"), SequenceKey(0)))
        "['a'][0]"
    """
    return "".join(str(k) for k in kp)


def key_get(obj: Any, kp: KeyPath) -> Any:
    """The value at key path kp inside obj.

    Example:
        >>> key_get({"a": [5, 6]}, (MappingKey("a"), SequenceKey(1)))
        6
    """
    for key in kp:
        obj = key.get(obj)
    return obj


# ---- named tuples and struct sequences ---------------------------------------------------

def is_namedtuple_class(cls: type) -> bool:
    """Whether cls is a named tuple class (collections.namedtuple or typing.NamedTuple).

    Example:
        >>> is_namedtuple_class(namedtuple("P", "x y"))
        True
    """
    fields = getattr(cls, "_fields", None)
    return (isinstance(cls, type) and issubclass(cls, tuple) and isinstance(fields, tuple)
            and all(type(f) is str for f in fields) and callable(getattr(cls, "_make", None))
            and callable(getattr(cls, "_asdict", None)))


def is_namedtuple(obj: object | type) -> bool:
    """Whether obj is a named tuple class or an instance of one.

    Example:
        >>> is_namedtuple((1, 2))
        False
    """
    return is_namedtuple_class(obj if isinstance(obj, type) else type(obj))


def is_namedtuple_instance(obj: object) -> bool:
    """Whether obj is an instance of a named tuple class.

    Example:
        >>> is_namedtuple_instance(namedtuple("P", "x")(1))
        True
    """
    return is_namedtuple_class(type(obj))


_Py_TPFLAGS_BASETYPE = 1 << 10  # CPython: the type can be subclassed


def is_structseq_class(cls: type) -> bool:
    """Whether cls is a C struct sequence type (``os.stat_result``, ``time.struct_time``).

    Example:
        >>> import time
        >>> is_structseq_class(time.struct_time)
        True
    """
    return (isinstance(cls, type) and cls.__bases__ == (tuple,)
            and all(isinstance(getattr(cls, a, None), int)
                    for a in ("n_fields", "n_sequence_fields", "n_unnamed_fields"))
            and not cls.__flags__ & _Py_TPFLAGS_BASETYPE)


def is_structseq(obj: object | type) -> bool:
    """Whether obj is a struct sequence type or an instance of one.

    Example:
        >>> import time
        >>> is_structseq(time.gmtime(0))
        True
    """
    return is_structseq_class(obj if isinstance(obj, type) else type(obj))


def is_structseq_instance(obj: object) -> bool:
    """Whether obj is an instance of a struct sequence type.

    Example:
        >>> import time
        >>> is_structseq_instance(time.gmtime(0))
        True
    """
    return is_structseq_class(type(obj))


# ---- the registry -----------------------------------------------------------------------

def _register(cls, flatten_fn, unflatten_fn, *, serialized_type_name=None,
              to_dumpable_context=None, from_dumpable_context=None,
              flatten_with_keys_fn=None) -> None:
    if (to_dumpable_context is None) != (from_dumpable_context is None):
        raise ValueError(f"Both to_dumpable_context and from_dumpable_context for {cls} must "
                         "be None or registered.")
    SUPPORTED_NODES[cls] = NodeDef(cls, flatten_fn, unflatten_fn, flatten_with_keys_fn)
    name = serialized_type_name or _NO_SERIALIZED_NAME
    _SERIALIZERS[cls] = _Serializer(name, to_dumpable_context, from_dumpable_context)
    _TYPE_BY_NAME[name] = cls


def register_pytree_node(cls: type, flatten_fn: FlattenFn, unflatten_fn: UnflattenFn, *,
                         serialized_type_name: str | None = None,
                         to_dumpable_context: ToDumpableContextFn | None = None,
                         from_dumpable_context: FromDumpableContextFn | None = None,
                         flatten_with_keys_fn: Callable | None = None) -> None:
    """Makes cls a container node: ``flatten_fn(x) -> (children, context)`` and
    ``unflatten_fn(children, context) -> x``. ``flatten_with_keys_fn(x) -> ([(key,
    child)...], context)`` enables key paths; ``serialized_type_name`` (and the two context
    converters, for a context JSON can't hold) enables ``treespec_dumps``. Registering a
    type again replaces it, with a warning, as torch.

    Example:
        >>> class Pair:
        ...     def __init__(self, a, b): self.a, self.b = a, b
        >>> register_pytree_node(Pair, lambda p: ([p.a, p.b], None),
        ...                      lambda kids, _: Pair(*kids))
        >>> tree_leaves([Pair(1, 2), 3])
        [1, 2, 3]
    """
    if cls in SUPPORTED_NODES:
        import warnings
        warnings.warn(f"{cls} is already registered as pytree node. Overwriting the previous "
                      "registration.", stacklevel=2)
    _register(cls, flatten_fn, unflatten_fn, serialized_type_name=serialized_type_name,
              to_dumpable_context=to_dumpable_context,
              from_dumpable_context=from_dumpable_context,
              flatten_with_keys_fn=flatten_with_keys_fn)


def _register_namedtuple(cls: type, *, serialized_type_name: str) -> None:
    """Gives a named tuple class the name its specs dump under (named tuples are nodes
    without registering; only dumping needs a name)."""
    _SERIALIZERS[cls] = _Serializer(serialized_type_name, None, None)
    _TYPE_BY_NAME[serialized_type_name] = cls


def _namedtuple_to_dumpable(cls) -> str:
    entry = _SERIALIZERS.get(cls)
    if entry is None or entry.name == _NO_SERIALIZED_NAME:
        raise NotImplementedError(f"Can't serialize TreeSpec of namedtuple class {cls} because "
                                  "we didn't register a serializated_type_name. Please register "
                                  "using `_register_namedtuple`.")
    return entry.name


def _namedtuple_from_dumpable(name: str) -> type:
    if name not in _TYPE_BY_NAME:
        raise NotImplementedError(f"Can't deserialize TreeSpec of namedtuple class {name} "
                                  "because we couldn't find a serializated name.")
    return _TYPE_BY_NAME[name]


def _defaultdict_to_dumpable(context) -> dict:
    factory, keys = context
    return {"default_factory_module": factory.__module__,
            "default_factory_name": factory.__qualname__, "dict_context": keys}


def _defaultdict_from_dumpable(dumped: dict) -> list:
    module = importlib.import_module(dumped["default_factory_module"])
    return [getattr(module, dumped["default_factory_name"]), dumped["dict_context"]]


def _indexed(children: list) -> list:
    return [(SequenceKey(i), c) for i, c in enumerate(children)]


_register(tuple, lambda t: (list(t), None), lambda xs, _: tuple(xs),
          serialized_type_name="builtins.tuple",
          flatten_with_keys_fn=lambda t: (_indexed(list(t)), None))
_register(list, lambda t: (list(t), None), lambda xs, _: list(xs),
          serialized_type_name="builtins.list",
          flatten_with_keys_fn=lambda t: (_indexed(list(t)), None))
_register(dict, lambda d: (list(d.values()), list(d)), lambda xs, keys: dict(zip(keys, xs)),
          serialized_type_name="builtins.dict",
          flatten_with_keys_fn=lambda d: ([(MappingKey(k), v) for k, v in d.items()], list(d)))
_register(namedtuple, lambda t: (list(t), type(t)), lambda xs, cls: cls(*xs),
          serialized_type_name="collections.namedtuple",
          to_dumpable_context=_namedtuple_to_dumpable,
          from_dumpable_context=_namedtuple_from_dumpable,
          flatten_with_keys_fn=lambda t: ([(GetAttrKey(f), v) for f, v in zip(t._fields, t)],
                                          type(t)))
_register(OrderedDict, lambda d: (list(d.values()), list(d)),
          lambda xs, keys: OrderedDict(zip(keys, xs)),
          serialized_type_name="collections.OrderedDict",
          flatten_with_keys_fn=lambda d: ([(MappingKey(k), v) for k, v in d.items()], list(d)))
_register(defaultdict, lambda d: (list(d.values()), [d.default_factory, list(d)]),
          lambda xs, ctx: defaultdict(ctx[0], zip(ctx[1], xs)),
          serialized_type_name="collections.defaultdict",
          to_dumpable_context=_defaultdict_to_dumpable,
          from_dumpable_context=_defaultdict_from_dumpable,
          flatten_with_keys_fn=lambda d: ([(MappingKey(k), v) for k, v in d.items()],
                                          [d.default_factory, list(d)]))
_register(deque, lambda d: (list(d), d.maxlen), lambda xs, maxlen: deque(xs, maxlen=maxlen),
          serialized_type_name="collections.deque",
          flatten_with_keys_fn=lambda d: (_indexed(list(d)), d.maxlen))


def _register_size() -> None:
    # torch registers torch.Size as a node; ember.Size dumps under torch's name so that a
    # spec's JSON is the same document in both frameworks
    from .._tensor import Size
    _register(Size, lambda t: (list(t), None), lambda xs, _: Size(xs),
              serialized_type_name="torch.Size",
              flatten_with_keys_fn=lambda t: (_indexed(list(t)), None))


_register_size()
_BUILTIN_NODES = frozenset({tuple, list, dict, namedtuple, OrderedDict, defaultdict, deque})
_DICT_NODES = frozenset({dict, OrderedDict, defaultdict})


def _node_type(tree) -> Any:
    cls = type(tree)
    return namedtuple if is_namedtuple_class(cls) else cls


def tree_is_leaf(tree: PyTree, is_leaf: Callable[[PyTree], bool] | None = None) -> bool:
    """Whether tree is a leaf: not a registered node, or is_leaf(tree) says so.

    Example:
        >>> tree_is_leaf([1]), tree_is_leaf(None)
        (False, True)
    """
    if is_leaf is not None and is_leaf(tree):
        return True
    return _node_type(tree) not in SUPPORTED_NODES


# ---- specs -----------------------------------------------------------------------------

class TreeSpec:
    """The shape of a pytree: a node's type, its context (dict keys, a named tuple's
    class...) and one spec per child; a leaf's spec has type None.

    Example:
        >>> spec = tree_structure((1, [2, 3]))
        >>> spec.num_leaves, spec.num_children
        (3, 2)
    """

    __slots__ = ("type", "_context", "_children", "num_nodes", "num_leaves", "num_children")

    def __init__(self, type: Any, context: Context, children_specs: list) -> None:
        self.type, self._context, self._children = type, context, list(children_specs)
        if type is None:
            if context is not None or self._children:
                raise AssertionError("a leaf spec has no context and no children")
            self.num_nodes = self.num_leaves = 1
        else:
            self.num_nodes = 1 + sum(c.num_nodes for c in self._children)
            self.num_leaves = sum(c.num_leaves for c in self._children)
        self.num_children = len(self._children)

    @property
    def context(self) -> Context:
        return self._context

    def is_leaf(self) -> bool:
        return self.type is None

    def children(self) -> list:
        return list(self._children)

    def child(self, index: int) -> TreeSpec:
        return self._children[index]

    def __repr__(self, indent: int = 0) -> str:
        if self.type is None:
            return "*"
        inner = indent + 2
        parts = [c.__repr__(inner) for c in self._children]
        body = (",\n" + " " * inner).join(parts)
        return f"TreeSpec({self.type.__name__}, {self._context}, [{body}])"

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, TreeSpec):
            return NotImplemented
        return (str(self.type) == str(other.type) and self._context == other._context
                and self._children == other._children)

    def __hash__(self) -> int:
        ctx = self._context
        if self.type is defaultdict:
            ctx = (ctx[0], tuple(ctx[1]))
        elif self.type in (dict, OrderedDict):
            ctx = tuple(ctx)
        elif self.type is not None and self.type not in _BUILTIN_NODES:
            ctx = None  # a custom node's context need not be hashable
        return hash((self.type, ctx, tuple(self._children)))

    def unflatten(self, leaves: Iterable[Any]) -> PyTree:
        """The pytree of this shape holding leaves in order."""
        leaves = leaves if isinstance(leaves, (list, tuple)) else list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} "
                             f"but the spec refers to a pytree that holds {self.num_leaves} "
                             f"items ({self}).")
        return self._build(iter(leaves))

    def _build(self, it) -> PyTree:
        if self.type is None:
            return next(it)
        children = [c._build(it) for c in self._children]
        return SUPPORTED_NODES[self.type].unflatten_fn(children, self._context)

    def flatten_up_to(self, tree: PyTree) -> list:
        """The subtrees of tree sitting where this spec has leaves (tree must have this
        spec as a prefix of its structure)."""
        out: list = []
        self._cut(tree, out)
        return out

    def _cut(self, node, out: list) -> None:
        if self.type is None:
            out.append(node)
            return
        kind = _node_type(node)
        if self.type in _DICT_NODES and kind in _DICT_NODES:
            keys = self._context[1] if self.type is defaultdict else self._context
            if set(node) != set(keys):
                missing, extra = set(keys) - set(node), set(node) - set(keys)
                raise ValueError("Node keys mismatch"
                                 + (f"; missing key(s): {missing}" if missing else "")
                                 + (f"; extra key(s): {extra}" if extra else "") + ".")
            children = [node[k] for k in keys]
        else:
            if kind != self.type:
                raise ValueError(f"Node type mismatch; expected {self.type!r}, but got "
                                 f"{kind!r}.")
            children, context = SUPPORTED_NODES[kind].flatten_fn(node)
            if len(children) != self.num_children:
                raise ValueError(f"Node arity mismatch; expected {self.num_children}, but got "
                                 f"{len(children)}.")
            if kind is not deque and context != self._context:
                raise ValueError(f"Node context mismatch for node type {self.type!r}; expected "
                                 f"{self._context!r}, but got {context!r}.")
        for child, spec in zip(children, self._children):
            spec._cut(child, out)


class LeafSpec(TreeSpec):
    """The spec of a leaf (torch's name; ``tree_structure(1) == LeafSpec()``)."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(None, None, [])


PyTreeSpec = TreeSpec
_LEAF = LeafSpec()


# ---- flattening and mapping ---------------------------------------------------------------

def tree_flatten(tree: PyTree, is_leaf: Callable[[PyTree], bool] | None = None
                 ) -> tuple[list, TreeSpec]:
    """(the leaves in order, the TreeSpec that tree_unflatten rebuilds the containers from).

    Example:
        >>> tree_flatten([1, (2, 3)])[0]
        [1, 2, 3]
    """
    leaves: list = []

    def walk(node) -> TreeSpec:
        if tree_is_leaf(node, is_leaf):
            leaves.append(node)
            return _LEAF
        kind = _node_type(node)
        children, context = SUPPORTED_NODES[kind].flatten_fn(node)
        return TreeSpec(kind, context, [walk(c) for c in children])
    return leaves, walk(tree)


def tree_unflatten(leaves: Iterable[Any], treespec: TreeSpec) -> PyTree:
    """The containers of treespec, holding leaves in order.

    Example:
        >>> tree_unflatten([7, 8], tree_structure((0, [0])))
        (7, [8])
    """
    if not isinstance(treespec, TreeSpec):
        raise TypeError(f"Expected `treespec` to be an instance of PyTreeSpec but got item of "
                        f"type {type(treespec)}.")
    return treespec.unflatten(leaves)


def tree_iter(tree: PyTree, is_leaf: Callable[[PyTree], bool] | None = None) -> Iterable[Any]:
    """The leaves of tree, one at a time.

    Example:
        >>> list(tree_iter({"a": 1, "b": [2]}))
        [1, 2]
    """
    if tree_is_leaf(tree, is_leaf):
        yield tree
        return
    for child in SUPPORTED_NODES[_node_type(tree)].flatten_fn(tree)[0]:
        yield from tree_iter(child, is_leaf)


def tree_leaves(tree: PyTree, is_leaf: Callable[[PyTree], bool] | None = None) -> list:
    """The leaves of tree, in order.

    Example:
        >>> tree_leaves({"a": 1, "b": (2, 3)})
        [1, 2, 3]
    """
    return list(tree_iter(tree, is_leaf))


def tree_structure(tree: PyTree, is_leaf: Callable[[PyTree], bool] | None = None) -> TreeSpec:
    """The TreeSpec of tree.

    Example:
        >>> tree_structure([1, 2])
        TreeSpec(list, None, [*,
          *])
    """
    return tree_flatten(tree, is_leaf)[1]


def tree_map(func: Callable[..., Any], tree: PyTree, *rests: PyTree,
             is_leaf: Callable[[PyTree], bool] | None = None) -> PyTree:
    """tree with func applied to every leaf; with rests, func(leaf, *matching parts of
    rests), where each of rests has tree's structure (or extends it).

    Example:
        >>> tree_map(lambda a, b: a + b, [1, (2, 3)], [10, (20, 30)])
        [11, (22, 33)]
    """
    leaves, spec = tree_flatten(tree, is_leaf)
    columns = [leaves] + [spec.flatten_up_to(r) for r in rests]
    return spec.unflatten([func(*xs) for xs in zip(*columns)])


def tree_map_(func: Callable[..., Any], tree: PyTree, *rests: PyTree,
              is_leaf: Callable[[PyTree], bool] | None = None) -> PyTree:
    """Calls func on every leaf (with the matching parts of rests) for its side effect;
    returns tree itself.

    Example:
        >>> seen = []
        >>> tree_map_(seen.append, {"a": 1, "b": [2]}) == {"a": 1, "b": [2]}, seen
        (True, [1, 2])
    """
    leaves, spec = tree_flatten(tree, is_leaf)
    columns = [leaves] + [spec.flatten_up_to(r) for r in rests]
    for xs in zip(*columns):
        func(*xs)
    return tree


def _selector(type_or_types_or_pred) -> Callable[[Any], bool]:
    if isinstance(type_or_types_or_pred, (type, tuple, types.UnionType)):
        return lambda x: isinstance(x, type_or_types_or_pred)
    if callable(type_or_types_or_pred):
        return type_or_types_or_pred
    raise TypeError("Argument must be a type, a tuple of types, or a callable.")


def map_only(type_or_types_or_pred) -> Callable[[Callable], Callable]:
    """A decorator: the function applies to values of the given types (or passing the
    predicate) and returns any other value unchanged.

    Example:
        >>> map_only(int)(lambda x: x + 1)("a")
        'a'
    """
    chosen = _selector(type_or_types_or_pred)

    def decorate(func: Callable) -> Callable:
        def maybe(x):
            return func(x) if chosen(x) else x
        return maybe
    return decorate


def tree_map_only(type_or_types_or_pred, func: Callable, tree: PyTree,
                  is_leaf: Callable[[PyTree], bool] | None = None) -> PyTree:
    """tree_map applied only to the leaves of the given types (or passing the predicate);
    other leaves stay.

    Example:
        >>> tree_map_only(int, lambda x: x * 2, [1, "a", (3.5, 4)])
        [2, 'a', (3.5, 8)]
    """
    return tree_map(map_only(type_or_types_or_pred)(func), tree, is_leaf=is_leaf)


def tree_map_only_(type_or_types_or_pred, func: Callable, tree: PyTree,
                   is_leaf: Callable[[PyTree], bool] | None = None) -> PyTree:
    """tree_map_ applied only to the leaves of the given types (or passing the predicate).

    Example:
        >>> seen = []
        >>> _ = tree_map_only_(str, seen.append, [1, "a", ("b",)])
        >>> seen
        ['a', 'b']
    """
    return tree_map_(map_only(type_or_types_or_pred)(func), tree, is_leaf=is_leaf)


def tree_all(pred: Callable[[Any], bool], tree: PyTree,
             is_leaf: Callable[[PyTree], bool] | None = None) -> bool:
    """Whether pred holds for every leaf.

    Example:
        >>> tree_all(lambda x: x > 0, [1, (2, 3)])
        True
    """
    return all(map(pred, tree_iter(tree, is_leaf)))


def tree_any(pred: Callable[[Any], bool], tree: PyTree,
             is_leaf: Callable[[PyTree], bool] | None = None) -> bool:
    """Whether pred holds for some leaf.

    Example:
        >>> tree_any(lambda x: x > 2, [1, (2, 3)])
        True
    """
    return any(map(pred, tree_iter(tree, is_leaf)))


def tree_all_only(type_or_types, pred: Callable[[Any], bool], tree: PyTree,
                  is_leaf: Callable[[PyTree], bool] | None = None) -> bool:
    """Whether pred holds for every leaf of the given types (others are skipped).

    Example:
        >>> tree_all_only(int, lambda x: x > 0, [1, "a", 2])
        True
    """
    return all(pred(x) for x in tree_iter(tree, is_leaf) if isinstance(x, type_or_types))


def tree_any_only(type_or_types, pred: Callable[[Any], bool], tree: PyTree,
                  is_leaf: Callable[[PyTree], bool] | None = None) -> bool:
    """Whether pred holds for some leaf of the given types (others are skipped).

    Example:
        >>> tree_any_only(str, lambda s: s.startswith("a"), [1, "ab"])
        True
    """
    return any(pred(x) for x in tree_iter(tree, is_leaf) if isinstance(x, type_or_types))


# ---- key paths over trees -----------------------------------------------------------------

def _paths(prefix: KeyPath, tree: PyTree, is_leaf) -> Iterable[tuple[KeyPath, Any]]:
    if tree_is_leaf(tree, is_leaf):
        yield prefix, tree
        return
    kind = _node_type(tree)
    with_keys = SUPPORTED_NODES[kind].flatten_with_keys_fn
    if with_keys is None:
        raise ValueError(f"Did not find a flatten_with_keys_fn for type: {kind}. Please pass a "
                         "flatten_with_keys_fn argument to register_pytree_node.")
    for key, child in with_keys(tree)[0]:
        yield from _paths(prefix + (key,), child, is_leaf)


def tree_flatten_with_path(tree: PyTree, is_leaf: Callable[[PyTree], bool] | None = None
                           ) -> tuple[list[tuple[KeyPath, Any]], TreeSpec]:
    """tree_flatten with each leaf paired with its key path.

    Example:
        >>> pairs, _ = tree_flatten_with_path({"a": [5]})
        >>> [(keystr(p), x) for p, x in pairs]
        [("['a'][0]", 5)]
    """
    return list(_paths((), tree, is_leaf)), tree_structure(tree, is_leaf)


def tree_leaves_with_path(tree: PyTree, is_leaf: Callable[[PyTree], bool] | None = None
                          ) -> list[tuple[KeyPath, Any]]:
    """(key path, leaf) for every leaf, in order.

    Example:
        >>> [keystr(p) for p, _ in tree_leaves_with_path((1, {"b": 2}))]
        ['[0]', "[1]['b']"]
    """
    return list(_paths((), tree, is_leaf))


def tree_map_with_path(func: Callable[..., Any], tree: PyTree, *rests: PyTree,
                       is_leaf: Callable[[PyTree], bool] | None = None) -> PyTree:
    """tree_map where func also receives the leaf's key path first:
    func(path, leaf, *matching parts of rests).

    Example:
        >>> tree_map_with_path(lambda p, x: keystr(p), {"a": 1})
        {'a': "['a']"}
    """
    pairs, spec = tree_flatten_with_path(tree, is_leaf)
    columns = [spec.flatten_up_to(r) for r in rests]
    return spec.unflatten([func(path, leaf, *more)
                           for (path, leaf), *more in zip(pairs, *columns)])


def broadcast_prefix(prefix: PyTree, tree: PyTree) -> list:
    """One value per leaf of tree from prefix, a tree whose leaves each stand for a whole
    subtree (vmap's in_dims: 0 for every tensor, or one entry per argument)."""
    spec = tree_structure(prefix)
    try:
        subtrees = spec.flatten_up_to(tree)
    except ValueError as e:
        raise ValueError(f"the structure {prefix!r} does not match the arguments' structure "
                         f"({e})") from None
    out: list = []
    for value, subtree in zip(tree_leaves(prefix), subtrees):
        out += [value] * len(tree_leaves(subtree))
    return out


# ---- dumping specs --------------------------------------------------------------------------

def _to_json(spec: TreeSpec) -> dict:
    if spec.is_leaf():
        return {"type": None, "context": None, "children_spec": []}
    entry = _SERIALIZERS.get(spec.type)
    if entry is None:
        raise NotImplementedError(f"Serializing {spec.type} in pytree is not registered.")
    if entry.name == _NO_SERIALIZED_NAME:
        raise NotImplementedError(f"No registered serialization name for {spec.type} found. "
                                  "Please update your _register_pytree_node call with a "
                                  "`serialized_type_name` kwarg.")
    if entry.to_dumpable is not None:
        context = entry.to_dumpable(spec.context)
    else:
        try:
            context = json.dumps(spec.context)
        except TypeError as e:
            raise TypeError("Unable to serialize context. Please make the context json "
                            "dump-able, or register a custom serializer using "
                            "register_pytree_node.") from e
    return {"type": entry.name, "context": context,
            "children_spec": [_to_json(c) for c in spec.children()]}


def _from_json(doc: dict) -> TreeSpec:
    if doc["type"] is None and doc["context"] is None and not doc["children_spec"]:
        return _LEAF
    kind = _TYPE_BY_NAME.get(doc["type"])
    if kind is None:
        raise NotImplementedError(f"Deserializing {doc['type']} in pytree is not registered.")
    entry = _SERIALIZERS[kind]
    context = (entry.from_dumpable(doc["context"]) if entry.from_dumpable is not None
               else json.loads(doc["context"]))
    return TreeSpec(kind, context, [_from_json(c) for c in doc["children_spec"]])


def treespec_dumps(treespec: TreeSpec, protocol: int | None = None) -> str:
    """The spec as a JSON string, the document torch.utils._pytree writes: ``[protocol,
    {"type": ..., "context": ..., "children_spec": [...]}]``.

    Example:
        >>> treespec_dumps(tree_structure([1]))
        '[1, {"type": "builtins.list", "context": "null", "children_spec": [{"type": null, \
"context": null, "children_spec": []}]}]'
    """
    protocol = DEFAULT_TREESPEC_SERIALIZATION_PROTOCOL if protocol is None else protocol
    if protocol != 1:
        raise ValueError(f"Unknown protocol {protocol}. Available protocols: [1]")
    return json.dumps([protocol, _to_json(treespec)])


def treespec_loads(serialized: str) -> TreeSpec:
    """The spec a treespec_dumps string describes.

    Example:
        >>> treespec_loads(treespec_dumps(tree_structure((1, 2)))) == tree_structure((0, 0))
        True
    """
    protocol, doc = json.loads(serialized)
    if protocol != 1:
        raise ValueError(f"Unknown protocol {protocol}. Available protocols: [1]")
    return _from_json(doc)


class _Star(str):
    """Prints as a bare ``*`` inside a container's repr."""

    def __repr__(self) -> str:
        return "*"


def treespec_pprint(treespec: TreeSpec) -> str:
    """The spec drawn as its container holding ``*`` for each leaf.

    Example:
        >>> treespec_pprint(tree_structure({"a": (1, 2)}))
        "{'a': (*, *)}"
    """
    return repr(treespec.unflatten([_Star("*")] * treespec.num_leaves))
