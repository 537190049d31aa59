"""Trainer overhead per training step: ember_lightning's ``Trainer.fit`` against the same loop
written by hand in ember (forward, cross-entropy, zero_grad, backward, Adam step), and the same
model and data in real Lightning + torch.

Prints the median time per step of each over several interleaved repeats, the ratio
trainer/hand (target: within 1.05) and Lightning_time/ember_Trainer_time (target: at least 1.0).
Both Trainers run without logger, checkpointing, progress bar or model summary, for the same
steps, with torch on as many threads as ember. PyTorch's hand loop is shown for scale.
The machine is shared: numbers are noisy while others run.

    python bench/lightning.py [--steps 200] [--repeats 5] [--threads N]

The Lightning side runs where ``lightning`` imports; to keep it out of ember's environment, put
it in a virtualenv of its own and point that at the source tree:

    python -m venv /tmp/plvenv && /tmp/plvenv/bin/pip install torch==2.13.0 lightning cffi
    PYTHONPATH=core/src:lightning/src /tmp/plvenv/bin/python bench/lightning.py
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import statistics
import sys
import time
import warnings

import numpy as np

import ember
import ember.optim  # noqa: F401
from ember import nn
from ember.nn import functional as F

import ember_lightning as L
from ember_lightning.callbacks import TQDMProgressBar

_BAREBONES = dict(logger=False, enable_checkpointing=False, enable_progress_bar=False,
                  enable_model_summary=False)


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
        kw = dict(_BAREBONES, callbacks=[timer])
    else:
        kw = dict(enable_checkpointing=False, enable_model_summary=False,
                  default_root_dir="/tmp/ember_lightning_bench",
                  callbacks=[TQDMProgressBar(stream=io.StringIO()), timer])
    trainer = L.Trainer(max_epochs=1, accelerator="cpu", num_sanity_val_steps=0, **kw)
    trainer.fit(Lit(model), Preloaded(batches))
    return timer.elapsed / len(batches)


# ------------------------------------------------------------------ torch and Lightning
def import_lightning():
    """``lightning.pytorch``, or None. This file is named lightning.py: while its folder is on
    sys.path, ``import lightning`` would find this file instead of the package."""
    here = os.path.dirname(os.path.abspath(__file__))
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    try:
        import lightning.pytorch as pl
        return pl
    except ImportError:
        return None
    finally:
        sys.path[:] = saved


class TorchSide:
    """The same model (weights copied from ember's), data and optimizer in torch."""

    def __init__(self, batches, pl) -> None:
        import torch
        self.torch, self.pl = torch, pl
        torch.set_num_threads(ember.get_num_threads())
        self.batches = [(torch.from_numpy(np.asarray(x).copy()), torch.from_numpy(
            np.asarray(y).astype(np.int64))) for x, y in batches]

    def model(self, ember_model):
        torch = self.torch
        width = ember_model[0].out_features
        m = torch.nn.Sequential(torch.nn.Linear(64, width), torch.nn.ReLU(),
                                torch.nn.Linear(width, width), torch.nn.ReLU(),
                                torch.nn.Linear(width, 10))
        m.load_state_dict({k: torch.from_numpy(np.asarray(v.detach()).copy())
                           for k, v in ember_model.state_dict().items()})
        return m

    def hand_loop(self, model) -> float:
        torch = self.torch
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        model.train()
        t = time.perf_counter()
        for x, y in self.batches:
            loss = torch.nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return (time.perf_counter() - t) / len(self.batches)

    def trainer_loop(self, model) -> float:
        torch, pl = self.torch, self.pl

        class PLit(pl.LightningModule):
            def __init__(self, net):
                super().__init__()
                self.net = net

            def training_step(self, batch, batch_idx):
                x, y = batch
                loss = torch.nn.functional.cross_entropy(self.net(x), y)
                self.log("train_loss", loss)
                return loss

            def configure_optimizers(self):
                return torch.optim.Adam(self.parameters(), lr=1e-3)

        class PLTimer(pl.Callback):
            def on_train_start(self, trainer, pl_module):
                self.t = time.perf_counter()

            def on_train_end(self, trainer, pl_module):
                self.elapsed = time.perf_counter() - self.t

        timer = PLTimer()
        trainer = pl.Trainer(max_epochs=1, accelerator="cpu", devices=1, num_sanity_val_steps=0,
                             callbacks=[timer], **_BAREBONES)
        trainer.fit(PLit(model), Preloaded(self.batches))
        return timer.elapsed / len(self.batches)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=None,
                    help="threads for ember and torch alike (default: ember's)")
    args = ap.parse_args()
    if args.threads:
        ember.set_num_threads(args.threads)
    batches = make_batches(args.steps, args.batch)
    try:
        import torch  # noqa: F401
        pl = import_lightning()
        side = TorchSide(batches, pl)
    except ImportError:
        pl = side = None
    warnings.filterwarnings("ignore")  # Lightning's hints about workers and loggers
    for name in ("lightning.pytorch", "lightning.fabric"):  # and its banner lines
        logging.getLogger(name).setLevel(logging.ERROR)
    res: dict[str, list[float]] = {"ember hand loop": [], "ember Trainer": [],
                                   "ember Trainer+bar+csv": []}
    if side is not None:
        res["torch hand loop"] = []
    if pl is not None:
        res["Lightning Trainer"] = []
    for _ in range(args.repeats):  # interleaved, so load changes hit every row alike
        ember.manual_seed(0)
        res["ember hand loop"].append(hand_loop(make_model(args.width), batches))
        ember.manual_seed(0)
        res["ember Trainer"].append(trainer_loop(make_model(args.width), batches, True))
        ember.manual_seed(0)
        res["ember Trainer+bar+csv"].append(trainer_loop(make_model(args.width), batches, False))
        if side is not None:
            ember.manual_seed(0)
            res["torch hand loop"].append(side.hand_loop(side.model(make_model(args.width))))
        if pl is not None:
            ember.manual_seed(0)
            res["Lightning Trainer"].append(side.trainer_loop(side.model(make_model(args.width))))
    med = {k: statistics.median(v) * 1e6 for k, v in res.items()}
    print(f"MLP 64-{args.width}-{args.width}-10, batch {args.batch}, {args.steps} steps, "
          f"median of {args.repeats}, {ember.get_num_threads()} threads")
    hand = med["ember hand loop"]
    for k in ("ember hand loop", "ember Trainer", "ember Trainer+bar+csv"):
        print(f"  {k:<22} {med[k]:9.1f} us/step   trainer/hand {med[k] / hand:.3f}")
    if "torch hand loop" in med:
        t = med["torch hand loop"]
        print(f"  {'torch hand loop':<22} {t:9.1f} us/step   torch_hand/ember_hand {t / hand:.3f}")
    if "Lightning Trainer" in med:
        t = med["Lightning Trainer"]
        print(f"  {'Lightning Trainer':<22} {t:9.1f} us/step   "
              f"Lightning/ember_Trainer {t / med['ember Trainer']:.3f}   "
              f"Lightning/torch_hand {t / med['torch hand loop']:.3f}")
    else:
        print("  Lightning Trainer: `lightning` does not import here (see the docstring)")


if __name__ == "__main__":
    main()
