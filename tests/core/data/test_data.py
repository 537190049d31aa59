"""Datasets, samplers, collation and the single-process DataLoader."""

import collections

import numpy as np
import pytest

import ember
from ember.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset,
                              IterableDataset, RandomSampler, SequentialSampler, StackDataset,
                              Subset, SubsetRandomSampler, TensorDataset,
                              WeightedRandomSampler, default_collate, default_convert,
                              get_worker_info, random_split)


class Range(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


# ---- datasets ---------------------------------------------------------------------

def test_tensor_dataset_rows():
    ds = TensorDataset(ember.arange(4), ember.arange(8).reshape(4, 2))
    x, y = ds[2]
    assert len(ds) == 4 and x.item() == 2 and y.tolist() == [4, 5]
    with pytest.raises(AssertionError, match="Size mismatch"):
        TensorDataset(ember.arange(4), ember.arange(3))


def test_concat_chain_subset_stack():
    ds = ConcatDataset([[0, 1, 2], [3], [4, 5]])
    assert len(ds) == 6 and [ds[i] for i in range(6)] == list(range(6)) and ds[-1] == 5
    assert ds.cumulative_sizes == [3, 4, 6]
    assert isinstance(TensorDataset(ember.arange(2)) + TensorDataset(ember.arange(3)),
                      ConcatDataset)
    chained = Range(2) + Range(3)
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [0, 1, 0, 1, 2] and len(chained) == 5
    sub = Subset([10, 11, 12, 13], [3, 1])
    assert len(sub) == 2 and sub[0] == 13 and sub.__getitems__([1, 0]) == [11, 13]
    assert StackDataset([1, 2], ["a", "b"])[1] == (2, "b")
    assert StackDataset(x=[1, 2], y=["a", "b"])[0] == {"x": 1, "y": "a"}
    with pytest.raises(ValueError, match="Size mismatch"):
        StackDataset([1], [1, 2])


def test_random_split_lengths_fractions_and_generator():
    parts = random_split(range(10), [3, 7], generator=ember.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(list(parts[0]) + list(parts[1])) == list(range(10))
    again = random_split(range(10), [3, 7], generator=ember.Generator().manual_seed(1))
    assert list(parts[0]) == list(again[0])
    fr = random_split(range(11), [0.5, 0.3, 0.2], generator=ember.Generator().manual_seed(0))
    assert [len(p) for p in fr] == [6, 3, 2]  # floors 5, 3, 2; the remainder goes to the first
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(10), [3, 3])


# ---- samplers ---------------------------------------------------------------------

def test_sequential_and_batch_sampler():
    assert list(SequentialSampler(range(3))) == [0, 1, 2]
    bs = BatchSampler(SequentialSampler(range(7)), 3, drop_last=False)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6]] and len(bs) == 3
    bs = BatchSampler(range(7), 3, drop_last=True)
    assert list(bs) == [[0, 1, 2], [3, 4, 5]] and len(bs) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        BatchSampler(range(3), 0, False)


def test_random_sampler_permutation_replacement_and_seed():
    g = ember.Generator().manual_seed(3)
    perm = list(RandomSampler(range(20), generator=g))
    assert sorted(perm) == list(range(20)) and perm != list(range(20))
    assert list(RandomSampler(range(20), generator=ember.Generator().manual_seed(3))) == perm
    more = list(RandomSampler(range(5), num_samples=12, generator=g))
    assert len(more) == 12 and sorted(more[:5]) == list(range(5))
    draws = list(RandomSampler(range(4), replacement=True, num_samples=70))
    assert len(draws) == 70 and set(draws) <= {0, 1, 2, 3} and len(set(draws)) == 4
    ember.manual_seed(5)
    a = list(RandomSampler(range(9)))
    ember.manual_seed(5)
    assert list(RandomSampler(range(9))) == a
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(range(3), num_samples=0)


def test_subset_and_weighted_samplers():
    assert sorted(SubsetRandomSampler([5, 7, 9])) == [5, 7, 9]
    w = WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 200)
    draws = list(w)
    assert len(draws) == 200 and set(draws) == {1, 3} and draws.count(3) > draws.count(1)
    no_rep = list(WeightedRandomSampler([1.0, 1.0, 1.0], 3, replacement=False))
    assert sorted(no_rep) == [0, 1, 2]
    with pytest.raises(ValueError, match="num_samples"):
        WeightedRandomSampler([1.0], 0)


