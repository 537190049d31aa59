"""ember.autograd.graph.allow_mutation_on_saved_tensors against torch's: in-place writes to
tensors saved for backward (inputs, outputs, views, several times over) leave the
gradients those of the forward pass's values; nesting and backward outside the context
raise as torch's."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4)).astype(np.float32)
W = RNG.standard_normal((4, 2)).astype(np.float32)


def _mutate_saved_input(lib, x, w):
    a = x * 1.5                 # a non-leaf that mul and matmul save
    out = (a * a).sum() + (a @ w).tanh().sum()
    a.sin_()
    a.view(-1)[::2].add_(3.0)   # a second write, through a view
    return out


def _mutate_saved_output(lib, x, w):
    y = (x @ w).exp()           # exp saves its output
    out = (y * 2).sum()
    y.mul_(0.5)
    return out


def _mutate_input_of_later_inplace(lib, x, w):
    h = x.clone()
    h.mul_(h)                   # mul_ saves h's value before it overwrote it
    out = h.sum() + (h @ w).sum()
    h.zero_()
    return out


@pytest.mark.parametrize("forward", [_mutate_saved_input, _mutate_saved_output,
                                     _mutate_input_of_later_inplace])
def test_gradients_match_torch(device, forward):
    grads = []
    for lib, dev in ((ember, device), (torch, "cpu")):
        x = lib.tensor(X, device=dev, requires_grad=True)
        w = lib.tensor(W, device=dev, requires_grad=True)
        with lib.autograd.graph.allow_mutation_on_saved_tensors():
            forward(lib, x, w).backward()
        grads.append((x.grad.cpu().numpy(), w.grad.cpu().numpy()))
    (ex, ew), (tx, tw) = grads
    np.testing.assert_allclose(ex, tx, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ew, tw, rtol=1e-5, atol=1e-5)


def test_without_the_context_backward_refuses(device):
    x = ember.tensor(X, device=device, requires_grad=True)
    a = x * 1.5
    out = (a * a).sum()
    a.sin_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


def test_torch_docstring_example_values():
    with ember.autograd.graph.allow_mutation_on_saved_tensors() as state:
        a = ember.ones(2, 3, requires_grad=True)
        b = a.clone()
        out = (b ** 2).sum()
        b.sin_()
        out.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.full((2, 3), 2.0))
    np.testing.assert_allclose(b.detach().numpy(), np.full((2, 3), np.sin(1.0)), rtol=1e-6)
    assert type(state).__name__ == "_AllowMutationOnSavedContext"


@pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])
def test_nesting_raises_runtime_error(lib):
    with lib.autograd.graph.allow_mutation_on_saved_tensors():
        with pytest.raises(RuntimeError, match="cannot be nested"):
            with lib.autograd.graph.allow_mutation_on_saved_tensors():
                pass


@pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])
def test_backward_outside_the_context_raises_assertion(lib):
    x = lib.ones(3, requires_grad=True)
    with lib.autograd.graph.allow_mutation_on_saved_tensors():
        out = (x.exp() * 2).sum()
    with pytest.raises(AssertionError, match="outside of the 'allow_mutation_on_saved_tensors'"):
        out.backward()
