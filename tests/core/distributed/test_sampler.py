"""DistributedSampler partitions exactly as torch's (no MPI needed)."""

import pytest

import ember
from ember.utils.data import DataLoader, DistributedSampler, TensorDataset


def parts(n, replicas, **kw):
    return [list(DistributedSampler(range(n), replicas, r, **kw)) for r in range(replicas)]


def test_strided_split_without_shuffle():
    assert parts(10, 4, shuffle=False) == [[0, 4, 8], [1, 5, 9], [2, 6, 0], [3, 7, 1]]


def test_drop_last_cuts_the_tail():
    assert parts(10, 4, shuffle=False, drop_last=True) == [[0, 4], [1, 5], [2, 6], [3, 7]]
    assert len(DistributedSampler(range(10), 4, 0, drop_last=True)) == 2


def test_padding_wraps_more_than_once_for_tiny_datasets():
    assert parts(2, 5, shuffle=False) == [[0], [1], [0], [1], [0]]


@pytest.mark.parametrize("n,replicas", [(1, 1), (7, 2), (10, 3), (13, 4), (16, 4)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_partition_covers_every_index_once_plus_padding(n, replicas, drop_last):
    ps = parts(n, replicas, shuffle=True, seed=3, drop_last=drop_last)
    flat = [i for p in ps for i in p]
    assert all(len(p) == len(ps[0]) == len(DistributedSampler(range(n), replicas, 0,
                                                                drop_last=drop_last))
               for p in ps)
    if drop_last:
        assert len(set(flat)) == len(flat) == (n // replicas) * replicas
    else:
        assert set(flat) == set(range(n)) and len(flat) == -(-n // replicas) * replicas


def test_shuffle_is_seeded_by_seed_and_epoch():
    s = DistributedSampler(range(20), 2, 0, seed=5)
    first = list(s)
    assert list(DistributedSampler(range(20), 2, 0, seed=5)) == first
    s.set_epoch(1)
    assert list(s) != first and sorted(list(s) + list(DistributedSampler(range(20), 2, 1,
                                                                          seed=5))) != []
    other = DistributedSampler(range(20), 2, 1, seed=5)
    other.set_epoch(1)
    assert sorted(list(s) + list(other)) == list(range(20))


def test_invalid_rank_and_missing_group():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    import ember.distributed as dist
    if not dist.is_initialized():
        with pytest.raises(RuntimeError, match="Requires distributed package"):
            DistributedSampler(range(4))


def test_works_with_dataloader():
    ds = TensorDataset(ember.arange(10))
    s = DistributedSampler(ds, 2, 1, shuffle=False)
    got = [int(v) for (b,) in DataLoader(ds, batch_size=2, sampler=s) for v in b]
    assert got == [1, 3, 5, 7, 9]
