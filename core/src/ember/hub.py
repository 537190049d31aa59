"""Downloading and caching checkpoints, as ``torch.hub``'s file functions; ``list``,
``help`` and ``load`` of hubconf.py entry points come from ``ember._hub_repos``.

The cache follows torch's layout under ``$EMBER_HOME`` (default ``$XDG_CACHE_HOME/ember``,
else ``~/.cache/ember``): ``hub/checkpoints/<file name>``. A cached file is used without
touching the network, so a pre-populated cache works offline.

Example:
    >>> sd = ember.hub.load_state_dict_from_url(
    ...     "https://download.pytorch.org/models/resnet18-f37072fd.pth", check_hash=True)
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from ._hub_repos import help, list, load  # noqa: A004  (torch.hub's names)

__all__ = ["download_url_to_file", "get_dir", "help", "list", "load", "load_state_dict_from_url",
           "set_dir"]

HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")  # "resnet18-f37072fd.pth" -> "f37072fd"
_CHUNK = 1 << 20
_hub_dir: str | None = None


def _ember_home() -> str:
    default = os.path.join(os.getenv("XDG_CACHE_HOME", os.path.join("~", ".cache")), "ember")
    return os.path.expanduser(os.getenv("EMBER_HOME", default))


def get_dir() -> str:
    """The hub cache folder: the one given to ``set_dir``, else ``$EMBER_HOME/hub``."""
    return _hub_dir if _hub_dir is not None else os.path.join(_ember_home(), "hub")


def set_dir(d) -> None:
    """Sets the hub cache folder used by ``load_state_dict_from_url``."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


class _Progress:
    """A one-line progress report on stderr, redrawn at most ten times a second."""

    def __init__(self, name: str, total: int | None, enabled: bool):
        self.name, self.total, self.enabled = name, total, enabled
        self.done = 0
        self._last = 0.0

    def update(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and now - self._last >= 0.1:
            self._last = now
            self._draw()

    def _draw(self) -> None:
        mb = self.done / 2 ** 20
        if self.total:
            line = f"\r{self.name}: {100 * self.done // self.total:3d}% " \
                   f"{mb:.1f}/{self.total / 2 ** 20:.1f} MB"
        else:
            line = f"\r{self.name}: {mb:.1f} MB"
        sys.stderr.write(line)
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw()
            sys.stderr.write("\n")
            sys.stderr.flush()


def download_url_to_file(url: str, dst, hash_prefix: str | None = None,
                         progress: bool = True) -> None:
    """Downloads ``url`` to ``dst``: into a temporary file beside it, checking the SHA-256
    against ``hash_prefix`` when given, then moved into place (never a half file at ``dst``).

    Example:
        >>> ember.hub.download_url_to_file("https://example.com/w.pt", "/tmp/w.pt")
    """
    dst = os.path.expanduser(os.fspath(dst))
    folder = os.path.dirname(os.path.abspath(dst))
    os.makedirs(folder, exist_ok=True)
    request = urllib.request.Request(url, headers={"User-Agent": "ember.hub"})
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(dst)}.", suffix=".partial",
                               dir=folder)
    try:
        sha = hashlib.sha256()
        with urllib.request.urlopen(request) as response, os.fdopen(fd, "wb") as out:
            length = response.headers.get("Content-Length") if hasattr(response, "headers") \
                else None
            bar = _Progress(os.path.basename(dst), int(length) if length else None, progress)
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                sha.update(chunk)
                bar.update(len(chunk))
            bar.close()
        if hash_prefix is not None:
            digest = sha.hexdigest()
            if not digest.startswith(hash_prefix):
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got '
                                   f'"{digest}")')
        shutil.move(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_state_dict_from_url(url: str, model_dir=None, map_location=None, progress: bool = True,
                             check_hash: bool = False, file_name: str | None = None,
                             weights_only: bool = True):
    """Loads a checkpoint from ``url``, downloading it into the cache on first use.

    The file goes to ``model_dir`` (default ``get_dir()/checkpoints``) as ``file_name`` (default
    the URL's last path part). With ``check_hash``, the file name must carry the first digits of
    the file's SHA-256 after a dash (``name-<hash>.ext``, torchvision's convention) and the
    download is checked against them. Then it is read with ``ember.load``.

    Example:
        >>> sd = ember.hub.load_state_dict_from_url("file:///data/lenet-1a2b3c4d.pt",
        ...                                         check_hash=True, map_location="cpu")
    """
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    model_dir = os.path.expanduser(os.fspath(model_dir))
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name or os.path.basename(urllib.parse.urlparse(url).path)
    if not filename:
        raise ValueError(f"can't tell a file name from the URL {url!r}; pass file_name")
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        hash_prefix = None
        if check_hash:
            match = HASH_REGEX.search(filename)
            hash_prefix = match.group(1) if match else None
            if not hash_prefix:
                raise ValueError(f"check_hash=True needs a file name like 'name-<sha256 "
                                 f"prefix>.ext', got '{filename}'")
        sys.stderr.write(f'Downloading: "{url}" to {cached_file}\n')
        download_url_to_file(url, cached_file, hash_prefix, progress=progress)
    from .serialization import load
    return load(cached_file, map_location=map_location, weights_only=weights_only)
