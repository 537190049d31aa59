"""ember.use_deterministic_algorithms: the switch and its queries behave as torch's, CPU
kernels always run, and CUDA's atomic float scatters refuse (or warn) while it is on."""

import warnings

import pytest

import ember

pytestmark = pytest.mark.usefixtures("on_device")


@pytest.fixture(autouse=True)
def _restore():
    yield
    ember.use_deterministic_algorithms(False)


def test_switch_and_queries():
    assert not ember.are_deterministic_algorithms_enabled()
    ember.use_deterministic_algorithms(True, warn_only=True)
    assert ember.are_deterministic_algorithms_enabled()
    assert ember.is_deterministic_algorithms_warn_only_enabled()
    ember.use_deterministic_algorithms(True)
    assert not ember.is_deterministic_algorithms_warn_only_enabled()
    with pytest.raises(RuntimeError, match="expects a bool"):
        ember.use_deterministic_algorithms(1)


def _accumulate(dtype):
    x = ember.zeros(4, dtype=dtype)
    idx = ember.tensor([0, 1, 1, 3])
    return x.index_put_((idx,), ember.ones(4, dtype=dtype), accumulate=True)


def test_accumulating_scatter(device):
    ember.use_deterministic_algorithms(True)
    assert _accumulate(ember.int64).tolist() == [1, 2, 0, 1]  # integer sums: any order
    if device == "cpu":
        assert _accumulate(ember.float32).tolist() == [1.0, 2.0, 0.0, 1.0]
        return
    with pytest.raises(RuntimeError, match="does not have a deterministic implementation"):
        _accumulate(ember.float32)
    ember.use_deterministic_algorithms(True, warn_only=True)
    with pytest.warns(UserWarning, match="deterministic implementation"):
        assert _accumulate(ember.float32).tolist() == [1.0, 2.0, 0.0, 1.0]


def test_off_by_default_runs_silently(device):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _accumulate(ember.float32).tolist() == [1.0, 2.0, 0.0, 1.0]
