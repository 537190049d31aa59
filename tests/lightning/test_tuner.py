"""Tuner.scale_batch_size and Tuner.lr_find. The expected numbers are what real Lightning 2.6 +
torch return for the same module and data (recorded here, so the test needs neither): the
module below raises torch's CUDA out-of-memory error above a batch size of 50, and the lr finder
runs on a linear regression whose weights and data are fixed.
"""

import math

import numpy as np
import pytest

import ember
from ember import nn
from ember.utils.data import DataLoader, TensorDataset

import ember_lightning as L
from ember_lightning.tuner import Tuner
from ember_lightning.utilities.exceptions import MisconfigurationException
from ember_lightning.utilities.memory import is_oom_error
from helpers import quiet_trainer


class OOMAbove(L.LightningModule):
    """Runs out of memory (as torch reports it on a GPU) for batches larger than limit."""

    def __init__(self, n=1000, limit=50, error=RuntimeError("CUDA out of memory.")):
        super().__init__()
        self.net = nn.Linear(3, 1)
        self.batch_size, self.n, self.limit, self.error = 2, n, limit, error
        self.tried = []

    def train_dataloader(self):
        ds = TensorDataset(ember.zeros(self.n, 3), ember.zeros(self.n, 1))
        return DataLoader(ds, batch_size=self.batch_size)

    val_dataloader = test_dataloader = train_dataloader

    def _step(self, batch, batch_idx):
        x, y = batch
        if batch_idx == 0:
            self.tried.append(x.shape[0])
        if x.shape[0] > self.limit:
            raise self.error
        return nn.functional.mse_loss(self.net(x), y)

    training_step = _step

    def validation_step(self, batch, batch_idx):
        self._step(batch, batch_idx)

    def test_step(self, batch, batch_idx):
        self._step(batch, batch_idx)

    def configure_optimizers(self):
        return ember.optim.SGD(self.parameters(), lr=0.1)


def _trainer(tmp_path, **kw):
    kw.setdefault("max_epochs", 3)
    return quiet_trainer(tmp_path, **kw)


# (arguments, Lightning's result); with the default init_val the first trial is 2 in both
@pytest.mark.parametrize("kw, want, tried", [
    (dict(mode="power"), 32, [2, 4, 8, 16, 32, 64]),
    (dict(mode="binsearch"), 47, [2, 4, 8, 16, 32, 64, 48, 56, 52, 50, 51]),  # 50 less 5%
    (dict(mode="binsearch", margin=0.0), 50, [2, 4, 8, 16, 32, 64, 48, 56, 52, 50, 51]),
    (dict(mode="power", max_trials=3), 8, [2, 4, 8]),
    (dict(mode="binsearch", max_val=16), 15, [2, 4, 8]),  # 16 is the cap, less 5%
])
def test_scale_batch_size_like_lightning(tmp_path, kw, want, tried):
    model = OOMAbove()
    assert Tuner(_trainer(tmp_path)).scale_batch_size(model, **kw) == want
    assert model.batch_size == want
    assert model.tried == tried


def test_init_val_is_the_first_trial(tmp_path):
    # Lightning 2.6 runs its first trial with the loader built before init_val was set (batch
    # size 2 here, then 80); here the first trial uses init_val. Both end at 40.
    model = OOMAbove()
    assert Tuner(_trainer(tmp_path)).scale_batch_size(model, init_val=40) == 40
    assert model.tried == [40, 80]


def test_a_size_covering_the_dataset_stops_the_search(tmp_path):
    # Lightning's rule: a batch size already >= the dataset's length is not changed; the last
    # doubling (16 -> 32) is allowed, 32 on 20 samples then stops the search
    for mode, want in (("power", 32), ("binsearch", 30)):
        model = OOMAbove(n=20, limit=10**6)
        assert Tuner(_trainer(tmp_path)).scale_batch_size(model, mode=mode) == want


def test_scale_batch_size_for_evaluation_and_hparams_and_memory_error(tmp_path):
    model = OOMAbove(error=MemoryError())
    assert Tuner(_trainer(tmp_path)).scale_batch_size(model, method="validate") == 32
    assert model.tried == [2, 4, 8, 16, 32, 64]

    class FromHparams(OOMAbove):
        def __init__(self):
            super().__init__()
            del self.batch_size
            self.save_hyperparameters({"batch_size": 2})

        def train_dataloader(self):
            ds = TensorDataset(ember.zeros(self.n, 3), ember.zeros(self.n, 1))
            return DataLoader(ds, batch_size=self.hparams.batch_size)

        val_dataloader = train_dataloader

    model = FromHparams()
    assert Tuner(_trainer(tmp_path)).scale_batch_size(model, max_trials=2) == 4
    assert model.hparams.batch_size == 4


def test_scale_batch_size_puts_weights_and_trainer_back(tmp_path):
    model = OOMAbove()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trainer = _trainer(tmp_path)
    callbacks, max_steps = list(trainer.callbacks), trainer.max_steps
    Tuner(trainer).scale_batch_size(model)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k].numpy())
    assert trainer.callbacks == callbacks and trainer.max_steps == max_steps
    assert trainer.limit_train_batches is None and trainer.num_sanity_val_steps == 0
    model.tried = []
    trainer.fit(model)  # then trains as usual, at the found size
    assert model.tried == [32] * 6  # three epochs of training and of validation
    assert trainer.global_step == 3 * math.ceil(1000 / 32)


