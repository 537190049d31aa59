"""The training loop: accumulation, clipping, schedulers, limits, intervals, early stopping,
manual optimisation, predict."""

import math

import ember
import ember.optim  # noqa: F401  (`import ember` alone does not load ember.optim yet)
import ember.utils.data  # noqa: F401
import pytest
from ember import nn
from helpers import BoringModel, quiet_trainer, random_loader, weights

import ember_lightning as L
from ember_lightning.callbacks import Callback, EarlyStopping, LearningRateMonitor
from ember_lightning.loggers import CSVLogger


def test_accumulation_equals_big_batch(tmp_path):
    """2 batches of 4 accumulated == 1 batch of 8 (mean losses, SGD)."""
    ember.manual_seed(0)
    a = BoringModel()
    b = BoringModel()
    b.load_state_dict(a.state_dict())
    quiet_trainer(tmp_path, max_epochs=1, accumulate_grad_batches=2).fit(
        a, random_loader(n=16, batch_size=4))
    quiet_trainer(tmp_path, max_epochs=1).fit(b, random_loader(n=16, batch_size=8))
    for k, v in weights(a).items():
        assert ember.allclose(v, weights(b)[k], atol=1e-6)


class GradProbe(Callback):
    """Records the gradient norm / max after the trainer clipped (before the step)."""

    def __init__(self):
        self.norms, self.maxes = [], []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        pass


class Clipped(BoringModel):
    def __init__(self):
        super().__init__(lr=0.0)
        self.norms, self.maxes = [], []

    def configure_gradient_clipping(self, optimizer, gradient_clip_val=None,
                                    gradient_clip_algorithm=None):
        super().configure_gradient_clipping(optimizer, gradient_clip_val, gradient_clip_algorithm)
        grads = [p.grad for p in self.parameters()]
        self.norms.append(math.sqrt(sum(float((g * g).sum()) for g in grads)))
        self.maxes.append(max(float(g.abs().max()) for g in grads))

    def training_step(self, batch, batch_idx):
        return super().training_step(batch, batch_idx) * 100.0


def test_gradient_clipping_norm_and_value(tmp_path):
    m = Clipped()
    quiet_trainer(tmp_path, max_epochs=1, limit_train_batches=2, gradient_clip_val=0.5).fit(
        m, random_loader())
    assert all(n == pytest.approx(0.5, rel=1e-3) for n in m.norms)
    m = Clipped()
    quiet_trainer(tmp_path, max_epochs=1, limit_train_batches=2, gradient_clip_val=0.01,
                  gradient_clip_algorithm="value").fit(m, random_loader())
    assert all(x == pytest.approx(0.01) for x in m.maxes)


class Scheduled(BoringModel):
    def __init__(self, interval, frequency=1):
        super().__init__()
        self.interval, self.frequency = interval, frequency

    def configure_optimizers(self):
        opt = ember.optim.SGD(self.parameters(), lr=1.0)
        sched = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": self.interval,
                                                    "frequency": self.frequency}}


@pytest.mark.parametrize("interval,frequency,expected", [
    ("step", 1, 0.5 ** 6), ("step", 2, 0.5 ** 3), ("epoch", 1, 0.5 ** 2)])
def test_scheduler_intervals(tmp_path, interval, frequency, expected):
    m = Scheduled(interval, frequency)
    t = quiet_trainer(tmp_path, max_epochs=2, limit_train_batches=3)
    t.fit(m, random_loader())
    assert t.optimizers[0].param_groups[0]["lr"] == pytest.approx(expected)
    assert m.lr_schedulers() is t.lr_scheduler_configs[0].scheduler


