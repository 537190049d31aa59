"""RReLU, ChannelShuffle and MultiLabelMarginLoss against torch: values, gradients, reprs."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]


def _pair(a):
    return (ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True))


def test_rrelu_eval_matches_torch_and_training_slopes_stay_in_range():
    a = np.random.default_rng(0).standard_normal((4, 5))
    e, t = _pair(a)
    em, tm = ember.nn.RReLU(0.1, 0.3).eval(), torch.nn.RReLU(0.1, 0.3).eval()
    assert repr(em) == repr(tm)
    ye, yt = em(e), tm(t)
    np.testing.assert_allclose(ye.detach().cpu().numpy(), yt.detach().cpu().numpy(), rtol=1e-12)
    ye.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(e.grad.cpu().numpy(), t.grad.cpu().numpy(), rtol=1e-12)
    y = ember.nn.RReLU(0.1, 0.3).train()(ember.tensor(a))
    neg = a < 0
    slopes = y.cpu().numpy()[neg] / a[neg]
    assert np.all((slopes >= 0.1) & (slopes <= 0.3)) and np.all(y.cpu().numpy()[~neg] == a[~neg])


def test_channel_shuffle_matches_torch():
    a = np.arange(2 * 6 * 3 * 2, dtype=np.float64).reshape(2, 6, 3, 2)
    assert repr(ember.nn.ChannelShuffle(3)) == repr(torch.nn.ChannelShuffle(3))
    np.testing.assert_array_equal(ember.nn.ChannelShuffle(3)(ember.tensor(a)).cpu().numpy(),
                                  torch.nn.ChannelShuffle(3)(torch.tensor(a)).cpu().numpy())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multilabel_margin_loss_matches_torch(reduction):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 5))
    target = np.array([[3, 0, -1, 1, 4], [1, 2, 3, 4, 0], [-1, 0, 0, 0, 0]])
    e, t = _pair(a)
    le = ember.nn.MultiLabelMarginLoss(reduction=reduction)(e, ember.tensor(target))
    lt = torch.nn.MultiLabelMarginLoss(reduction=reduction)(t, torch.tensor(target))
    np.testing.assert_allclose(le.detach().cpu().numpy(), lt.detach().cpu().numpy(), rtol=1e-12)
    le.sum().backward()
    lt.sum().backward()
    np.testing.assert_allclose(e.grad.cpu().numpy(), t.grad.cpu().numpy(), rtol=1e-12, atol=1e-15)
    one = ember.nn.functional.multilabel_margin_loss(ember.tensor(a[0]), ember.tensor(target[0]))
    ref = torch.nn.functional.multilabel_margin_loss(torch.tensor(a[0]), torch.tensor(target[0]))
    np.testing.assert_allclose(one.cpu().numpy(), ref.cpu().numpy(), rtol=1e-12)
