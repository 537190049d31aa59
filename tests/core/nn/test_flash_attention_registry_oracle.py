"""ember.nn.attention's flash-attention implementation registry against torch's: the
default listing, registering, activating (handles kept and removed), restoring, and the
errors for unknown and unavailable implementations."""

import logging

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import torch.nn.attention as tattn  # noqa: E402

import ember.nn.attention as eattn  # noqa: E402
from ember.nn.attention import _flash_impl_registry  # noqa: E402


@pytest.fixture(autouse=True)
def clean_registries():
    """Each test leaves both registries as it found them."""
    from torch.nn.attention import _registry
    saved = (dict(_registry._FLASH_ATTENTION_IMPLS), dict(_flash_impl_registry._register_fns))
    yield
    tattn.restore_flash_attention_impl(_raise_warn=False)
    eattn.restore_flash_attention_impl(_raise_warn=False)
    _registry._FLASH_ATTENTION_IMPLS.clear()
    _registry._FLASH_ATTENTION_IMPLS.update(saved[0])
    _flash_impl_registry._register_fns.clear()
    _flash_impl_registry._register_fns.update(saved[1])


class _Handle:
    def __init__(self, log, name):
        self.log, self.name = log, name

    def remove(self):
        self.log.append(("removed", self.name))


def _session(attn):
    """One sequence of registry calls; what each returned and what the callables saw."""
    log = []
    seen = [attn.list_flash_attention_impls(), attn.current_flash_attention_impl()]
    attn.register_flash_attention_impl("Zed", register_fn=lambda: log.append("zed") or
                                       _Handle(log, "Zed"))
    attn.register_flash_attention_impl("Alpha", register_fn=lambda: log.append("alpha"))
    seen.append(attn.list_flash_attention_impls())
    seen.append(attn.activate_flash_attention_impl("Zed"))
    seen.append(attn.current_flash_attention_impl())
    attn.activate_flash_attention_impl("Zed")      # the old handle is removed first
    attn.activate_flash_attention_impl("Alpha")    # no handle: nothing becomes current
    seen.append(attn.current_flash_attention_impl())
    attn.activate_flash_attention_impl("Zed")
    seen.append(attn.restore_flash_attention_impl())
    seen.append(attn.current_flash_attention_impl())
    return seen, log


def test_session_matches_torch():
    (seen, log), theirs = _session(eattn), _session(tattn)
    assert (seen, log) == theirs
    assert seen[0] == ["FA3", "FA4"] and seen[1] is None
    assert log == ["zed", ("removed", "Zed"), "zed", ("removed", "Zed"), "alpha", "zed",
                   ("removed", "Zed")]


def test_unknown_impl_raises_value_error_listing_the_names():
    with pytest.raises(ValueError) as theirs:
        tattn.activate_flash_attention_impl("FA9")
    with pytest.raises(ValueError) as ours:
        eattn.activate_flash_attention_impl("FA9")
    assert str(ours.value) == str(theirs.value) == (
        "Unknown flash attention impl 'FA9'. Available implementations: ['FA3', 'FA4']")


@pytest.mark.parametrize("impl", ["FA3", "FA4"])
def test_builtin_impls_fail_like_torch_without_flash_attn(impl):
    try:
        import flash_attn  # noqa: F401
        pytest.skip("flash_attn installed: torch would activate it, ember cannot")
    except ImportError:
        pass
    with pytest.raises(ModuleNotFoundError) as theirs:
        tattn.activate_flash_attention_impl(impl)
    with pytest.raises(ModuleNotFoundError) as ours:
        eattn.activate_flash_attention_impl(impl)
    assert ours.value.name == theirs.value.name
    assert eattn.current_flash_attention_impl() is tattn.current_flash_attention_impl() is None


def test_restore_without_activation_warns(caplog):
    with caplog.at_level(logging.WARNING):
        eattn.restore_flash_attention_impl()
    assert "no custom impl was activated" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        eattn.restore_flash_attention_impl(_raise_warn=False)
    assert caplog.text == ""


def test_names_are_exported():
    for name in ("register_flash_attention_impl", "activate_flash_attention_impl",
                 "list_flash_attention_impls", "current_flash_attention_impl",
                 "restore_flash_attention_impl"):
        assert name in eattn.__all__ and name in tattn.__all__