def test_configure_optimizers_forms():
    from ember_lightning.core.optimizer import parse_configure_optimizers
    p = [nn.Parameter(ember.zeros(1))]
    o = ember.optim.SGD(p, lr=0.1)
    s = ember.optim.lr_scheduler.StepLR(o, 1)
    assert parse_configure_optimizers(o) == ([o], [])
    opts, cfgs = parse_configure_optimizers(([o], [s]))
    assert opts == [o] and cfgs[0].scheduler is s and cfgs[0].interval == "epoch"
    opts, cfgs = parse_configure_optimizers({"optimizer": o, "lr_scheduler": s})
    assert cfgs[0].scheduler is s
    with pytest.raises(ValueError, match="monitor"):
        parse_configure_optimizers({"optimizer": o, "lr_scheduler":
                                    ember.optim.lr_scheduler.ReduceLROnPlateau(o)})
    with pytest.raises(ValueError, match="interval"):
        parse_configure_optimizers({"optimizer": o, "lr_scheduler": {"scheduler": s,
                                                                     "interval": "bad"}})


def test_lr_monitor(tmp_path):
    lrm = LearningRateMonitor(logging_interval="epoch")
    t = quiet_trainer(tmp_path, max_epochs=3, limit_train_batches=2, callbacks=[lrm],
                      logger=CSVLogger(tmp_path))
    t.fit(Scheduled("epoch"), random_loader())
    assert lrm.lrs == {"lr-SGD": [1.0, 0.5, 0.25]}


class Counting(BoringModel):
    def __init__(self):
        super().__init__()
        self.train_batches, self.val_batches, self.val_runs = 0, 0, 0

    def training_step(self, batch, batch_idx):
        self.train_batches += 1
        return super().training_step(batch, batch_idx)

    def validation_step(self, batch, batch_idx):
        self.val_batches += 1
        super().validation_step(batch, batch_idx)

    def on_validation_epoch_start(self):
        self.val_runs += not self.trainer.sanity_checking


@pytest.mark.parametrize("kwargs,train,val_runs,val_batches,steps", [
    (dict(max_epochs=2), 8, 2, 8, 8),
    (dict(max_epochs=2, limit_train_batches=0.5, limit_val_batches=1), 4, 2, 2, 4),
    (dict(max_epochs=1, val_check_interval=0.5), 4, 2, 8, 4),
    (dict(max_epochs=1, val_check_interval=1), 4, 4, 16, 4),
    (dict(max_epochs=4, check_val_every_n_epoch=2), 16, 2, 8, 16),
    (dict(max_steps=5), 5, 1, 4, 5),
    (dict(max_epochs=3, num_sanity_val_steps=2, limit_val_batches=3), 12, 3, 11, 12),
])
def test_limits_and_intervals(tmp_path, kwargs, train, val_runs, val_batches, steps):
    m = Counting()
    t = quiet_trainer(tmp_path, **{"num_sanity_val_steps": 0, **kwargs})
    t.fit(m, random_loader(), random_loader())
    assert (m.train_batches, m.val_runs, m.val_batches, t.global_step) == (
        train, val_runs, val_batches, steps)


def test_fast_dev_run(tmp_path):
    m = Counting()
    t = L.Trainer(fast_dev_run=2, default_root_dir=tmp_path, enable_progress_bar=False,
                  enable_model_summary=False)
    t.fit(m, random_loader(), random_loader())
    assert (m.train_batches, m.val_batches, t.global_step) == (2, 2, 2)
    assert not (tmp_path / "lightning_logs").exists() and t.logger is None


def test_on_train_batch_start_minus_one_skips_epoch_rest(tmp_path):
    class Skip(Counting):
        def on_train_batch_start(self, batch, batch_idx):
            return -1 if batch_idx == 2 else None

    m = Skip()
    quiet_trainer(tmp_path, max_epochs=2).fit(m, random_loader())
    assert m.train_batches == 4


class Plateau(BoringModel):
    """val_loss scripted: improves, then flat."""
    VALUES = [1.0, 0.5, 0.6, 0.55, 0.7, 0.1, 0.1, 0.1]

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", self.VALUES[self.current_epoch])


@pytest.mark.parametrize("kwargs,stopped_after", [
    (dict(patience=2), 4), (dict(patience=3), 5), (dict(patience=2, min_delta=0.6), 3),
    (dict(patience=10, stopping_threshold=0.55), 2)])
