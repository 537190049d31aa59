"""StochasticWeightAveraging, with the numbers real Lightning 2.6 + torch produce in the same
setting (recorded here, so that the test needs neither): with SGD(lr=0.05), swa_lrs=0.01,
swa_epoch_start=3, annealing_epochs=2 and max_epochs=6,

- the lr at the start of epochs 0..5 is [0.05, 0.05, 0.05, 0.03, 0.01, 0.01] (cosine annealing
  from epoch index 2);
- the weights at the end are the mean of the weights at the start of epochs 2, 3, 4 and 5
  (n_averaged == 4; the last epoch's updates are not in the average);
- a model with batch norm runs a 7th epoch of forward passes only, after which the running
  statistics are a plain average over that epoch's batches, computed with the averaged weights,
  and the batch norm's momentum is back to 0.1.

One difference on purpose: Lightning 2.6's batch-norm epoch also takes one optimizer step with
the gradients left from the last real batch (its global_step ends one higher and the weights
move off the average). Here that epoch takes no step: the weights are exactly the average.
"""

import math

import numpy as np
import pytest

import ember
from ember import nn
from ember.utils.data import DataLoader, TensorDataset

import ember_lightning as L
from ember_lightning.callbacks import StochasticWeightAveraging
from ember_lightning.utilities.exceptions import MisconfigurationException
from helpers import quiet_trainer


def _loader():
    g = ember.Generator().manual_seed(0)
    x = ember.randn(32, 3, generator=g)
    y = x @ ember.tensor([[1.0], [-2.0], [0.5]]) + 0.1
    return DataLoader(TensorDataset(x, y), batch_size=8)


class Recorder(L.LightningModule):
    """Records the weights and lr at the start of every epoch."""

    def __init__(self, bn=False, scheduler=False):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3, 4), *([nn.BatchNorm1d(4)] if bn else []),
                                 nn.Linear(4, 1))
        self.scheduler = scheduler
        self.snaps, self.lrs, self.steps = [], [], 0

    def training_step(self, batch, batch_idx):
        self.steps += 1
        x, y = batch
        return nn.functional.mse_loss(self.net(x), y)

    def on_train_epoch_start(self):
        self.snaps.append([p.detach().clone() for p in self.parameters()])
        self.lrs.append(self.trainer.optimizers[0].param_groups[0]["lr"])

    def configure_optimizers(self):
        opt = ember.optim.SGD(self.parameters(), lr=0.05)
        if self.scheduler:
            return [opt], [ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)]
        return opt


def _fit(tmp_path, model, max_epochs=6, **swa_kw):
    kw = dict(swa_lrs=0.01, swa_epoch_start=3, annealing_epochs=2)
    kw.update(swa_kw)
    swa = StochasticWeightAveraging(**kw)
    trainer = quiet_trainer(tmp_path, max_epochs=max_epochs, callbacks=[swa])
    trainer.fit(model, _loader())
    return trainer, swa


def _mean_of(snaps):
    return [sum(s[i] for s in snaps) / len(snaps) for i in range(len(snaps[0]))]


