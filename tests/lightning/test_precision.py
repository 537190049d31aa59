"""Trainer(precision=...) and the precision plugins, as Lightning's."""

from __future__ import annotations

import math

import ember
import pytest
from ember import nn
from helpers import BoringModel, quiet_trainer, random_loader, weights

import ember_lightning as L
from ember_lightning.plugins import DoublePrecision, HalfPrecision, MixedPrecision, Precision

ALLOWED = ("('transformer-engine', 'transformer-engine-float16', '16-true', '16-mixed', "
           "'bf16-true', 'bf16-mixed', '32-true', '64-true', 64, 32, 16, '64', '32', '16', "
           "'bf16')")


@pytest.mark.parametrize("flag, unified, plugin_type", [
    (None, "32-true", Precision), (32, "32-true", Precision), ("32", "32-true", Precision),
    ("32-true", "32-true", Precision), (64, "64-true", DoublePrecision),
    ("64", "64-true", DoublePrecision), ("64-true", "64-true", DoublePrecision),
    ("16-true", "16-true", HalfPrecision), ("bf16-true", "bf16-true", HalfPrecision),
    ("bf16-mixed", "bf16-mixed", MixedPrecision),
])
def test_precision_flags_map_to_plugins(tmp_path, flag, unified, plugin_type):
    trainer = quiet_trainer(tmp_path, precision=flag)
    assert trainer.precision == unified
    assert type(trainer.precision_plugin) is plugin_type


@pytest.mark.parametrize("flag", ["16", 16, "bf16"])
def test_legacy_aliases_warn(tmp_path, flag):
    new = "bf16-mixed" if flag == "bf16" else "16-mixed"
    with pytest.warns(UserWarning) as record:
        trainer = quiet_trainer(tmp_path, precision=flag)
    assert str(record[0].message) == (f"`precision={flag}` is supported for historical reasons "
                                      "but its usage is discouraged. Please set your precision "
                                      f"to {new} instead!")
    assert trainer.precision == "bf16-mixed"  # 16-mixed falls back to bf16-mixed on CPU


def test_16_mixed_on_cpu_falls_back_to_bf16_mixed(tmp_path):
    with pytest.warns(UserWarning, match=r"You passed `Trainer\(accelerator='cpu', precision="
                      r"'16-mixed'\)` but AMP with fp16 is not supported on CPU. Using "
                      r"`precision='bf16-mixed'` instead."):
        trainer = quiet_trainer(tmp_path, precision="16-mixed")
    assert trainer.precision == "bf16-mixed" and trainer.precision_plugin.scaler is None


@pytest.mark.parametrize("flag", ["16-bit", 8, "fp16", True, "bf16-true-ish", 32.5])
def test_bad_precision_raises_lightnings_error(tmp_path, flag):
    with pytest.raises(ValueError) as e:
        quiet_trainer(tmp_path, precision=flag)
    assert str(e.value) == f"Precision {flag!r} is invalid. Allowed precision values: {ALLOWED}"


def test_plugin_and_flag_conflict(tmp_path):
    plugin = MixedPrecision("16-mixed", "cpu")
    with pytest.raises(ValueError, match=r"Received both `precision=64-true` and `plugins="):
        quiet_trainer(tmp_path, precision=64, plugins=[plugin])
    with pytest.raises(L.MisconfigurationException, match="Found invalid type for plugin"):
        quiet_trainer(tmp_path, plugins=["fp16"])
    with pytest.raises(ValueError, match="Precision must be '16-mixed' or 'bf16-mixed'"):
        MixedPrecision("16-true", "cpu")
    trainer = quiet_trainer(tmp_path, plugins=plugin)
    assert trainer.precision_plugin is plugin and trainer.precision == "16-mixed"