def test_early_stopping(tmp_path, kwargs, stopped_after):
    es = EarlyStopping(monitor="val_loss", **kwargs)
    t = quiet_trainer(tmp_path, max_epochs=8, limit_train_batches=1, limit_val_batches=1,
                      callbacks=[es])
    t.fit(Plateau(), random_loader(), random_loader())
    assert t.current_epoch == stopped_after and t.should_stop


def test_early_stopping_respects_min_epochs_and_finite(tmp_path):
    es = EarlyStopping(monitor="val_loss", patience=1)
    t = quiet_trainer(tmp_path, max_epochs=8, min_epochs=6, limit_train_batches=1,
                      limit_val_batches=1, callbacks=[es])
    t.fit(Plateau(), random_loader(), random_loader())
    assert t.current_epoch == 6

    class NaN(BoringModel):
        def validation_step(self, batch, batch_idx):
            self.log("val_loss", float("nan") if self.current_epoch == 1 else 1.0)

    t = quiet_trainer(tmp_path, max_epochs=8, limit_train_batches=1, limit_val_batches=1,
                      callbacks=[EarlyStopping(monitor="val_loss", patience=5)])
    t.fit(NaN(), random_loader(), random_loader())
    assert t.current_epoch == 2
    with pytest.raises(RuntimeError, match="not available"):
        quiet_trainer(tmp_path, max_epochs=1, callbacks=[EarlyStopping(monitor="nope")]).fit(
            BoringModel(), random_loader(), random_loader())


class ManualGAN(BoringModel):
    """Two optimizers stepped by hand, as in Lightning's GAN example."""

    def __init__(self):
        super().__init__()
        self.automatic_optimization = False
        self.other = nn.Linear(4, 1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        opt_a, opt_b = self.optimizers()
        loss_a = nn.functional.mse_loss(self.layer(x), y)
        opt_a.zero_grad()
        self.manual_backward(loss_a)
        opt_a.step()
        self.toggle_optimizer(opt_b)
        assert not self.layer.weight.requires_grad and self.other.weight.requires_grad
        loss_b = nn.functional.mse_loss(self.other(x), y)
        opt_b.zero_grad()
        self.manual_backward(loss_b)
        opt_b.step()
        self.untoggle_optimizer(opt_b)
        self.log_dict({"a": loss_a, "b": loss_b})
        sch = self.lr_schedulers()
        sch.step()

    def configure_optimizers(self):
        a = ember.optim.SGD(self.layer.parameters(), lr=0.1)
        b = ember.optim.SGD(self.other.parameters(), lr=0.1)
        return [a, b], [ember.optim.lr_scheduler.StepLR(a, step_size=1, gamma=0.5)]


def test_manual_optimization(tmp_path):
    m = ManualGAN()
    before = weights(m)
    t = quiet_trainer(tmp_path, max_epochs=1, limit_train_batches=3)
    t.fit(m, random_loader())
    assert t.global_step == 6
    after = weights(m)
    assert not ember.equal(before["layer.weight"], after["layer.weight"])
    assert not ember.equal(before["other.weight"], after["other.weight"])
    assert t.optimizers[0].param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 3)
    assert t.optimizers[1].param_groups[0]["lr"] == pytest.approx(0.1)
    assert {"a", "b"} <= set(t.callback_metrics)


def test_multiple_optimizers_need_manual(tmp_path):
    class Two(BoringModel):
        def configure_optimizers(self):
            return [ember.optim.SGD(self.parameters(), lr=0.1)] * 2

    with pytest.raises(L.MisconfigurationException, match="manual optimization"):
        quiet_trainer(tmp_path, max_epochs=1).fit(Two(), random_loader())


