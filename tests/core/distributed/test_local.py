"""A world of one process: no launcher and no MPI; collectives are local no-ops/copies."""

import pytest

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP


def test_not_initialized_errors():
    assert dist.is_available() and not dist.is_initialized()
    with pytest.raises(ValueError, match="has not been initialized"):
        dist.get_rank()
    with pytest.raises(ValueError, match="has not been initialized"):
        DDP(nn.Linear(2, 2))


def test_group_basics(world):
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "gloo")
    with pytest.raises(ValueError, match="twice"):
        dist.init_process_group()
    g = dist.new_group([0])
    assert dist.get_world_size(g) == 1
    dist.barrier()


def test_init_rejects_bad_arguments(monkeypatch):
    for k in ("RANK", "WORLD_SIZE", "PMI_RANK", "PMI_SIZE"):
        monkeypatch.delenv(k, raising=False)
    with pytest.raises(ValueError, match="Invalid backend 'ucc'"):
        dist.init_process_group("ucc")
    if not dist.is_nccl_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="rank=1 does not match"):
        dist.init_process_group("mpi", world_size=1, rank=1)
    assert not dist.is_initialized()


@pytest.mark.parametrize("dtype", [ember.float32, ember.int64, ember.bfloat16, ember.bool])
def test_collectives_are_identity(world, dtype):
    x = ember.tensor([1, 0, 3]).to(dtype)
    t = x.clone()
    for op in (dist.ReduceOp.SUM, dist.ReduceOp.MAX, dist.ReduceOp.PRODUCT):
        dist.all_reduce(t, op=op)
        assert bool((t == x).all())
    assert dist.all_reduce(t, async_op=True).wait()
    out = [ember.zeros(3, dtype=dtype)]
    dist.all_gather(out, x)
    assert bool((out[0] == x).all())
    big = ember.zeros(3, dtype=dtype)
    dist.all_gather_into_tensor(big, x)
    assert bool((big == x).all())
    s = ember.zeros(3, dtype=dtype)
    dist.scatter(s, [x], src=0)
    assert bool((s == x).all())
    outs = [ember.zeros(3, dtype=dtype)]
    dist.all_to_all(outs, [x])
    assert bool((outs[0] == x).all())


def test_avg_and_objects(world):
    t = ember.tensor([2.0, 4.0])
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    assert t.tolist() == [2.0, 4.0]
    objs = [{"k": 1}]
    dist.broadcast_object_list(objs)
    got = [None]
    dist.all_gather_object(got, "me")
    assert objs == [{"k": 1}] and got == ["me"]
    with pytest.raises(ValueError, match="cannot send to itself"):
        dist.send(t, dst=0)


def test_checks_contiguity_and_list_length(world):
    with pytest.raises(ValueError, match="Tensors must be contiguous"):
        dist.all_reduce(ember.ones(2, 3).t())
    with pytest.raises(ValueError, match="one tensor per rank"):
        dist.all_gather([ember.zeros(2), ember.zeros(2)], ember.ones(2))


def test_ddp_of_one_matches_plain_training(world):
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    ref = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    ref.load_state_dict(model.state_dict())
    ddp = DDP(model)
    x = ember.randn(5, 3)
    ddp(x).sum().backward()
    ref(x).sum().backward()
    for p, q in zip(model.parameters(), ref.parameters()):
        assert float((p.grad - q.grad).abs().max()) == 0.0
    assert list(ddp.state_dict()) == ["module.0.weight", "module.0.bias", "module.2.weight",
                                      "module.2.bias"]


def test_load_state_dict_explains_module_prefix(world):
    ddp = DDP(nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match=r'keys carry a "module." prefix'):
        nn.Linear(2, 2).load_state_dict(ddp.state_dict())
