"""Inference tensors against torch's rules: what is made under inference_mode is one
(fresh results, factory and from-data tensors, their views and detached aliases), what is
made outside or viewed from a normal tensor is not, inference_mode(False) turns it off,
and outside the mode in-place writes, requires_grad and _version raise torch's errors."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402


def _made(m, device):
    """The same tensors made in m (ember or torch), named."""
    kw = {"device": device} if m is ember else {}
    x = m.ones(3, **kw)
    with m.inference_mode():
        made = {"result": x * 2, "view of normal": x[:2], "factory": m.zeros(2, **kw),
                "from data": m.tensor([1.0, 2.0], **kw), "normal": x}
        x.add_(1)  # in place on a normal tensor inside the mode: allowed, stays normal
        with m.inference_mode(False):
            made["inside inference_mode(False)"] = m.ones(2, **kw)
            made["grad inside inference_mode(False)"] = m.is_grad_enabled()
    made["from_numpy"] = None
    y = made["result"]
    made.update({"view of inference": y[1:], "detached": y.detach(), "clone": y.clone(),
                 "result outside": y + 1, "reshaped": y.reshape(3, 1)})
    return made


def test_which_tensors_are_inference_tensors_matches_torch(device):
    want, got = _made(torch, "cpu"), _made(ember, device)
    for name in want:
        if isinstance(want[name], torch.Tensor):
            assert got[name].is_inference() == want[name].is_inference(), name
            assert ember.is_inference(got[name]) == torch.is_inference(want[name]), name
        else:
            assert got[name] == want[name], name
    with ember.inference_mode():
        assert ember.from_numpy(np.ones(2)).is_inference()


def test_outside_the_mode_inference_tensors_refuse_what_torch_refuses(device):
    def ops(m, y, x):
        return [lambda: y.add_(1), lambda: y.mul_(x), lambda: y.zero_(), lambda: y.exp_(),
                lambda: y[0].fill_(1), lambda: y.copy_(x), lambda: y.__setitem__(0, 5.0),
                lambda: y.__setitem__(m.tensor([0, 2]), 5.0), lambda: y.requires_grad_(),
                lambda: y._version, lambda: m.add(x, 1, out=y), lambda: m.exp(x, out=y),
                lambda: m.sum(x.reshape(1, 3), 0, out=y), lambda: y.uniform_(),
                lambda: y.normal_(), lambda: y.bernoulli_(0.5)]

    with torch.inference_mode():
        yt = torch.ones(3)
    with ember.inference_mode():
        ye = ember.ones(3, device=device)
    xt, xe = torch.ones(3), ember.ones(3, device=device)
    for want_op, got_op in zip(ops(torch, yt, xt), ops(ember, ye, xe)):
        with pytest.raises(Exception) as want:
            want_op()
        with pytest.raises(want.type):
            got_op()
    for m, y, x in ((torch, yt, xt), (ember, ye, xe)):
        x.copy_(y)  # reading one is fine
        with m.no_grad():
            with pytest.raises(RuntimeError):
                y.add_(1)  # no_grad is not inference_mode
        with m.inference_mode():
            y.add_(1)  # inside the mode it may be written
    # ember refuses before writing, so its tensor is as the mode left it; torch runs the
    # kernel and raises afterwards (its tensor holds the refused writes): no oracle here
    np.testing.assert_array_equal(ye.cpu().numpy(), [2.0, 2.0, 2.0])
    with pytest.raises(TypeError):
        torch.is_inference(3)
    with pytest.raises(TypeError):
        ember.is_inference(3)
