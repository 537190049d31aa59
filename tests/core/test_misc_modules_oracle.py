"""Small torch module functions against torch: hub.list/help/load on a local hubconf,
parametrize.transfer_parametrizations_and_params, the multiprocessing sharing strategy,
cpu.get_capabilities, profiler.kineto_available/DeviceType and the accelerator extras."""

import textwrap
import urllib.error

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402

_HUBCONF = '''
import {fw}
from helper import scale

dependencies = ["numpy"]


def tiny(width=2, bias=True):
    """A tiny linear model."""
    return {fw}.nn.Linear(width, scale(1), bias=bias)


def _private():
    return None


CONSTANT = 3
'''


@pytest.fixture
def hub_repo(tmp_path):
    for fw in ("ember", "torch"):
        repo = tmp_path / fw
        repo.mkdir()
        (repo / "hubconf.py").write_text(textwrap.dedent(_HUBCONF.format(fw=fw)))
        (repo / "helper.py").write_text("def scale(n):\n    return 3 * n\n")
    return tmp_path


def test_hub_local_load_list_help_match_torch(hub_repo):
    e = ember.hub.load(str(hub_repo / "ember"), "tiny", source="local", width=4, bias=False)
    t = torch.hub.load(str(hub_repo / "torch"), "tiny", source="local", width=4, bias=False)
    assert isinstance(e, ember.nn.Linear)
    assert tuple(e.weight.shape) == tuple(t.weight.shape) == (3, 4)
    assert e.bias is None and t.bias is None
    assert ember.hub.list(str(hub_repo / "ember")) == ["scale", "tiny"]
    assert ember.hub.help(str(hub_repo / "ember"), "tiny") == "A tiny linear model."


def test_hub_errors_match_torch(hub_repo, tmp_path):
    for mod, folder in ((ember, hub_repo / "ember"), (torch, hub_repo / "torch")):
        with pytest.raises(RuntimeError, match="Cannot find callable nope in hubconf"):
            mod.hub.load(str(folder), "nope", source="local")
        with pytest.raises(RuntimeError, match="Cannot find callable CONSTANT in hubconf"):
            mod.hub.load(str(folder), "CONSTANT", source="local")
        with pytest.raises(ValueError, match='Unknown source: "ftp"'):
            mod.hub.load(str(folder), "tiny", source="ftp")
        with pytest.raises(ValueError, match="model should be a string"):
            mod.hub.load(str(folder), 3, source="local")
    deps = tmp_path / "deps"
    deps.mkdir()
    (deps / "hubconf.py").write_text("dependencies = ['no_such_pkg_xyz', 'numpy']\n"
                                     "def m():\n    return 1\n")
    for mod in (ember, torch):
        with pytest.raises(RuntimeError, match="Missing dependencies: no_such_pkg_xyz"):
            mod.hub.load(str(deps), "m", source="local")


