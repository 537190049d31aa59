"""ember.utils._pytree against torch.utils._pytree on nested dict/list/tuple/namedtuple/
OrderedDict/defaultdict/deque structures: leaves, specs (repr, equality, JSON dumps),
key paths, the map/all/any families and registered custom nodes."""

from collections import OrderedDict, defaultdict, deque, namedtuple

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import torch.utils._pytree as tp  # noqa: E402

import ember.utils._pytree as ep  # noqa: E402

Point = namedtuple("Point", "x y")


def _trees():
    return [
        1,
        None,
        [1, (2, 3), {"a": 4, "b": [5, None]}],
        {"z": Point(1, (2, "s")), "a": [], "m": ()},
        (OrderedDict([("q", 1), ("p", [2, 3])]), deque([4, 5], maxlen=3)),
        {"d": defaultdict(list, {"k": 1, "j": (2,)})},
        [[[]], {}, Point([1], {"n": 2.5})],
    ]


@pytest.mark.parametrize("index", range(7))
def test_flatten_unflatten_and_spec_match_torch(index):
    tree = _trees()[index]
    el, es = ep.tree_flatten(tree)
    tl, ts = tp.tree_flatten(tree)
    assert el == tl
    assert repr(es) == repr(ts)
    assert (es.num_leaves, es.num_nodes, es.num_children) == (ts.num_leaves, ts.num_nodes,
                                                              ts.num_children)
    assert es.is_leaf() == ts.is_leaf()
    assert ep.tree_unflatten(el, es) == tp.tree_unflatten(tl, ts) == tree
    assert ep.tree_leaves(tree) == tp.tree_leaves(tree)
    assert list(ep.tree_iter(tree)) == list(tp.tree_iter(tree))
    assert ep.tree_is_leaf(tree) == tp.tree_is_leaf(tree)
    assert ep.treespec_pprint(es) == tp.treespec_pprint(ts)


@pytest.mark.parametrize("index", [0, 2, 4, 5, 6])
def test_treespec_dumps_is_torchs_json_and_loads_back(index):
    tree = _trees()[index]
    if index == 6:  # a named tuple dumps only under a registered name, as in torch
        with pytest.raises(NotImplementedError):
            tp.treespec_dumps(tp.tree_structure(tree))
        with pytest.raises(NotImplementedError):
            ep.treespec_dumps(ep.tree_structure(tree))
        return
    text = ep.treespec_dumps(ep.tree_structure(tree))
    assert text == tp.treespec_dumps(tp.tree_structure(tree))
    assert ep.treespec_loads(text) == ep.tree_structure(tree)
    assert repr(tp.treespec_loads(text)) == repr(ep.treespec_loads(text))


def test_spec_equality_and_hash():
    a = ep.tree_structure({"a": 1, "b": (2, 3)})
    b = ep.tree_structure({"a": "x", "b": (None, 0)})
    c = ep.tree_structure({"b": (2, 3), "a": 1})
    assert a == b and hash(a) == hash(b)
    assert (a == c) == (tp.tree_structure({"a": 1, "b": (2, 3)})
                        == tp.tree_structure({"b": (2, 3), "a": 1}))
    assert ep.tree_structure(1) == ep.LeafSpec()
    assert tp.tree_structure(1) == tp.LeafSpec()


def test_size_is_a_node_and_other_tuple_subclasses_are_leaves_as_in_torch():
    import ember

    class Pair(tuple):
        pass

    assert ep.tree_leaves([ember.Size([2, 3])]) == tp.tree_leaves([torch.Size([2, 3])]) == [2, 3]
    assert ep.treespec_dumps(ep.tree_structure(ember.Size([4]))) == \
        tp.treespec_dumps(tp.tree_structure(torch.Size([4])))
    rebuilt = ep.tree_map(lambda n: n * 2, ember.Size([2, 3]))
    assert isinstance(rebuilt, ember.Size) and rebuilt == (4, 6)
    assert ep.tree_leaves([Pair((1, 2))]) == tp.tree_leaves([Pair((1, 2))]) == [Pair((1, 2))]


@pytest.mark.parametrize("index", range(7))
def test_paths_and_keystr_match_torch(index):
    tree = _trees()[index]
    e_pairs, e_spec = ep.tree_flatten_with_path(tree)
    t_pairs, t_spec = tp.tree_flatten_with_path(tree)
    assert [ep.keystr(p) for p, _ in e_pairs] == [tp.keystr(p) for p, _ in t_pairs]
    assert [x for _, x in e_pairs] == [x for _, x in t_pairs]
    assert repr(e_spec) == repr(t_spec)
    for path, leaf in e_pairs:
        assert ep.key_get(tree, path) == leaf
    assert [ep.keystr(p) for p, _ in ep.tree_leaves_with_path(tree)] == \
        [tp.keystr(p) for p, _ in tp.tree_leaves_with_path(tree)]
    assert ep.tree_map_with_path(lambda p, x: ep.keystr(p), tree) == \
        tp.tree_map_with_path(lambda p, x: tp.keystr(p), tree)


