"""Models published as entry points of a ``hubconf.py``, as torch.hub.list/help/load.

A repo is a folder (``source="local"``) or a GitHub repository ``"owner/name[:ref]"``
(``source="github"``) holding a ``hubconf.py``; every public callable there is an entry
point, and its optional ``dependencies`` list names modules that must be importable first.
A GitHub repo is fetched once as a zip of ``ref`` (default: the ``main`` branch) into
``<hub dir>/<owner>_<name>_<ref>`` and used from there afterwards, without the network;
when the download fails the error says so and suggests a local checkout. Running a GitHub
repo's code needs trust, as in torch: ``trust_repo=True`` records the repo in
``<hub dir>/trusted_list``; ``"check"`` (the default) or ``False`` asks on the terminal
unless it is listed (a refusal, or no terminal to ask on, raises); ``None`` only warns.

Example:
    >>> ember.hub.list("/path/to/repo", source="local")
    ['resnet_tiny']
    >>> model = ember.hub.load("/path/to/repo", "resnet_tiny", source="local", pretrained=False)
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
import types
import urllib.error
import urllib.request
import warnings
import zipfile

_HUBCONF = "hubconf.py"


def _import_hubconf(repo_dir: str) -> types.ModuleType:
    path = os.path.join(repo_dir, _HUBCONF)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} does not exist")
    spec = importlib.util.spec_from_file_location("hubconf", path)
    module = importlib.util.module_from_spec(spec)
    # the hubconf imports its repo's own modules, as torch lets it
    sys.path.insert(0, repo_dir)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(repo_dir)
    missing = [name for name in getattr(module, "dependencies", None) or ()
               if importlib.util.find_spec(name) is None]
    if missing:
        raise RuntimeError(f"Missing dependencies: {', '.join(missing)}")
    return module


def _entry(module: types.ModuleType, model) -> object:
    if not isinstance(model, str):
        raise ValueError("Invalid input: model should be a string of function name")
    func = getattr(module, model, None)
    if func is None or not callable(func):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return func


def _parse_github(repo: str) -> tuple[str, str, str]:
    owner_name, _, ref = repo.partition(":")
    owner, _, name = owner_name.partition("/")
    if not owner or not name or "/" in name:
        raise ValueError(f'Invalid GitHub repo "{repo}": expected "owner/name[:ref]"')
    return owner, name, ref or "main"


def _check_trusted(owner: str, name: str, trust_repo, hub_dir: str) -> None:
    """Refuses a GitHub repo the user has not trusted (see the module docstring)."""
    trusted_file = os.path.join(hub_dir, "trusted_list")
    entry = f"{owner}_{name}"
    trusted = set()
    if os.path.isfile(trusted_file):
        with open(trusted_file) as f:
            trusted = {line.strip() for line in f}
    if trust_repo is None:
        if entry not in trusted:
            warnings.warn(f"You are about to run code from the GitHub repo {owner}/{name}, "
                          "which is not in your trusted list: pass trust_repo=True to trust "
                          "it, or trust_repo='check' to be asked.", UserWarning, stacklevel=4)
        return
    if trust_repo is True or (trust_repo == "check" and entry in trusted):
        pass
    else:
        try:
            answer = input(f"The repository {owner}/{name} does not belong to the list of "
                           "trusted repositories and running its hubconf.py runs its code. "
                           "Do you trust this repository and wish to add it to the trusted "
                           "list of repositories (y/N)? ")
        except (EOFError, OSError):  # no terminal to ask on: not trusted
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            raise RuntimeError(f"Untrusted repository {owner}/{name}: pass trust_repo=True "
                               "to run its code.")
    if entry not in trusted:
        os.makedirs(hub_dir, exist_ok=True)
        with open(trusted_file, "a") as f:
            f.write(entry + "\n")


def _github_dir(repo: str, force_reload: bool, verbose: bool, trust_repo) -> str:
    from .hub import get_dir
    owner, name, ref = _parse_github(repo)
    hub_dir = get_dir()
    _check_trusted(owner, name, trust_repo, hub_dir)
    target = os.path.join(hub_dir, "_".join((owner, name, ref.replace("/", "_"))))
    if os.path.isdir(target) and not force_reload:
        if verbose:
            sys.stderr.write(f"Using cache found in {target}\n")
        return target
    url = f"https://github.com/{owner}/{name}/zipball/{ref}"
    os.makedirs(hub_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=hub_dir) as tmp:
        archive = os.path.join(tmp, "repo.zip")
        if verbose:
            sys.stderr.write(f'Downloading: "{url}" to {archive}\n')
        try:
            with urllib.request.urlopen(url) as response, open(archive, "wb") as out:
                shutil.copyfileobj(response, out)
        except (urllib.error.URLError, OSError) as e:
            raise RuntimeError(
                f"could not download the hub repo {repo} from {url} ({e}). Without network "
                f"access, put a checkout of it at {target}, or load it from a folder with "
                "source='local'.") from e
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp)
            top = zf.namelist()[0].split("/")[0]  # GitHub's "<owner>-<name>-<sha>" folder
        if os.path.isdir(target):
            shutil.rmtree(target)
        shutil.move(os.path.join(tmp, top), target)
    return target


def _repo_dir(repo_or_dir: str, source: str, force_reload: bool, verbose: bool,
              trust_repo) -> str:
    source = source.lower()
    if source not in ("github", "local"):
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    if source == "local":
        return os.fspath(repo_or_dir)
    return _github_dir(repo_or_dir, force_reload, verbose, trust_repo)


def list(github: str, force_reload: bool = False, skip_validation: bool = False,
         trust_repo="check", verbose: bool = True) -> list:
    """The names of the entry points of a GitHub repo's hubconf.py (pass a folder and
    ``source="local"`` to ``load``; here a path to an existing folder is taken as local,
    as ember cannot prompt).

    Example:
        >>> ember.hub.list("/path/to/repo")
        ['resnet_tiny']
    """
    source = "local" if os.path.isdir(os.fspath(github)) else "github"
    module = _import_hubconf(_repo_dir(github, source, force_reload, verbose, trust_repo))
    return [name for name in dir(module)
            if callable(getattr(module, name)) and not name.startswith("_")]


def help(github: str, model: str, force_reload: bool = False, skip_validation: bool = False,
         trust_repo="check") -> str | None:
    """The docstring of one entry point of a repo's hubconf.py (a folder counts as local,
    as in ``list``).

    Example:
        >>> print(ember.hub.help("/path/to/repo", "resnet_tiny"))
        A small ResNet.
    """
    source = "local" if os.path.isdir(os.fspath(github)) else "github"
    module = _import_hubconf(_repo_dir(github, source, force_reload, True, trust_repo))
    return _entry(module, model).__doc__


def load(repo_or_dir: str, model: str, *args, source: str = "github", trust_repo="check",
         force_reload: bool = False, verbose: bool = True, skip_validation: bool = False,
         **kwargs):
    """Calls entry point ``model`` of the repo's hubconf.py with args and kwargs and
    returns what it returns (usually a module, often with pretrained weights).

    Example:
        >>> net = ember.hub.load("/path/to/repo", "resnet_tiny", source="local", width=8)
    """
    module = _import_hubconf(_repo_dir(repo_or_dir, source, force_reload, verbose,
                                       trust_repo))
    return _entry(module, model)(*args, **kwargs)
