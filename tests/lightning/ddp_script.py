"""Run by test_ddp.py on N ranks (``ddp_script.py OUT [ACCELERATOR [N]]``, cpu and 2 by
default): Trainer(strategy="ddp", devices=N) must end with the weights of one process trained
on the combined batches."""

import copy
import sys
from pathlib import Path

import ember
from ember import nn
from ember.utils.data import DataLoader, TensorDataset
from ember_lightning import LightningModule, Trainer
from ember_lightning.callbacks import ModelCheckpoint


class Regressor(LightningModule):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1)).double()
        self.seen_ranks = set()

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss, sync_dist=True, on_epoch=True)
        return loss

    def configure_optimizers(self):
        return ember.optim.SGD(self.parameters(), lr=0.1)


def main():
    out = Path(sys.argv[1])
    accelerator = sys.argv[2] if len(sys.argv) > 2 else "cpu"
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    ember.manual_seed(0)
    x = ember.randn(32, 3, dtype=ember.float64)
    y = x.sum(1, keepdim=True).sin()
    data = TensorDataset(x, y)
    ember.manual_seed(1)
    model = Regressor()
    start = copy.deepcopy(model.state_dict())
    ckpt = ModelCheckpoint(dirpath=out, filename="last", save_top_k=1, monitor=None)
    trainer = Trainer(strategy="ddp", devices=n, accelerator=accelerator, max_epochs=2,
                      logger=False,
                      enable_progress_bar=False, enable_model_summary=False, callbacks=[ckpt],
                      num_sanity_val_steps=0)
    trainer.fit(model, DataLoader(data, batch_size=4))
    rank = trainer.global_rank
    assert trainer.world_size == n and model.global_rank == rank
    ref = Regressor()
    ref.load_state_dict(start)
    plain = Trainer(accelerator=accelerator, max_epochs=2, logger=False,
                    enable_progress_bar=False, enable_model_summary=False,
                    enable_checkpointing=False)
    plain.fit(ref, DataLoader(data, batch_size=4 * n))
    diff = max(float((p - q).abs().max()) for p, q in zip(model.parameters(), ref.parameters()))
    assert all(p.device.type == ("cuda" if accelerator == "gpu" else "cpu")
               for p in model.parameters())
    assert diff < 1e-6, diff
    metric = float(trainer.callback_metrics["train_loss_epoch"])
    sys.stdout.write(f"rank {rank} diff={diff:.3g} loss={metric:.12f}\n")  # one write per line
    sys.stdout.flush()


if __name__ == "__main__":
    main()
