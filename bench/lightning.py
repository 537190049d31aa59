"""Trainer overhead per training step: ember_lightning's ``Trainer.fit`` against the same loop
written by hand in ember (forward, cross-entropy, zero_grad, backward, Adam step).

Prints the median time per step of each over several repeats, and the ratio
trainer/hand (target: within 1.05). PyTorch's hand loop is shown for scale when installed.
The machine is shared: numbers are noisy while others run.

    python bench/lightning.py [--steps 200] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import ember
import ember.optim  # noqa: F401
from ember import nn
from ember.nn import functional as F

import ember_lightning as L


def make_model(width: int):
    return nn.Sequential(nn.Linear(64, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                         nn.Linear(width, 10))


def make_batches(n: int, batch: int):
    g = ember.Generator().manual_seed(0)
    return [(ember.randn(batch, 64, generator=g), ember.randint(0, 10, (batch,), generator=g))
            for _ in range(n)]


class Preloaded:
    """Ready-made batches as a loader (a plain list would mean "several dataloaders")."""

    def __init__(self, batches):
        self.batches = batches

    def __iter__(self):
        return iter(self.batches)

    def __len__(self):
        return len(self.batches)


def hand_loop(model, batches) -> float:
    opt = ember.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    t = time.perf_counter()
    for x, y in batches:
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (time.perf_counter() - t) / len(batches)


class Lit(L.LightningModule):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self.net(x), y)
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self):
        return ember.optim.Adam(self.parameters(), lr=1e-3)


class StepTimer(L.Callback):
    def on_train_start(self, trainer, pl_module):
        self.t = time.perf_counter()

    def on_train_end(self, trainer, pl_module):
        self.elapsed = time.perf_counter() - self.t


def trainer_loop(model, batches, barebones: bool) -> float:
    timer = StepTimer()
    if barebones:
        kw = dict(logger=False, enable_checkpointing=False, enable_progress_bar=False,
                  enable_model_summary=False)
    else:
        kw = dict(enable_checkpointing=False, enable_model_summary=False,
                  default_root_dir="/tmp/ember_lightning_bench")
    if not barebones:
        from ember_lightning.callbacks import TQDMProgressBar
        import io
        kw["callbacks"] = [TQDMProgressBar(stream=io.StringIO())]
    trainer = L.Trainer(max_epochs=1, accelerator="cpu", num_sanity_val_steps=0, **kw)
    trainer.callbacks.append(timer)
    trainer.fit(Lit(model), Preloaded(batches))
    return timer.elapsed / len(batches)


def torch_loop(width: int, n: int, batch: int) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, width), torch.nn.ReLU(),
                                torch.nn.Linear(width, width), torch.nn.ReLU(),
                                torch.nn.Linear(width, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = [(torch.randn(batch, 64), torch.randint(0, 10, (batch,))) for _ in range(n)]
    t = time.perf_counter()
    for x, y in data:
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (time.perf_counter() - t) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    batches = make_batches(args.steps, args.batch)
    res: dict[str, list[float]] = {"hand": [], "trainer": [], "trainer+bar+csv": []}
    for _ in range(args.repeats):  # interleaved, so load changes hit all three alike
        ember.manual_seed(0)
        res["hand"].append(hand_loop(make_model(args.width), batches))
        ember.manual_seed(0)
        res["trainer"].append(trainer_loop(make_model(args.width), batches, barebones=True))
        ember.manual_seed(0)
        res["trainer+bar+csv"].append(trainer_loop(make_model(args.width), batches, False))
    med = {k: statistics.median(v) * 1e6 for k, v in res.items()}
    print(f"MLP 64-{args.width}-{args.width}-10, batch {args.batch}, {args.steps} steps, "
          f"median of {args.repeats}")
    for k, v in med.items():
        print(f"  {k:<18} {v:9.1f} us/step   ratio to hand loop {v / med['hand']:.3f}")
    t = torch_loop(args.width, args.steps, args.batch)
    if t is not None:
        print(f"  {'torch hand loop':<18} {t * 1e6:9.1f} us/step   torch_time/ember_hand_time "
              f"{t * 1e6 / med['hand']:.3f}")


if __name__ == "__main__":
    main()
