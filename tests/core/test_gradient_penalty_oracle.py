"""A WGAN-GP critic step (a gradient penalty: a loss on input gradients, trained through
double backward) gives torch's parameter gradients, on each device."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.oracle, pytest.mark.usefixtures("on_device")]

import ember  # noqa: E402

RNG = np.random.default_rng(5)


def _critic_step(lib, params, real, fake, alpha):
    """Critic loss of WGAN-GP (Gulrajani et al.): E[D(fake)] - E[D(real)] + 10 * GP."""
    w1, b1, w2, b2 = params
    nnf = lib.nn.functional

    def critic(x):
        return nnf.linear(nnf.leaky_relu(nnf.linear(x, w1, b1), 0.2), w2, b2)

    interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (g,) = lib.autograd.grad(critic(interp).sum(), interp, create_graph=True)
    penalty = ((g.norm(2, dim=1) - 1) ** 2).mean()
    loss = critic(fake).mean() - critic(real).mean() + 10 * penalty
    return loss, lib.autograd.grad(loss, params)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_wgan_gp_critic_step_matches_torch(dtype):
    shapes = [(16, 8), (16,), (1, 16), (1,)]
    arrays = [RNG.standard_normal(s) * 0.5 for s in shapes]
    real, fake = RNG.standard_normal((6, 8)), RNG.standard_normal((6, 8))
    alpha = RNG.uniform(size=(6, 1))
    results = []
    for lib in (ember, torch):
        dt = getattr(lib, dtype)
        params = [lib.tensor(a, dtype=dt).requires_grad_(True) for a in arrays]
        data = [lib.tensor(a, dtype=dt) for a in (real, fake, alpha)]
        loss, grads = _critic_step(lib, params, *data)
        results.append([loss.detach().cpu().numpy()] + [g.detach().cpu().numpy() for g in grads])
    tol = 1e-10 if dtype == "float64" else 1e-4
    for e, t in zip(*results):
        np.testing.assert_allclose(e, t, rtol=tol, atol=tol)


def test_wgan_gp_training_steps_follow_torch():
    """Ten Adam steps on the critic stay on torch's trajectory (float64)."""
    arrays = [RNG.standard_normal(s) * 0.5 for s in [(16, 8), (16,), (1, 16), (1,)]]
    batches = [(RNG.standard_normal((6, 8)), RNG.standard_normal((6, 8)) + 1,
                RNG.uniform(size=(6, 1))) for _ in range(10)]
    finals = []
    for lib in (ember, torch):
        params = [lib.tensor(a, dtype=lib.float64).requires_grad_(True) for a in arrays]
        opt = lib.optim.Adam(params, lr=1e-2, betas=(0.5, 0.9))
        for real, fake, alpha in batches:
            data = [lib.tensor(a, dtype=lib.float64) for a in (real, fake, alpha)]
            _, grads = _critic_step(lib, params, *data)
            for p, g in zip(params, grads):
                p.grad = g
            opt.step()
        finals.append([p.detach().cpu().numpy() for p in params])
    for e, t in zip(*finals):
        np.testing.assert_allclose(e, t, rtol=1e-9, atol=1e-10)
