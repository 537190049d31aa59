"""ModelCheckpoint bookkeeping, checkpoint contents, load_from_checkpoint."""

import os

import ember
import pytest
from helpers import BoringModel, quiet_trainer, random_loader

from ember_lightning.callbacks import ModelCheckpoint

SCORES = [0.5, 0.3, 0.4, 0.1, 0.2]   # "val_score" logged in epochs 0..4


class Scripted(BoringModel):
    def validation_step(self, batch, batch_idx):
        self.log("val_score", SCORES[self.current_epoch])


def fit(tmp_path, epochs=5, **ckpt_kwargs):
    cb = ModelCheckpoint(dirpath=tmp_path / "ck", **ckpt_kwargs)
    trainer = quiet_trainer(tmp_path, max_epochs=epochs, limit_train_batches=2,
                            limit_val_batches=1, enable_checkpointing=True, callbacks=[cb])
    trainer.fit(Scripted(), random_loader(), random_loader())
    return cb, trainer


def files(cb):
    return sorted(os.listdir(cb.dirpath))


def test_top_k_min(tmp_path):
    cb, _ = fit(tmp_path, monitor="val_score", mode="min", save_top_k=2,
                filename="{epoch}-{val_score:.2f}")
    assert files(cb) == ["epoch=3-val_score=0.10.ckpt", "epoch=4-val_score=0.20.ckpt"]
    assert cb.best_model_path.endswith("epoch=3-val_score=0.10.ckpt")
    assert cb.best_model_score.item() == pytest.approx(0.1)
    assert cb.kth_value == pytest.approx(0.2)
    assert sorted(os.path.basename(p) for p in cb.best_k_models) == files(cb)


def test_top_k_max_and_last(tmp_path):
    cb, trainer = fit(tmp_path, monitor="val_score", mode="max", save_top_k=1, save_last=True)
    assert files(cb) == ["epoch=0-step=2.ckpt", "last.ckpt"]
    last = ember.load(cb.last_model_path)
    assert last["epoch"] == 4 and last["global_step"] == 10
    assert trainer.checkpoint_callback is cb


def test_no_monitor_keeps_latest_and_every_n_epochs(tmp_path):
    cb, _ = fit(tmp_path, every_n_epochs=2)
    assert files(cb) == ["epoch=3-step=8.ckpt"]
    cb, _ = fit(tmp_path / "all", save_top_k=-1)
    assert files(cb) == [f"epoch={e}-step={2 * e + 2}.ckpt" for e in range(5)]



def test_every_n_train_steps_names(tmp_path):
    cb, _ = fit(tmp_path, epochs=3, every_n_train_steps=3, save_top_k=-1)
    assert files(cb) == ["epoch=1-step=3.ckpt", "epoch=2-step=6.ckpt"]


def test_train_time_interval(tmp_path, monkeypatch):
    """Saves when the interval has passed since the last save (checked after each batch)."""
    from datetime import timedelta

    from ember_lightning.callbacks import model_checkpoint
    clock = iter(range(0, 10_000, 4))  # each look at the clock: 4 s later
    monkeypatch.setattr(model_checkpoint.time, "monotonic", lambda: next(clock))
    cb, _ = fit(tmp_path, epochs=3, train_time_interval=timedelta(seconds=6), save_top_k=-1)
    # clock: 0 at train start, then 4, 8, 12, ... after batches 1, 2, 3, ...
    assert files(cb) == ["epoch=0-step=2.ckpt", "epoch=1-step=4.ckpt", "epoch=2-step=6.ckpt"]
    with pytest.raises(Exception, match="should be mutually exclusive"):
        ModelCheckpoint(every_n_epochs=1, train_time_interval=timedelta(seconds=1))


def test_missing_monitor_raises(tmp_path):
    from ember_lightning import MisconfigurationException
    with pytest.raises(MisconfigurationException, match="could not find the monitored key"):
        fit(tmp_path, monitor="nope")


def test_checkpoint_contents_and_reload(tmp_path):
    cb, trainer = fit(tmp_path, epochs=2, monitor="val_score", save_last=True)
    ckpt = ember.load(cb.last_model_path)
    assert set(ckpt) >= {"epoch", "global_step", "state_dict", "optimizer_states",
                         "lr_schedulers", "loops", "callbacks", "rng_states", "hyper_parameters"}
    assert ckpt["hyper_parameters"] == {"lr": 0.1, "features": 4}
    assert list(ckpt["state_dict"]) == ["layer.weight", "layer.bias"]
    state = ckpt["callbacks"][cb.state_key]
    assert state["best_model_path"] == cb.best_model_path
    model = Scripted.load_from_checkpoint(cb.last_model_path, lr=0.5)
    assert model.hparams.lr == 0.5 and model.hparams.features == 4
    trained = trainer.lightning_module.state_dict()
    for k, v in model.state_dict().items():
        assert ember.equal(v, trained[k])
    assert not [f for f in os.listdir(cb.dirpath) if f.startswith(".tmp")]


def test_weights_only_and_strict(tmp_path):
    cb, trainer = fit(tmp_path, epochs=1, save_weights_only=True)
    ckpt = ember.load(cb.best_model_path)
    assert "optimizer_states" not in ckpt
    with pytest.raises(KeyError, match="only the model"):
        trainer.fit(Scripted(), random_loader(), ckpt_path=cb.best_model_path)


def test_default_checkpoint_dir_follows_logger(tmp_path):
    from ember_lightning.loggers import CSVLogger
    trainer = quiet_trainer(tmp_path, max_epochs=1, limit_train_batches=2,
                            enable_checkpointing=True, logger=CSVLogger(tmp_path))
    trainer.fit(BoringModel(), random_loader())
    assert trainer.checkpoint_callback.best_model_path == str(
        (tmp_path / "lightning_logs" / "version_0" / "checkpoints" / "epoch=0-step=2.ckpt").resolve())
