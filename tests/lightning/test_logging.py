"""self.log: on_step/on_epoch defaults and names, epoch reductions, loggers."""

import csv

import ember
import pytest
from helpers import BoringModel, quiet_trainer, random_loader

import ember_lightning as L
from ember_lightning.loggers import CSVLogger


class ScriptedLog(BoringModel):
    """Logs known values: step i of epoch e logs value 10*e + i with batch size i + 1."""

    def training_step(self, batch, batch_idx):
        loss = super().training_step(batch, batch_idx)
        v = 10.0 * self.current_epoch + batch_idx
        self.log("both", v, on_step=True, on_epoch=True, batch_size=batch_idx + 1)
        self.log("summed", v, on_epoch=True, on_step=False, reduce_fx="sum")
        self.log("biggest", ember.tensor(v), on_epoch=True, on_step=False, reduce_fx="max")
        self.log("shown", v, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        self.log("val_v", float(batch_idx), batch_size=2)

    def on_train_epoch_end(self):
        self.log("epoch_hook", 7.0)


def test_step_and_epoch_values(tmp_path):
    model = ScriptedLog()
    trainer = quiet_trainer(tmp_path, max_epochs=2, limit_train_batches=3, limit_val_batches=2)
    trainer.fit(model, random_loader(), random_loader())
    m = trainer.callback_metrics
    # epoch 1 values: 10, 11, 12 with weights 1, 2, 3 -> (10 + 22 + 36) / 6
    assert m["both_epoch"].item() == pytest.approx(68 / 6)
    assert m["both"].item() == pytest.approx(68 / 6)
    assert m["both_step"].item() == 12.0
    assert m["summed"].item() == 33.0
    assert m["biggest"].item() == 12.0
    assert m["shown"].item() == 12.0
    assert m["val_v"].item() == 0.5
    assert m["epoch_hook"].item() == 7.0
    assert "train_loss" in m and "train_loss_epoch" not in m
    assert trainer.progress_bar_metrics == {"shown": 12.0}


def test_csv_logger_rows_and_hparams(tmp_path):
    logger = CSVLogger(tmp_path, name="exp")
    model = ScriptedLog()
    trainer = quiet_trainer(tmp_path, max_epochs=2, limit_train_batches=3, limit_val_batches=2,
                            logger=logger, log_every_n_steps=2)
    trainer.fit(model, random_loader(), random_loader())
    assert logger.log_dir == str(tmp_path / "exp" / "version_0")
    rows = list(csv.DictReader(open(tmp_path / "exp" / "version_0" / "metrics.csv")))
    step_rows = [r for r in rows if r["both_step"]]
    # logged every 2 optimizer steps: after steps 2, 4, 6 -> step column 1, 3, 5
    assert [int(r["step"]) for r in step_rows] == [1, 3, 5]
    assert [float(r["both_step"]) for r in step_rows] == [1.0, 10.0, 12.0]
    epoch_rows = [r for r in rows if r["both_epoch"]]
    assert [int(r["epoch"]) for r in epoch_rows] == [0, 1]
    assert float(epoch_rows[0]["both_epoch"]) == pytest.approx((0 + 2 + 6) / 6)
    val_rows = [r for r in rows if r["val_v"]]
    assert [float(r["val_v"]) for r in val_rows] == [0.5, 0.5]
    text = (tmp_path / "exp" / "version_0" / "hparams.yaml").read_text()
    assert "lr: 0.1" in text and "features: 4" in text
    assert CSVLogger(tmp_path, name="exp").version == 1


def test_log_rejects_bad_values(tmp_path):
    class Bad(BoringModel):
        def training_step(self, batch, batch_idx):
            self.log("vec", ember.ones(3))
            return super().training_step(batch, batch_idx)

    with pytest.raises(ValueError, match="single element"):
        quiet_trainer(tmp_path, max_epochs=1, limit_train_batches=1).fit(Bad(), random_loader())


def test_multiple_val_loaders_suffix_and_results(tmp_path):
    class Multi(BoringModel):
        def validation_step(self, batch, batch_idx, dataloader_idx=0):
            self.log("v", float(dataloader_idx))

    trainer = quiet_trainer(tmp_path)
    out = trainer.validate(Multi(), [random_loader(), random_loader()], verbose=False)
    assert out == [{"v/dataloader_idx_0": 0.0}, {"v/dataloader_idx_1": 1.0}]


def test_test_returns_metrics(tmp_path):
    model = BoringModel()
    trainer = quiet_trainer(tmp_path)
    loader = random_loader(n=8, batch_size=8)
    (res,) = trainer.test(model, loader, verbose=False)
    x, y = next(iter(loader))
    expected = ember.nn.functional.mse_loss(model(x), y).item()
    assert res["test_loss"] == pytest.approx(expected, rel=1e-6)


def test_seed_everything_reproduces():
    s = L.seed_everything(123)
    a = ember.rand(3).tolist()
    L.seed_everything(123)
    assert s == 123 and ember.rand(3).tolist() == a
