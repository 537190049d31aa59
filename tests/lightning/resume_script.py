"""Training run used by test_resume.py: ``python resume_script.py ROOT MODE OUT``.

MODE: "full" trains 3 epochs; "crash" SIGKILLs itself in the middle of epoch 1 (after
last.ckpt was written for the previous batch); "two" stops after 2 epochs; "resume" continues
from ROOT/ck/last.ckpt up to 3 epochs. The final weights go to OUT (.npz).
"""

import os
import random
import signal
import sys

import numpy as np

import ember
import ember.optim  # noqa: F401  (`import ember` alone does not load ember.optim yet)
import ember.utils.data  # noqa: F401
from ember import nn
from ember.utils.data import DataLoader, TensorDataset

import ember_lightning as L
from ember_lightning.callbacks import ModelCheckpoint


class Noisy(L.LightningModule):
    """Uses all three random generators in every step, so their states must be restored."""

    def __init__(self, crash_at=None):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
        self.crash_at = crash_at

    def training_step(self, batch, batch_idx):
        x, y = batch
        x = x + 0.1 * ember.randn(*x.shape) + float(np.random.rand()) * 0.01 + random.random() * 0.01
        loss = nn.functional.mse_loss(self.net(x), y)
        self.log("loss", loss)
        return loss

    def on_train_batch_start(self, batch, batch_idx):
        if (self.current_epoch, batch_idx) == self.crash_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def configure_optimizers(self):
        opt = ember.optim.Adam(self.parameters(), lr=0.01)
        sched = ember.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.5)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def main(root, mode, out):
    L.seed_everything(7)
    g = ember.Generator().manual_seed(0)
    x = ember.randn(40, 4, generator=g)
    loader = DataLoader(TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4, shuffle=True)
    model = Noisy(crash_at=(1, 4) if mode == "crash" else None)
    ckpt = ModelCheckpoint(dirpath=os.path.join(root, "ck"), every_n_train_steps=1,
                           save_last=True, save_top_k=0)
    trainer = L.Trainer(max_epochs=2 if mode == "two" else 3, deterministic=True, logger=False,
                        callbacks=[ckpt], enable_progress_bar=False, enable_model_summary=False,
                        default_root_dir=root)
    trainer.fit(model, loader, ckpt_path="last" if mode == "resume" else None)
    np.savez(out, **{k: v.detach().numpy() for k, v in model.state_dict().items()},
             global_step=trainer.global_step, epoch=trainer.current_epoch)


if __name__ == "__main__":
    main(*sys.argv[1:])