# ---- collation ----------------------------------------------------------------------

Point = collections.namedtuple("Point", "x y")


def test_default_collate_types():
    out = default_collate([ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0])])
    assert out.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    arr = default_collate([np.zeros(2, np.float32), np.ones(2, np.float32)])
    assert arr.dtype == ember.float32 and arr.shape == (2, 2)
    assert default_collate([1.5, 2.5]).dtype == ember.float64
    assert default_collate([1, 2]).dtype == ember.int64
    assert default_collate([True, False]).dtype == ember.bool
    assert default_collate([np.float32(1), np.float32(2)]).dtype == ember.float32
    assert default_collate(["a", "b"]) == ["a", "b"]
    d = default_collate([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}])
    assert d["a"].tolist() == [1, 2] and d["b"] == ["x", "y"]
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3] and p.y.dtype == ember.float64
    t = default_collate([(1, "a"), (2, "b")])
    assert isinstance(t, list) and t[0].tolist() == [1, 2] and t[1] == ["a", "b"]
    nested = default_collate([[ember.zeros(2), 1], [ember.ones(2), 2]])
    assert nested[0].shape == (2, 2) and nested[1].tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="batch must contain tensors"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="batch must contain"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_default_convert():
    out = default_convert({"x": np.zeros(2), "s": "k", "t": (np.int64(3), 1)})
    assert out["x"].dtype == ember.float64 and out["s"] == "k"
    assert out["t"][0].item() == 3 and out["t"][1] == 1
    assert default_convert(np.array(["a"]))[0] == "a"


# ---- DataLoader in the main process ---------------------------------------------------

def _ds(n=10):
    return TensorDataset(ember.arange(n).float(), ember.arange(n))


def test_loader_order_batches_and_len():
    dl = DataLoader(_ds(), batch_size=4)
    batches = [y.tolist() for _, y in dl]
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] and len(dl) == 3
    dl = DataLoader(_ds(), batch_size=4, drop_last=True)
    assert [y.tolist() for _, y in dl] == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(dl) == 2
    unbatched = list(DataLoader(_ds(3), batch_size=None))
    assert [y.item() for _, y in unbatched] == [0, 1, 2]
    custom = DataLoader(range(6), batch_sampler=[[5, 0], [2]])
    assert [b.tolist() for b in custom] == [[5, 0], [2]]
    coll = DataLoader(range(4), batch_size=2, collate_fn=lambda b: sum(b))
    assert list(coll) == [1, 5]


def test_loader_shuffle_reproducible():
    def epoch(seed=None, gen=None):
        if seed is not None:
            ember.manual_seed(seed)
        return [y.tolist() for _, y in DataLoader(_ds(20), batch_size=5, shuffle=True,
                                                  generator=gen)]

    a, b = epoch(seed=1), epoch(seed=1)
    assert a == b and sorted(sum(a, [])) == list(range(20)) and sum(a, []) != list(range(20))
    assert epoch(seed=2) != a
    g1, g2 = ember.Generator().manual_seed(7), ember.Generator().manual_seed(7)
    assert epoch(gen=g1) == epoch(gen=g2)


def test_loader_iterable_dataset():
    dl = DataLoader(Range(7), batch_size=3)
    assert [b.tolist() for b in dl] == [[0, 1, 2], [3, 4, 5], [6]] and len(dl) == 3
    assert [b.tolist() for b in DataLoader(Range(7), batch_size=3, drop_last=True)] == \
        [[0, 1, 2], [3, 4, 5]]
    assert get_worker_info() is None


def test_loader_argument_errors():
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(range(3), sampler=SequentialSampler(range(3)), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(range(3), batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="expected unspecified shuffle"):
        DataLoader(Range(3), shuffle=True)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(range(3), persistent_workers=True)
    with pytest.raises(ValueError, match="prefetch_factor"):
        DataLoader(range(3), prefetch_factor=2)
    with pytest.raises(ValueError, match="drop_last"):
        DataLoader(range(3), batch_size=None, drop_last=True)


def test_dataset_base_class_errors():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
