"""Run by test_ddp.py under the launcher (2 ranks). DDP training on each rank's half of
every batch must end with the weights of one process trained on the whole batches."""

import copy
import sys

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP


def mlp():
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(),
                         nn.Linear(16, 3)).double()


class WithSpare(nn.Module):
    """An MLP plus a layer forward never uses (find_unused_parameters must cope)."""

    def __init__(self):
        super().__init__()
        self.body = mlp()
        self.spare = nn.Linear(2, 2).double()

    def forward(self, x):
        return self.body(x)


def max_diff(a, b):
    return max(float((p - q).abs().max()) for p, q in zip(a.parameters(), b.parameters()))


def main():
    mode = sys.argv[1]
    dist.init_process_group("mpi")
    rank, n = dist.get_rank(), dist.get_world_size()
    ember.manual_seed(100 + rank)          # different init per rank: DDP must broadcast rank 0's
    if mode == "unused_error":  # without find_unused_parameters the next forward explains
        ddp = DDP(WithSpare())
        x = ember.randn(2, 6, dtype=ember.float64)
        ddp(x).sum().backward()
        try:
            ddp(x)
        except RuntimeError as e:
            assert "find_unused_parameters=True" in str(e)
            if rank == 0:
                print("DDP OK unused_error maxdiff=0", flush=True)
            return
        raise AssertionError("no error for an unfinished reduction")
    model = WithSpare() if mode.startswith("unused") else mlp()
    # a tiny bucket cap gives several buckets (exercises in-order launching)
    ddp = DDP(model, bucket_cap_mb=0.0005,
              find_unused_parameters=(mode == "unused"))
    ref = copy.deepcopy(model)            # after DDP's broadcast: identical on all ranks
    opt = ember.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    ref_opt = ember.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    ember.manual_seed(0)                   # same data on every rank
    batches = [(ember.randn(8, 6, dtype=ember.float64), ember.randint(0, 3, (8,)))
               for _ in range(6)]
    loss_fn = nn.CrossEntropyLoss()
    if mode in ("train", "unused"):
        for x, y in batches:
            mine = slice(rank * 4, rank * 4 + 4)
            opt.zero_grad()
            loss_fn(ddp(x[mine]), y[mine]).backward()
            opt.step()
            ref_opt.zero_grad()
            loss_fn(ref(x), y).backward()
            ref_opt.step()
    elif mode == "no_sync":
        # two micro-batches per step: the first accumulates locally, the second syncs
        for i in range(0, len(batches), 2):
            opt.zero_grad()
            ref_opt.zero_grad()
            for j, (x, y) in enumerate(batches[i:i + 2]):
                mine = slice(rank * 4, rank * 4 + 4)
                if j == 0:
                    with ddp.no_sync():
                        (loss_fn(ddp(x[mine]), y[mine]) / 2).backward()
                    local = [p.grad.clone() for p in model.parameters()]
                    others = []
                    for g in local:
                        both = [ember.zeros_like(g) for _ in range(n)]
                        dist.all_gather(both, g)
                        others.append(both[1 - rank])
                    # inside no_sync nothing was reduced: ranks saw different data
                    assert any(float((a - b).abs().max()) > 0 for a, b in zip(local, others))
                else:
                    (loss_fn(ddp(x[mine]), y[mine]) / 2).backward()
                (loss_fn(ref(x), y) / 2).backward()
            opt.step()
            ref_opt.step()
    diff = max_diff(model, ref)
    assert diff < 1e-6, f"DDP weights differ from single-process training by {diff}"
    # every rank holds the same weights
    first = model.body[0] if mode == "unused" else model[0]
    w = first.weight.detach().clone()
    dist.broadcast(w, src=0)
    assert float((w - first.weight.detach()).abs().max()) == 0.0
    if mode == "unused":  # unused on every rank: its gradient stays None, as in torch
        assert model.spare.weight.grad is None
    else:
        assert list(ddp.state_dict())[0] == "module.0.weight"
    if rank == 0:
        print(f"DDP OK {mode} maxdiff={diff:.3g}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