def test_predict_returns_batches(tmp_path):
    m = BoringModel()
    loader = random_loader(n=10, batch_size=4)
    preds = quiet_trainer(tmp_path).predict(m, loader)
    assert [tuple(p.shape) for p in preds] == [(4, 1), (4, 1), (2, 1)]
    x = ember.cat([b[0] for b in loader])
    assert ember.allclose(ember.cat(preds), m(x).detach())
    two = quiet_trainer(tmp_path).predict(m, [loader, loader])
    assert len(two) == 2 and len(two[1]) == 3


def test_freeze_unfreeze_and_hparams():
    m = BoringModel(lr=0.3)
    assert m.hparams.lr == 0.3 and m.hparams == {"lr": 0.3, "features": 4}
    m.freeze()
    assert not m.training and not any(p.requires_grad for p in m.parameters())
    m.unfreeze()
    assert m.training and all(p.requires_grad for p in m.parameters())
    with pytest.raises(RuntimeError, match="not attached"):
        m.trainer  # noqa: B018


def test_datamodule(tmp_path):
    from ember.utils.data import TensorDataset
    calls = []

    class DM(L.LightningDataModule):
        def __init__(self, batch_size=4):
            super().__init__()
            self.save_hyperparameters()

        def prepare_data(self):
            calls.append("prepare_data")

        def setup(self, stage):
            calls.append(f"setup:{stage}")
            self.ds = TensorDataset(ember.randn(8, 4), ember.randn(8, 1))

        def train_dataloader(self):
            return ember.utils.data.DataLoader(self.ds, batch_size=self.hparams.batch_size)

        def val_dataloader(self):
            return ember.utils.data.DataLoader(self.ds, batch_size=8)

        def teardown(self, stage):
            calls.append(f"teardown:{stage}")

        def state_dict(self):
            return {"calls": len(calls)}

    t = quiet_trainer(tmp_path, max_epochs=1)
    dm = DM()
    t.fit(BoringModel(), datamodule=dm)
    assert calls == ["prepare_data", "setup:fit", "teardown:fit"] and t.global_step == 2
    t.save_checkpoint(tmp_path / "dm.ckpt")
    ckpt = ember.load(tmp_path / "dm.ckpt")
    assert ckpt[type(dm).__qualname__] == {"calls": 3} and ckpt["datamodule_hyper_parameters"] == {"batch_size": 4}
    dm2 = L.LightningDataModule.from_datasets(train_dataset=dm.ds, test_dataset=dm.ds,
                                              batch_size=3)
    assert len(dm2.train_dataloader()) == 3
    (res,) = quiet_trainer(tmp_path).test(BoringModel(), datamodule=dm2, verbose=False)
    assert math.isfinite(res["test_loss"])


def test_progress_bar_text(tmp_path, capsys):
    t = L.Trainer(default_root_dir=tmp_path, max_epochs=2, limit_train_batches=3,
                  enable_model_summary=False, logger=False, enable_checkpointing=False)

    class Shown(BoringModel):
        def training_step(self, batch, batch_idx):
            loss = super().training_step(batch, batch_idx)
            self.log("shown_loss", loss, prog_bar=True)
            return loss

    t.fit(Shown(), random_loader())
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2
    assert out[0].startswith("Epoch 0: 100%|██████████| 3/3 [") and "shown_loss=" in out[0]
    assert out[1].startswith("Epoch 1: 100%")


@pytest.mark.parametrize("deterministic,enabled,warn_only", [
    (None, True, True), (False, False, False), (True, True, False), ("warn", True, True)])
def test_deterministic_flag_sets_ember_mode(deterministic, enabled, warn_only):
    """As Lightning: True and "warn" switch on use_deterministic_algorithms (warn_only for
    "warn"), False switches it off, None leaves the process's setting alone."""
    ember.use_deterministic_algorithms(True, warn_only=True)  # what the process had before
    try:
        L.Trainer(deterministic=deterministic, logger=False, enable_progress_bar=False,
                  enable_model_summary=False, enable_checkpointing=False)
        assert ember.are_deterministic_algorithms_enabled() is enabled
        assert ember.is_deterministic_algorithms_warn_only_enabled() is warn_only
    finally:
        ember.use_deterministic_algorithms(False)