def test_hub_github_uses_cache_and_explains_network_failure(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    before = ember.hub.get_dir()
    ember.hub.set_dir(tmp_path / "hub")
    try:
        with pytest.raises(RuntimeError, match="could not download the hub repo owner/repo"):
            ember.hub.load("owner/repo", "m", verbose=False, trust_repo=True)
        cached = tmp_path / "hub" / "owner_repo_v1"
        cached.mkdir(parents=True)
        (cached / "hubconf.py").write_text("def m(k=1):\n    '''doc'''\n    return k * 2\n")
        assert ember.hub.load("owner/repo:v1", "m", k=5, verbose=False) == 10
        assert ember.hub.list("owner/repo:v1", verbose=False) == ["m"]
        assert ember.hub.help("owner/repo:v1", "m") == "doc"
    finally:
        ember.hub.set_dir(before)


def _symmetric(mod):
    class Symmetric(mod.nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).transpose(-1, -2)
    return Symmetric()


@pytest.mark.parametrize("name", [None, "weight"])
def test_transfer_parametrizations_and_params_matches_torch(name):
    w = np.random.default_rng(0).standard_normal((3, 3)).astype(np.float32)
    results = []
    for mod in (ember, torch):
        P = mod.nn.utils.parametrize
        src, dst = mod.nn.Linear(3, 3), mod.nn.Linear(3, 3)
        with mod.no_grad():
            src.weight.copy_(mod.tensor(w))
        P.register_parametrization(src, "weight", _symmetric(mod))
        out = P.transfer_parametrizations_and_params(src, dst, name)
        assert out is dst and P.is_parametrized(dst, "weight")
        assert dst.parametrizations.weight.original is src.parametrizations.weight.original
        results.append(dst.weight.detach().numpy())
        # a module lacking the parameter gets it
        bare = mod.nn.Module()
        P.transfer_parametrizations_and_params(src, bare, "weight")
        results.append(bare.weight.detach().numpy())
        # an unparametrized source changes nothing
        plain = mod.nn.Linear(2, 2)
        assert P.transfer_parametrizations_and_params(mod.nn.Linear(2, 2), plain) is plain
        assert not P.is_parametrized(plain)
    for e, t in zip(results[:2], results[2:]):
        np.testing.assert_array_equal(e, t)


def test_sharing_strategy():
    import ember.multiprocessing as emp
    import torch.multiprocessing as tmp
    assert emp.get_sharing_strategy() == tmp.get_sharing_strategy() == "file_descriptor"
    assert emp.get_all_sharing_strategies() <= tmp.get_all_sharing_strategies()
    emp.set_sharing_strategy("file_descriptor")
    for mod in (emp, tmp):
        with pytest.raises(AssertionError, match="invalid sharing strategy"):
            mod.set_sharing_strategy("carrier_pigeon")


def test_cpu_capabilities_match_torch():
    ours, theirs = ember.cpu.get_capabilities(), torch.cpu.get_capabilities()
    assert ours["architecture"] == theirs["architecture"]
    flags = [k for k, v in theirs.items() if isinstance(v, bool)]
    assert flags and {k: ours.get(k) for k in flags} == {k: theirs[k] for k in flags}
    for key in ("num_logical_cores", "num_physical_cores", "num_sockets", "l1d_cache_size",
                "l2_cache_size"):
        if key in theirs:
            assert ours[key] == theirs[key], key


def test_profiler_extras_match_torch():
    assert ember.profiler.kineto_available() is False
    for name, member in torch.profiler.DeviceType.__members__.items():
        assert int(getattr(ember.profiler.DeviceType, name)) == int(member)


def test_accelerator_extras_without_gpu_match_torch():
    if ember.cuda.is_available():
        caps = ember.accelerator.get_device_capability()
        assert ember.float32 in caps["supported_dtypes"]
        with pytest.warns(FutureWarning):
            assert ember.accelerator.current_device_idx() == \
                ember.accelerator.current_device_index()
        ember.accelerator.empty_host_cache()
        ember.accelerator.reset_accumulated_memory_stats()
        assert ember.cuda.memory_stats()["num_ooms"] == 0
        return
    for name in ("empty_host_cache", "get_device_capability", "reset_accumulated_memory_stats"):
        for mod in (ember, torch):
            with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
                getattr(mod.accelerator, name)()
    for mod in (ember, torch):
        with pytest.warns(FutureWarning, match="current_device_index"), \
                pytest.raises(RuntimeError, match="Cannot access accelerator device"):
            mod.accelerator.current_device_idx()
        with pytest.warns(FutureWarning, match="set_device_index"), \
                pytest.raises(RuntimeError, match="Cannot access accelerator device"):
            mod.accelerator.set_device_idx(0)


def test_hub_github_runs_only_trusted_repos(tmp_path, monkeypatch):
    """As torch: trust_repo=True lists the repo in <hub dir>/trusted_list; "check" then runs
    it without asking; an unlisted repo is asked about, and a refusal raises."""
    before = ember.hub.get_dir()
    ember.hub.set_dir(tmp_path / "hub")
    try:
        for repo in ("owner_trusted_main", "owner_other_main"):
            (tmp_path / "hub" / repo).mkdir(parents=True)
            (tmp_path / "hub" / repo / "hubconf.py").write_text("def m():\n    return 7\n")
        monkeypatch.setattr("builtins.input", lambda prompt: "n")
        with pytest.raises(RuntimeError, match="Untrusted repository owner/other"):
            ember.hub.load("owner/other", "m", verbose=False)
        assert ember.hub.load("owner/trusted", "m", verbose=False, trust_repo=True) == 7
        assert (tmp_path / "hub" / "trusted_list").read_text().split() == ["owner_trusted"]
        assert ember.hub.load("owner/trusted", "m", verbose=False) == 7
        monkeypatch.setattr("builtins.input", lambda prompt: "y")
        assert ember.hub.load("owner/other", "m", verbose=False, trust_repo=False) == 7
        assert (tmp_path / "hub" / "trusted_list").read_text().split() == [
            "owner_trusted", "owner_other"]
        with pytest.warns(UserWarning, match="not in your trusted list"):
            (tmp_path / "hub" / "trusted_list").unlink()
            assert ember.hub.load("owner/other", "m", verbose=False, trust_repo=None) == 7
    finally:
        ember.hub.set_dir(before)