def test_legacy_gpus_argument_maps_to_accelerator_and_devices(tmp_path):
    """Older tutorials' Trainer(gpus=N): a deprecation warning, then accelerator='gpu' with
    devices=N (gpus=0: the CPU)."""
    with pytest.warns(DeprecationWarning, match="accelerator='gpu', devices=0"):
        assert L.Trainer(default_root_dir=tmp_path, gpus=0, logger=False).device.type == "cpu"
    if ember.cuda.is_available():
        with pytest.warns(DeprecationWarning):
            assert L.Trainer(default_root_dir=tmp_path, gpus=1).device.type == "cuda"
    else:
        with pytest.warns(DeprecationWarning), pytest.raises(L.MisconfigurationException,
                                                             match="no CUDA device"):
            L.Trainer(default_root_dir=tmp_path, gpus=1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'tpu_cores'"):
        L.Trainer(default_root_dir=tmp_path, tpu_cores=8)


class DtypeRecorder(BoringModel):
    """Records the dtypes seen inside training_step and validation_step."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.seen: dict[str, list] = {"train_out": [], "train_x": [], "loss": [], "val_out": [],
                                      "default": []}

    def training_step(self, batch, batch_idx):
        x, y = batch
        out = self(x)
        loss = nn.functional.mse_loss(out, y)
        self.seen["train_x"].append(x.dtype)
        self.seen["train_out"].append(out.dtype)
        self.seen["loss"].append(loss.dtype)
        self.seen["default"].append(ember.get_default_dtype())
        self.log("train_loss", loss.float())
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        out = self(x)
        self.seen["val_out"].append(out.dtype)
        self.log("val_loss", nn.functional.mse_loss(out, y).float())


def _loss(model, loader) -> float:
    with ember.no_grad():
        return sum(float(nn.functional.mse_loss(model(x.to(model.layer.weight.dtype)),
                                                y.to(model.layer.weight.dtype)).float())
                   for x, y in loader)


def test_bf16_mixed_autocasts_forward_and_trains(tmp_path):
    ember.manual_seed(0)
    model = DtypeRecorder(lr=0.05)
    loader = random_loader()
    before = _loss(model, loader)
    trainer = quiet_trainer(tmp_path, precision="bf16-mixed", max_epochs=4)
    trainer.fit(model, loader, random_loader(n=4))
    assert set(model.seen["train_out"]) == {ember.bfloat16}
    assert set(model.seen["val_out"]) == {ember.bfloat16}
    assert set(model.seen["loss"]) == {ember.float32}        # mse_loss autocasts to float32
    assert set(model.seen["train_x"]) == {ember.float32}     # inputs are not converted
    assert model.layer.weight.dtype == ember.float32          # parameters stay in float32
    assert model.layer.weight.grad.dtype == ember.float32
    assert _loss(model, loader) < 0.5 * before
    assert not ember.amp.is_autocast_enabled("cpu")               # the region ended with the step


def test_64_true_gives_float64_parameters_and_inputs(tmp_path):
    ember.manual_seed(0)
    model = DtypeRecorder(lr=0.05)
    loader = random_loader()
    before = _loss(model, loader)
    trainer = quiet_trainer(tmp_path, precision="64-true", max_epochs=3)
    trainer.fit(model, loader)
    assert {p.dtype for p in model.parameters()} == {ember.float64}
    assert set(model.seen["train_x"]) == {ember.float64}
    assert set(model.seen["train_out"]) == {ember.float64}
    assert set(model.seen["default"]) == {ember.float64}
    assert ember.get_default_dtype() == ember.float32          # restored after each step
    assert _loss(model, loader) < 0.5 * before
    preds = trainer.predict(model, random_loader(n=4))
    assert preds[0].dtype == ember.float64


@pytest.mark.parametrize("flag, dtype", [("bf16-true", ember.bfloat16),
                                         ("16-true", ember.float16)])
def test_true_half_precisions_cast_model_and_inputs(tmp_path, flag, dtype):
    ember.manual_seed(0)
    model = DtypeRecorder(lr=0.05)
    start = weights(model)
    trainer = quiet_trainer(tmp_path, precision=flag, max_steps=2)
    trainer.fit(model, random_loader())
    assert {p.dtype for p in model.parameters()} == {dtype}
    assert set(model.seen["train_x"]) == {dtype} and set(model.seen["train_out"]) == {dtype}
    assert set(model.seen["default"]) == {dtype}
    assert not ember.equal(model.layer.weight.float(), start["layer.weight"])


class InfInjector(BoringModel):
    """Puts an inf into a gradient after the backward of the given batches; records the
    gradients the optimizer is about to use and the scale before every step."""

    def __init__(self, inf_batches=(0,), **kw):
        super().__init__(**kw)
        self.inf_batches = set(inf_batches)
        self.records: list[dict] = []

    def training_step(self, batch, batch_idx):
        x, y = batch
        out = self(x)
        self.records.append({"out_dtype": out.dtype})
        return nn.functional.mse_loss(out, y)

    def on_before_backward(self, loss):
        self.records[-1]["loss_for_backward"] = float(loss)

    def on_after_backward(self):
        if self.trainer.global_step in self.inf_batches:
            self.layer.weight.grad[0, 0] = math.inf

    def on_before_optimizer_step(self, optimizer):
        self.records[-1].update(scale=self.trainer.precision_plugin.scaler.get_scale(),
                                grad=self.layer.bias.grad.clone(),
                                weights=weights(self))


def test_16_mixed_scales_skips_inf_steps_and_backs_off(tmp_path):
    ember.manual_seed(0)
    model = InfInjector(inf_batches=(0,), lr=0.1)
    trainer = quiet_trainer(tmp_path, plugins=[MixedPrecision("16-mixed", "cpu")], max_steps=2)
    trainer.fit(model, random_loader())
    r0, r1 = model.records
    assert r0["out_dtype"] == ember.float16
    assert r0["scale"] == 65536.0 and r1["scale"] == 32768.0   # halved after the overflow
    # step 0 was skipped: the weights step 1 starts from are the initial ones
    for k in r0["weights"]:
        assert ember.equal(r0["weights"][k], r1["weights"][k]), k
    # step 1 ran with the unscaled gradient: w1 = w0 - lr * grad
    got = model.layer.bias.detach()
    want = r1["weights"]["layer.bias"] - 0.1 * r1["grad"]
    assert ember.allclose(got, want, atol=1e-6)
    # hooks saw the unscaled gradient (of order 1, not of order 2**15) and the scaled loss
    assert float(r1["grad"].abs().max()) < 100
    assert r1["loss_for_backward"] > 1000
    assert trainer.global_step == 2
    assert trainer.precision_plugin.scaler.state_dict()["_growth_tracker"] == 1


class ClipRecorder(BoringModel):
    def configure_gradient_clipping(self, optimizer, gradient_clip_val=None,
                                    gradient_clip_algorithm=None):
        super().configure_gradient_clipping(optimizer, gradient_clip_val, gradient_clip_algorithm)
        self.clipped = max(float(p.grad.abs().max()) for p in self.parameters())


def test_16_mixed_unscales_before_gradient_clipping(tmp_path):
    ember.manual_seed(0)
    model = ClipRecorder()
    trainer = quiet_trainer(tmp_path, plugins=[MixedPrecision("16-mixed", "cpu")], max_steps=1,
                            gradient_clip_val=1e-3, gradient_clip_algorithm="value")
    trainer.fit(model, random_loader())
    # clipping at the true scale: the largest gradient is exactly the clip value
    assert model.clipped == pytest.approx(1e-3, rel=1e-6)


def test_16_mixed_scaler_state_round_trips_through_checkpoint(tmp_path):
    ember.manual_seed(0)
    model = InfInjector(inf_batches=(0, 1))
    trainer = quiet_trainer(tmp_path, plugins=[MixedPrecision("16-mixed", "cpu")], max_steps=3)
    trainer.fit(model, random_loader())
    state = {"scale": 16384.0, "growth_factor": 2.0, "backoff_factor": 0.5,
             "growth_interval": 2000, "_growth_tracker": 1}
    assert trainer.precision_plugin.state_dict() == state
    path = tmp_path / "amp.ckpt"
    trainer.save_checkpoint(path)
    ckpt = ember.load(path, weights_only=False)
    assert ckpt["MixedPrecision"] == state

    restored = {}

    class Resumed(InfInjector):
        def on_train_start(self):
            restored.update(self.trainer.precision_plugin.state_dict())

    resumed = Resumed(inf_batches=())
    plugin = MixedPrecision("16-mixed", "cpu")
    trainer2 = quiet_trainer(tmp_path, plugins=[plugin], max_steps=4)
    trainer2.fit(resumed, random_loader(), ckpt_path=path)
    assert restored == state
    assert plugin.scaler.get_scale() == 16384.0      # one clean step: no growth yet
    assert plugin.state_dict()["_growth_tracker"] == 2
    assert resumed.records[0]["scale"] == 16384.0
    # a weights-only checkpoint or a 32-bit run writes no scaler state
    trainer2.save_checkpoint(tmp_path / "w.ckpt", weights_only=True)
    assert "MixedPrecision" not in ember.load(tmp_path / "w.ckpt", weights_only=False)


class ManualAMP(BoringModel):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.automatic_optimization = False
        self.records: list[dict] = []

    def training_step(self, batch, batch_idx):
        opt = self.optimizers()
        x, y = batch
        loss = nn.functional.mse_loss(self(x), y)
        opt.zero_grad()
        self.manual_backward(loss)
        if batch_idx == 0:
            self.layer.bias.grad[0] = math.nan
        rec = {"before": weights(self), "scaled_grad": float(self.layer.weight.grad.abs().max())}
        opt.step()
        rec["after"] = weights(self)
        rec["grad"] = self.layer.bias.grad.clone()
        self.records.append(rec)


def test_manual_optimization_uses_the_scaler(tmp_path):
    ember.manual_seed(0)
    model = ManualAMP(lr=0.1)
    plugin = MixedPrecision("16-mixed", "cpu")
    trainer = quiet_trainer(tmp_path, plugins=[plugin], max_steps=2)
    trainer.fit(model, random_loader())
    r0, r1 = model.records
    for k in r0["before"]:                                   # the NaN step was skipped
        assert ember.equal(r0["before"][k], r0["after"][k]), k
    assert r1["scaled_grad"] > 1000                          # manual_backward scaled the loss
    want = r1["before"]["layer.bias"] - 0.1 * r1["grad"]     # stepped on unscaled gradients
    assert ember.allclose(r1["after"]["layer.bias"], want, atol=1e-6)
    assert plugin.scaler.get_scale() == 32768.0
    assert trainer.global_step == 2