def test_scale_batch_size_errors(tmp_path):
    tuner = Tuner(_trainer(tmp_path))
    with pytest.raises(MisconfigurationException, match="passed directly to `.fit\\(\\)`"):
        tuner.scale_batch_size(OOMAbove(), train_dataloaders=OOMAbove().train_dataloader())
    with pytest.raises(MisconfigurationException, match="Field bs not found"):
        tuner.scale_batch_size(OOMAbove(), batch_arg_name="bs")
    with pytest.raises(ValueError, match="`mode` should be either of"):
        tuner.scale_batch_size(OOMAbove(), mode="linear")
    with pytest.raises(ValueError, match="method 'tune' is invalid"):
        tuner.scale_batch_size(OOMAbove(), method="tune")
    with pytest.raises(ZeroDivisionError):  # errors other than running out of memory pass
        tuner.scale_batch_size(OOMAbove(error=ZeroDivisionError()), init_val=64)
    assert is_oom_error(RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried"))
    assert not is_oom_error(RuntimeError("shape mismatch"))


# ---------------------------------------------------------------------------- lr_find
class Regression(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = nn.Linear(3, 1)
        with ember.no_grad():
            self.net.weight.copy_(ember.tensor([[0.3, 0.2, -0.1]]))
            self.net.bias.fill_(0.05)
        self.lr = 0.1

    def train_dataloader(self):
        x = ember.linspace(-1, 1, 64 * 3).reshape(64, 3)
        y = x @ ember.tensor([[1.0], [-2.0], [0.5]]) + 0.1
        return DataLoader(TensorDataset(x, y), batch_size=8)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return nn.functional.mse_loss(self.net(x), y)

    def configure_optimizers(self):
        return ember.optim.SGD(self.parameters(), lr=self.lr)


# Lightning 2.6 + torch, lr_find(min_lr=1e-4, max_lr=10.0, num_training=30): 27 points (the
# last loss diverged), suggestion at index 10
LIGHTNING_LOSSES = [
    0.35897186308196055, 0.36650627442013384, 0.31183341233921374, 0.2532025570030487,
    0.2103111008534848, 0.19185215910667572, 0.202295627475646, 0.24379692835338077,
    0.29351454857225173, 0.3001585539098222, 0.2851878041346892, 0.26264954461381795,
    0.24206290339484907, 0.23004331855887689, 0.2302002512228681, 0.2400040985201495,
    0.2557359113437259, 0.2447042459989747, 0.23047791699440517, 0.2171692962503683,
    0.20533188742867098, 0.19463122028912347, 0.18450866075943687, 0.17521216552080404,
    0.1678833006201206, 0.21787503699374045, 2.7169547390199966]


def test_lr_find_exponential_like_lightning(tmp_path):
    model = Regression()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trainer = _trainer(tmp_path, max_epochs=100)
    finder = Tuner(trainer).lr_find(model, min_lr=1e-4, max_lr=10.0, num_training=30)
    lrs = finder.results["lr"]
    # the schedule Lightning uses: lr_min, then lr_min * (max/min) ** (k / 30) from k = 2 on
    assert lrs == [1e-4] + [1e-4 * (10.0 / 1e-4) ** (k / 30) for k in range(2, 28)]
    np.testing.assert_allclose(finder.results["loss"], LIGHTNING_LOSSES, rtol=2e-4)
    assert finder.suggestion() == lrs[10] and finder._optimal_idx == 10
    assert model.lr == lrs[10]  # update_attr
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k].numpy())
    assert not trainer.should_stop and trainer.max_steps == -1


def test_lr_find_linear_without_early_stop(tmp_path):
    model = Regression()
    finder = Tuner(_trainer(tmp_path, max_epochs=100)).lr_find(
        model, min_lr=1e-4, max_lr=10.0, num_training=30, mode="linear",
        early_stop_threshold=None, update_attr=False)
    lrs, losses = finder.results["lr"], finder.results["loss"]
    assert len(lrs) == 30 and lrs[0] == 1e-4 and lrs[-1] == 10.0
    np.testing.assert_allclose(lrs[1:4], [0.66676, 1.0000900000000001, 1.33342])
    # the loss diverges to inf; the suggestion ignores non-finite points (Lightning: 3.66673)
    assert math.isinf(losses[-1])
    assert finder.suggestion() == pytest.approx(3.66673) and finder._optimal_idx == 10
    assert model.lr == 0.1


def test_lr_find_suggestion_needs_points_and_errors(tmp_path):
    finder = Tuner(_trainer(tmp_path)).lr_find(Regression(), num_training=5)
    assert len(finder.results["lr"]) == 5 and finder.suggestion() is None
    with pytest.raises(MisconfigurationException, match="only valid configuration"):
        Tuner(_trainer(tmp_path)).lr_find(Regression(), method="validate")

    class NoLr(Regression):
        def __init__(self):
            super().__init__()
            del self.lr

        def configure_optimizers(self):
            return ember.optim.SGD(self.parameters(), lr=0.1)

    with pytest.raises(AttributeError, match="should have one of these fields"):
        Tuner(_trainer(tmp_path)).lr_find(NoLr())
    with pytest.warns(UserWarning, match="Skipping learning rate finder"):
        assert Tuner(_trainer(tmp_path, fast_dev_run=True)).lr_find(Regression()) is None