def _assert_params(model, expected):
    for p, e in zip(model.parameters(), expected):
        np.testing.assert_allclose(p.detach().numpy(), e.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("start", [3, 0.5])  # 0.5 * max_epochs 6 is the same epoch
def test_averages_epoch_start_weights_and_anneals_lr(tmp_path, start):
    ember.manual_seed(1)
    model = Recorder()
    trainer, swa = _fit(tmp_path, model, swa_epoch_start=start)
    np.testing.assert_allclose(model.lrs, [0.05, 0.05, 0.05, 0.03, 0.01, 0.01], rtol=1e-12)
    _assert_params(model, _mean_of(model.snaps[2:6]))
    assert int(swa.n_averaged) == 4
    assert (trainer.global_step, trainer.current_epoch, trainer.max_epochs) == (24, 6, 6)


def test_linear_annealing_and_the_module_scheduler_is_swapped(tmp_path):
    ember.manual_seed(1)
    model = Recorder(scheduler=True)
    _fit(tmp_path, model, annealing_strategy="linear", annealing_epochs=3)
    # StepLR halves the lr after epochs 0 and 1; from epoch index 2 SWALR takes over and moves
    # linearly from 0.0125 to 0.01 over 3 epochs
    start = 0.0125
    want = [0.05, 0.025, start] + [0.01 * a + start * (1 - a) for a in (1 / 3, 2 / 3, 1.0)]
    np.testing.assert_allclose(model.lrs, want, rtol=1e-9)
    np.testing.assert_allclose(want[3:5], [0.011666666666666669, 0.010833333333333334])


def test_batch_norm_epoch_recomputes_statistics_with_averaged_weights(tmp_path):
    ember.manual_seed(1)
    model = Recorder(bn=True)
    trainer, swa = _fit(tmp_path, model)
    assert len(model.snaps) == 7 and model.steps == 28  # one more epoch, of forward passes
    assert trainer.global_step == 24                    # but no optimizer step in it
    assert (trainer.current_epoch, trainer.max_epochs) == (7, 6)
    average = _mean_of(model.snaps[2:6])
    _assert_params(model, average)
    bn = model.net[1]
    assert bn.momentum == 0.1 and int(bn.num_batches_tracked) == 4
    with ember.no_grad():
        h = [model.net[0](x) for x, _ in _loader()]
    np.testing.assert_allclose(bn.running_mean.numpy(),
                               sum(b.mean(0) for b in h).numpy() / 4, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(),
                               sum(b.var(0) for b in h).numpy() / 4, rtol=1e-5, atol=1e-6)


def test_custom_avg_fn_and_state_dict(tmp_path):
    ember.manual_seed(1)
    model = Recorder()

    def ema(avg, cur, n):
        return 0.5 * avg + 0.5 * cur

    _, swa = _fit(tmp_path, model, avg_fn=ema)
    s = model.snaps
    want = [0.125 * a + 0.125 * b + 0.25 * c + 0.5 * d
            for a, b, c, d in zip(s[2], s[3], s[4], s[5])]
    _assert_params(model, want)
    state = swa.state_dict()
    assert state["n_averaged"] == 4 and state["latest_update_epoch"] == 5
    assert state["scheduler_state"]["anneal_epochs"] == 2
    assert set(state["average_model_state"]) == {"net.0.weight", "net.0.bias", "net.1.weight",
                                                 "net.1.bias"}


def test_argument_checks(tmp_path):
    with pytest.raises(MisconfigurationException, match="swa_epoch_start should be"):
        StochasticWeightAveraging(0.1, swa_epoch_start=0)
    with pytest.raises(MisconfigurationException, match="swa_epoch_start should be"):
        StochasticWeightAveraging(0.1, swa_epoch_start=1.5)
    with pytest.raises(MisconfigurationException, match="swa_lrs"):
        StochasticWeightAveraging(swa_lrs=1)
    with pytest.raises(MisconfigurationException, match="swa_lrs"):
        StochasticWeightAveraging(swa_lrs=[0.1, -0.1])
    with pytest.raises(MisconfigurationException, match="avg_fn"):
        StochasticWeightAveraging(0.1, avg_fn=3)
    swa = StochasticWeightAveraging(0.1, swa_epoch_start=0.5)
    trainer = quiet_trainer(tmp_path, max_steps=3, callbacks=[swa])
    with pytest.raises(MisconfigurationException, match="not supported when `max_epochs=-1`"):
        trainer.fit(Recorder(), _loader())
    assert not math.isinf(StochasticWeightAveraging(0.1).swa_start)


def test_copy_of_an_attached_module_leaves_the_trainer_behind(tmp_path):
    import copy
    model = Recorder()
    quiet_trainer(tmp_path, max_epochs=1).fit(model, _loader())
    clone = copy.deepcopy(model)
    assert clone.__dict__["_trainer"] is None and model.trainer is not None


class SaveAt(L.Callback):
    def __init__(self, epoch, path):
        self.epoch, self.path = epoch, path

    def on_train_epoch_end(self, trainer, pl_module):
        if trainer.current_epoch == self.epoch:
            trainer.save_checkpoint(self.path)


@pytest.mark.parametrize("bn", [False, True])
def test_resume_inside_the_swa_phase_ends_with_the_same_weights(tmp_path, bn):
    ckpt = str(tmp_path / "mid.ckpt")

    def run(ckpt_path=None, save=False):
        ember.manual_seed(1)
        model = Recorder(bn=bn, scheduler=True)
        callbacks = [StochasticWeightAveraging(swa_lrs=0.01, swa_epoch_start=3,
                                               annealing_epochs=2)]
        if save:
            callbacks.append(SaveAt(3, ckpt))
        trainer = quiet_trainer(tmp_path, max_epochs=6, callbacks=callbacks,
                                deterministic=True)
        trainer.fit(model, _loader(), ckpt_path=ckpt_path)
        return model, trainer

    full, _ = run(save=True)
    resumed, trainer = run(ckpt_path=ckpt)
    assert resumed.lrs == full.lrs[4:]
    for a, b in zip(full.state_dict().values(), resumed.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert trainer.global_step == 24
