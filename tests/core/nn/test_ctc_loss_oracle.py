"""CTCLoss / F.ctc_loss against torch: padded and concatenated targets, repeated labels,
uneven input and target lengths, reductions, impossible alignments with and without
zero_infinity, unbatched input; losses and gradients."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

import ember  # noqa: E402
import ember.nn.functional as F  # noqa: E402
import torch.nn as tnn  # noqa: E402
import torch.nn.functional as TF  # noqa: E402
from ember import nn  # noqa: E402

RNG = np.random.default_rng(0)
TARGETS = np.array([[1, 2, 2], [3, 1, 0], [4, 4, 4]])
INPUT_LENGTHS, TARGET_LENGTHS = [8, 6, 7], [3, 2, 1]


def run_both(x, targets, input_lengths, target_lengths, **kw):
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    le = F.ctc_loss(F.log_softmax(xe, -1), ember.tensor(targets), input_lengths,
                    target_lengths, **kw)
    lt = TF.ctc_loss(TF.log_softmax(xt, -1), torch.tensor(targets), input_lengths,
                     target_lengths, **kw)
    np.testing.assert_allclose(le.detach().cpu().numpy(), lt.detach().cpu().numpy(), rtol=1e-5, atol=1e-5)
    if np.all(np.isfinite(lt.detach().cpu().numpy())):
        le.sum().backward()
        lt.sum().backward()
        np.testing.assert_allclose(xe.grad.cpu().numpy(), xt.grad.cpu().numpy(), rtol=1e-4, atol=1e-5)
    return le, lt


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("blank", [0, 4])
def test_ctc_padded_targets(reduction, blank):
    x = RNG.standard_normal((8, 3, 5)).astype(np.float32)
    targets = np.where(TARGETS == blank, (blank + 1) % 5, TARGETS)
    run_both(x, targets, INPUT_LENGTHS, TARGET_LENGTHS, reduction=reduction, blank=blank)


def test_ctc_concatenated_targets_and_tensor_lengths():
    x = RNG.standard_normal((8, 3, 5)).astype(np.float32)
    flat = np.array([1, 2, 2, 3, 1, 4])
    xe, xt = ember.tensor(x), torch.tensor(x)
    le = F.ctc_loss(F.log_softmax(xe, -1), ember.tensor(flat), ember.tensor(INPUT_LENGTHS),
                    ember.tensor(TARGET_LENGTHS))
    lt = TF.ctc_loss(TF.log_softmax(xt, -1), torch.tensor(flat), torch.tensor(INPUT_LENGTHS),
                     torch.tensor(TARGET_LENGTHS))
    assert abs(le.item() - lt.item()) < 1e-5


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_impossible_alignment(zero_infinity):
    # three equal labels need at least five frames (blanks between repeats)
    x = RNG.standard_normal((4, 2, 3)).astype(np.float32)
    le, lt = run_both(x, np.array([[1, 1, 1], [1, 2, 0]]), [4, 4], [3, 2],
                      reduction="none", zero_infinity=zero_infinity)
    assert np.isinf(lt[0].item()) != zero_infinity


def test_ctc_module_and_unbatched():
    x = RNG.standard_normal((6, 4)).astype(np.float32)
    e, t = nn.CTCLoss(blank=3, reduction="sum"), tnn.CTCLoss(blank=3, reduction="sum")
    assert repr(e) == repr(t)
    le = e(F.log_softmax(ember.tensor(x), -1), ember.tensor([0, 1, 1]), [6], [3])
    lt = t(TF.log_softmax(torch.tensor(x), -1), torch.tensor([0, 1, 1]), [6], [3])
    assert abs(le.item() - lt.item()) < 1e-5
