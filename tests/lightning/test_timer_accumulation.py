"""Timer / Trainer(max_time=...) and GradientAccumulationScheduler."""

from datetime import timedelta

import pytest
from helpers import BoringModel, quiet_trainer, random_loader

import ember_lightning as L
from ember_lightning.callbacks import GradientAccumulationScheduler, Timer
from ember_lightning.callbacks import timer as timer_module


class FakeClock:
    """Stands in for the time module in the Timer: each training step takes one second."""

    def __init__(self):
        self.now = 100.0

    def monotonic(self):
        return self.now


class Ticking(BoringModel):
    def __init__(self, clock):
        super().__init__()
        self.clock = clock

    def training_step(self, batch, batch_idx):
        self.clock.now += 1.0
        return super().training_step(batch, batch_idx)


@pytest.fixture
def clock(monkeypatch):
    c = FakeClock()
    monkeypatch.setattr(timer_module, "time", c)
    return c


@pytest.mark.parametrize("duration, seconds", [
    ("00:00:00:03", 3), ("01:02:03:04", 93784), (" 0:00:01:00 ", 60),
    ({"minutes": 2}, 120), (timedelta(seconds=5), 5), (None, None)])
def test_duration_forms(duration, seconds):
    t = Timer(duration)
    assert t.time_remaining() == seconds


@pytest.mark.parametrize("bad", ["3:00", "00:00:00:3", "aa:00:00:00"])
def test_bad_duration(bad):
    with pytest.raises(L.MisconfigurationException, match="DD:HH:MM:SS"):
        Timer(bad)


def test_bad_interval():
    with pytest.raises(L.MisconfigurationException, match="interval"):
        Timer("00:00:00:01", interval="batch")


def test_max_time_stops_after_the_step_that_spends_it(tmp_path, clock):
    trainer = quiet_trainer(tmp_path, max_time="00:00:00:03", limit_train_batches=4)
    assert trainer.max_epochs == -1
    (timer,) = [c for c in trainer.callbacks if isinstance(c, Timer)]
    trainer.fit(Ticking(clock), random_loader())
    assert trainer.global_step == 3 and trainer.current_epoch == 1
    assert timer.time_elapsed("train") == 3.0 and timer.time_remaining() == 0.0
    assert timer.state_dict()["time_elapsed"]["train"] == 3.0


def test_epoch_interval_and_resumed_offset(tmp_path, clock):
    timer = Timer({"seconds": 3}, interval="epoch")
    trainer = quiet_trainer(tmp_path, callbacks=[timer], max_time="00:01:00:00",
                            limit_train_batches=2, max_epochs=10)
    assert [c for c in trainer.callbacks if isinstance(c, Timer)] == [timer]  # not max_time's
    trainer.fit(Ticking(clock), random_loader())
    assert trainer.current_epoch == 2 and trainer.global_step == 4   # 2 s, then 4 s >= 3 s

    resumed = Timer({"seconds": 5})
    resumed.load_state_dict(timer.state_dict())
    assert resumed.time_elapsed() == 4.0
    trainer = quiet_trainer(tmp_path, callbacks=[resumed], limit_train_batches=2, max_epochs=10)
    trainer.fit(Ticking(clock), random_loader())
    assert trainer.global_step == 1                                  # 4 s + 1 s


def test_spent_budget_stops_before_training(tmp_path, clock):
    timer = Timer({"seconds": 2})
    timer.load_state_dict({"time_elapsed": {"train": 2.5}})
    trainer = quiet_trainer(tmp_path, callbacks=[timer], max_epochs=3)
    trainer.fit(Ticking(clock), random_loader())
    assert trainer.global_step == 0


def test_accumulation_schedule(tmp_path):
    sched = GradientAccumulationScheduler({1: 2, 2: 4})
    assert sched.epochs == [0, 1, 2]
    assert [sched.get_accumulate_grad_batches(e) for e in range(4)] == [1, 2, 4, 4]
    assert sched.going_to_accumulate_grad_batches()
    steps = []

    class Counting(BoringModel):
        def on_train_epoch_end(self):
            steps.append(self.trainer.global_step)

    trainer = quiet_trainer(tmp_path, callbacks=[sched], max_epochs=3, limit_train_batches=4)
    trainer.fit(Counting(), random_loader())
    assert steps == [4, 6, 7]
    assert trainer.accumulate_grad_batches == 4
    trainer2 = quiet_trainer(tmp_path, callbacks=[sched], max_epochs=1, limit_train_batches=4)
    trainer2.fit(BoringModel(), random_loader())            # the callback may be reused
    assert trainer2.global_step == 4


def test_accumulation_schedule_errors(tmp_path):
    with pytest.raises(TypeError, match="Empty dict"):
        GradientAccumulationScheduler({})
    with pytest.raises(L.MisconfigurationException, match="Epoch should be"):
        GradientAccumulationScheduler({-1: 2})
    with pytest.raises(L.MisconfigurationException, match="Accumulation factor"):
        GradientAccumulationScheduler({0: 0})
    trainer = quiet_trainer(tmp_path, callbacks=[GradientAccumulationScheduler({0: 2})],
                            accumulate_grad_batches=2, max_epochs=1)
    with pytest.raises(ValueError, match="accumulate_grad_batches"):
        trainer.fit(BoringModel(), random_loader())

    class Manual(BoringModel):
        def __init__(self):
            super().__init__()
            self.automatic_optimization = False

    trainer = quiet_trainer(tmp_path, callbacks=[GradientAccumulationScheduler({0: 2})],
                            max_epochs=1)
    with pytest.raises(RuntimeError, match="manual optimization"):
        trainer.fit(Manual(), random_loader())