def test_map_family_matches_torch():
    tree = [1, (2.5, "a"), {"k": [3, None]}, Point(4, 5.0)]
    for e, t in ((ep, tp),):
        assert e.tree_map(lambda x: (x, 1), tree) == t.tree_map(lambda x: (x, 1), tree)
        assert e.tree_map_only(int, lambda x: x * 10, tree) == \
            t.tree_map_only(int, lambda x: x * 10, tree)
        assert e.tree_map_only((int, float), lambda x: -x, tree) == \
            t.tree_map_only((int, float), lambda x: -x, tree)
        is_str = lambda x: isinstance(x, str)  # noqa: E731
        assert e.tree_map_only(is_str, str.upper, tree) == t.tree_map_only(is_str, str.upper,
                                                                           tree)
        seen_e, seen_t = [], []
        assert e.tree_map_(seen_e.append, tree) is tree
        t.tree_map_(seen_t.append, tree)
        assert seen_e == seen_t
        seen_e, seen_t = [], []
        e.tree_map_only_(float, seen_e.append, tree)
        t.tree_map_only_(float, seen_t.append, tree)
        assert seen_e == seen_t == [2.5, 5.0]
    rest = [10, (20, 30), {"k": [40, 50]}, Point(60, 70)]
    assert ep.tree_map(lambda a, b: (a, b), tree, rest) == tp.tree_map(lambda a, b: (a, b),
                                                                       tree, rest)
    prefix = [0, 1, 2, 3]  # rests may be deeper than tree
    assert ep.tree_map(lambda a, b: (a, b), prefix, tree) == tp.tree_map(lambda a, b: (a, b),
                                                                         prefix, tree)
    is_tuple = lambda x: isinstance(x, tuple)  # noqa: E731
    assert ep.tree_leaves(tree, is_leaf=is_tuple) == tp.tree_leaves(tree, is_leaf=is_tuple)


def test_map_with_mismatched_rest_raises_like_torch():
    for mod in (ep, tp):
        with pytest.raises(ValueError, match="Node keys mismatch"):
            mod.tree_map(lambda a, b: a, {"a": 1}, {"b": 1})
        with pytest.raises(ValueError, match="Node type mismatch"):
            mod.tree_map(lambda a, b: a, [1], (1,))
        with pytest.raises(ValueError, match="Node arity mismatch"):
            mod.tree_map(lambda a, b: a, [1, 2], [1])


def test_all_any_match_torch():
    tree = {"a": [1, 2, "x"], "b": (3, None)}
    for pred in (lambda x: x is not None, lambda x: x == 3, lambda x: x == 7):
        assert ep.tree_all(pred, tree) == tp.tree_all(pred, tree)
        assert ep.tree_any(pred, tree) == tp.tree_any(pred, tree)
    for pred in (lambda x: x > 0, lambda x: x > 2):
        assert ep.tree_all_only(int, pred, tree) == tp.tree_all_only(int, pred, tree)
        assert ep.tree_any_only(int, pred, tree) == tp.tree_any_only(int, pred, tree)


def test_namedtuple_and_structseq_predicates_match_torch():
    import os
    import time
    cases = [Point, Point(1, 2), (1, 2), tuple, time.struct_time, time.gmtime(0),
             os.stat_result, 3, torch.return_types.max]
    for obj in cases:
        for name in ("is_namedtuple", "is_structseq"):
            assert getattr(ep, name)(obj) == getattr(tp, name)(obj), (name, obj)
        if isinstance(obj, type):
            assert ep.is_namedtuple_class(obj) == tp.is_namedtuple_class(obj)
            assert ep.is_structseq_class(obj) == tp.is_structseq_class(obj)
        else:
            assert ep.is_namedtuple_instance(obj) == tp.is_namedtuple_instance(obj)
            assert ep.is_structseq_instance(obj) == tp.is_structseq_instance(obj)


class _Box:
    def __init__(self, items, tag):
        self.items, self.tag = items, tag

    def __eq__(self, other):
        return isinstance(other, _Box) and (self.items, self.tag) == (other.items, other.tag)


def test_register_pytree_node_matches_torch():
    for mod in (ep, tp):
        mod.register_pytree_node(
            _Box, lambda b: (list(b.items), b.tag), lambda xs, tag: _Box(list(xs), tag),
            serialized_type_name="tests.Box",
            flatten_with_keys_fn=lambda b, m=mod: ([(m.SequenceKey(i), x)
                                                   for i, x in enumerate(b.items)], b.tag))
    try:
        tree = {"b": _Box([1, [2, 3]], "t")}
        assert ep.tree_leaves(tree) == tp.tree_leaves(tree) == [1, 2, 3]
        assert ep.tree_map(lambda x: x * 2, tree) == tp.tree_map(lambda x: x * 2, tree)
        assert ep.treespec_dumps(ep.tree_structure(tree)) == \
            tp.treespec_dumps(tp.tree_structure(tree))
        assert [ep.keystr(p) for p, _ in ep.tree_leaves_with_path(tree)] == \
            [tp.keystr(p) for p, _ in tp.tree_leaves_with_path(tree)]
        with pytest.warns(UserWarning, match="already registered"):
            ep.register_pytree_node(_Box, lambda b: (list(b.items), b.tag),
                                    lambda xs, tag: _Box(list(xs), tag))
        with pytest.raises(ValueError, match="flatten_with_keys_fn"):
            ep.tree_leaves_with_path(tree)
    finally:
        ep.SUPPORTED_NODES.pop(_Box, None)
        tp._deregister_pytree_node(_Box)


def test_unflatten_wrong_count_raises_like_torch():
    es, ts = ep.tree_structure([1, 2]), tp.tree_structure([1, 2])
    with pytest.raises(ValueError, match="`leaves` has length 3"):
        ts.unflatten([1, 2, 3])
    with pytest.raises(ValueError, match="`leaves` has length 3"):
        es.unflatten([1, 2, 3])
