"""ember.optim.swa_utils on its own: the values follow from the definitions."""

import math

import numpy as np
import pytest

import ember
from ember.optim.swa_utils import (SWALR, AveragedModel, get_ema_multi_avg_fn, update_bn)

pytestmark = pytest.mark.usefixtures("on_device")


def _set(model, value):
    for p in model.parameters():
        p.data.fill_(value)


def test_swa_is_the_mean_of_the_snapshots_and_buffers_are_copied():
    model = ember.nn.Sequential(ember.nn.Linear(2, 2), ember.nn.BatchNorm1d(2))
    swa = AveragedModel(model)
    for v in (1.0, 2.0, 6.0):
        _set(model, v)
        model[1].running_mean.fill_(v)
        swa.update_parameters(model)
    for p in swa.module.parameters():
        np.testing.assert_allclose(p.detach().cpu().numpy(), 3.0, rtol=1e-6)
    np.testing.assert_allclose(swa.module[1].running_mean.cpu().numpy(), 6.0)  # the last one
    assert int(swa.n_averaged) == 3
    assert "n_averaged" in swa.state_dict()


def test_ema_multi_avg_fn():
    model = ember.nn.Linear(1, 1)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.5))
    for v in (4.0, 0.0, 2.0):
        _set(model, v)
        ema.update_parameters(model)
    # 4, then 0.5*4 + 0.5*0 = 2, then 0.5*2 + 0.5*2 = 2
    np.testing.assert_allclose(ema.module.weight.detach().cpu().numpy(), [[2.0]])


def test_bad_arguments():
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        AveragedModel(ember.nn.Linear(1, 1), avg_fn=lambda a, b, n: a,
                      multi_avg_fn=lambda a, b, n: None)
    with pytest.raises(ValueError, match="Invalid decay value"):
        get_ema_multi_avg_fn(1.5)
    opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(ValueError, match="anneal_strategy must be one of"):
        SWALR(opt, 0.1, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
        SWALR(opt, 0.1, anneal_epochs=-1)


def test_update_bn_is_a_plain_average_over_batches():
    bn = ember.nn.BatchNorm1d(1, momentum=0.9)
    model = ember.nn.Sequential(bn).eval()
    batches = [ember.tensor([[1.0], [3.0]]), ember.tensor([[5.0], [7.0], [9.0], [11.0]])]
    update_bn(batches, model)
    # per-batch means 2 and 8 averaged equally (not by momentum 0.9)
    np.testing.assert_allclose(bn.running_mean.cpu().numpy(), [5.0], rtol=1e-6)
    # unbiased variances 2 and 20/3, averaged
    np.testing.assert_allclose(bn.running_var.cpu().numpy(), [(2.0 + 20 / 3) / 2], rtol=1e-5)
    assert bn.momentum == 0.9 and not model.training


def test_swalr_cosine_anneal():
    opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
    sched = SWALR(opt, swa_lr=0.2, anneal_epochs=2)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(3):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    half = (1 - math.cos(math.pi / 2)) / 2
    np.testing.assert_allclose(lrs, [1.0, 0.2 * half + 1.0 * (1 - half), 0.2, 0.2])
    state = sched.state_dict()
    assert "anneal_func" not in state and "optimizer" not in state
