"""Vocab, vocab() and build_vocab_from_iterator with torchtext's rules and errors."""

import pickle
from collections import Counter, OrderedDict

import pytest
from embertext.vocab import Vocab, build_vocab_from_iterator, vocab


def test_vocab_respects_order_min_freq_and_specials():
    od = OrderedDict([("c", 5), ("a", 1), ("b", 3), ("<unk>", 9)])
    v = vocab(od, min_freq=2, specials=["<unk>", "<pad>"])
    assert v.get_itos() == ["<unk>", "<pad>", "c", "b"]
    assert "<unk>" not in od  # popped from the caller's dict, as torchtext does
    v = vocab(OrderedDict([("x", 1), ("y", 1)]), specials=["<s>"], special_first=False)
    assert v.get_itos() == ["x", "y", "<s>"]


def test_lookups_and_default_index():
    v = vocab(OrderedDict([(t, 1) for t in ["e", "d", "c", "b", "a"]]), specials=["<unk>"])
    assert v["<unk>"] == 0 and v["a"] == 5 and len(v) == 6
    with pytest.raises(RuntimeError, match="Token zz not found and default index is not set"):
        v["zz"]
    assert v.get_default_index() is None
    v.set_default_index(-1)
    assert v["out of vocab"] == -1 and v.get_default_index() == -1
    v.set_default_index(v["<unk>"])
    assert v(["a", "nope", "e"]) == [5, 0, 1]
    assert v.lookup_indices(["d"]) == [2] and v.forward(["c"]) == [3]
    assert v.lookup_token(1) == "e" and v.lookup_tokens([1, 2]) == ["e", "d"]
    with pytest.raises(RuntimeError, match="Specified index 6 is out of bounds for vocab of "
                                           "size 6"):
        v.lookup_token(6)
    with pytest.raises(RuntimeError):
        v.lookup_token(-1)
    assert "a" in v and "z" not in v


def test_insert_and_append():
    v = Vocab(["a", "b", "c"])
    v.insert_token("x", 1)
    assert v.get_itos() == ["a", "x", "b", "c"]
    assert v.get_stoi() == {"a": 0, "x": 1, "b": 2, "c": 3}
    v.append_token("d")
    assert v["d"] == 4
    v.insert_token("end", 5)
    assert v["end"] == 5
    with pytest.raises(RuntimeError, match="Token a already exists in the Vocab with index: 0"):
        v.append_token("a")
    with pytest.raises(RuntimeError, match="already exists"):
        v.insert_token("b", 0)
    with pytest.raises(RuntimeError, match="Specified index 7 is out of bounds"):
        v.insert_token("new", 7)
    with pytest.raises(RuntimeError, match="out of bounds"):
        v.insert_token("new", -1)


def test_duplicate_tokens_rejected():
    with pytest.raises(RuntimeError, match="Duplicate token found in tokens list: a"):
        Vocab(["a", "b", "a"])


def test_build_vocab_sorts_by_frequency_then_lexicographically():
    data = [["b", "a", "c", "b"], ["c", "d", "b"], ["a"]]
    v = build_vocab_from_iterator(data)
    # b:3, a:2, c:2, d:1 -> b, then a < c, then d
    assert v.get_itos() == ["b", "a", "c", "d"]
    v = build_vocab_from_iterator(iter(data), min_freq=2, specials=["<unk>", "<pad>"])
    assert v.get_itos() == ["<unk>", "<pad>", "b", "a", "c"]
    v = build_vocab_from_iterator(data, specials=["<unk>"], special_first=False, max_tokens=3)
    assert v.get_itos() == ["b", "a", "<unk>"]
    with pytest.raises(AssertionError, match="entirely special tokens"):
        build_vocab_from_iterator(data, specials=["<a>", "<b>"], max_tokens=2)


def test_specials_present_in_data_are_not_duplicated():
    v = build_vocab_from_iterator([["<unk>", "x", "<unk>"]], specials=["<unk>"])
    assert v.get_itos() == ["<unk>", "x"]


def test_vocab_from_counter_order():
    counter = Counter(["a", "a", "b", "b", "b"])
    v = vocab(OrderedDict(sorted(counter.items(), key=lambda x: x[1], reverse=True)))
    assert v["a"] == 1 and v["b"] == 0


def test_copies_and_pickle():
    v = Vocab(["a"])
    v.get_itos().append("z")
    v.get_stoi()["z"] = 9
    assert len(v) == 1
    v.set_default_index(0)
    again = pickle.loads(pickle.dumps(v))
    assert again == v and again["missing"] == 0
