"""Download, integrity and archive helpers with torchvision's ``datasets.utils`` API.

Downloads are resumable and atomic: bytes go to ``<file>.part`` (continued with an HTTP
``Range`` request when a partial file is already there), the MD5 is checked, and only then is
the file renamed into place, so an interrupted run never leaves a truncated file that looks
complete.

Example:
    >>> from embervision.datasets.utils import check_integrity
    >>> check_integrity("/no/such/file")
    False
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import os
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

USER_AGENT = "embervision"
_CHUNK = 1024 * 32


def calculate_md5(fpath: str | Path, chunk_size: int = 1024 * 1024) -> str:
    """The hex MD5 digest of a file, read in chunks."""
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath: str | Path, md5: str, **kwargs: Any) -> bool:
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath: str | Path, md5: str | None = None) -> bool:
    """True when ``fpath`` is a file and, if ``md5`` is given, its digest matches."""
    if not os.path.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)


def _fetch(url: str, dest: str, timeout: float) -> None:
    """Stream ``url`` into ``dest``, resuming from ``dest``'s current size when possible."""
    start = os.path.getsize(dest) if os.path.exists(dest) else 0
    headers = {"User-Agent": USER_AGENT}
    if start:
        headers["Range"] = f"bytes={start}-"
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        # 206 means the server honoured the Range header; anything else restarts from zero.
        mode = "ab" if start and getattr(response, "status", 200) == 206 else "wb"
        with open(dest, mode) as f:
            while chunk := response.read(_CHUNK):
                f.write(chunk)


def download_url(url: str, root: str | Path, filename: str | Path | None = None,
                 md5: str | None = None, max_redirect_hops: int = 3,
                 timeout: float = 60.0) -> None:
    """Download ``url`` into ``root/filename`` unless a file with the right MD5 is there.

    Raises ``RuntimeError`` naming the file and the URL when the download fails (for
    example offline), and when the downloaded file's MD5 does not match.
    """
    root = os.path.expanduser(root)
    if not filename:
        filename = os.path.basename(url)
    fpath = os.fspath(os.path.join(root, filename))
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return
    part = fpath + ".part"
    try:
        _fetch(url, part, timeout)
    except (urllib.error.URLError, OSError) as error:
        raise RuntimeError(
            f"Error downloading {os.path.basename(fpath)} from {url} into {fpath}: {error}. "
            f"If you are offline, place the file at {fpath} yourself.") from error
    if md5 is not None and not check_md5(part, md5):
        os.remove(part)
        raise RuntimeError(f"The MD5 checksum of {url} does not match {md5}; "
                           f"the partial file was removed, try again.")
    os.replace(part, fpath)


def list_dir(root: str | Path, prefix: bool = False) -> list[str]:
    """Names (or full paths with ``prefix=True``) of the folders directly under ``root``."""
    root = os.path.expanduser(root)
    dirs = [p for p in os.listdir(root) if os.path.isdir(os.path.join(root, p))]
    return [os.path.join(root, d) for d in dirs] if prefix else dirs


def list_files(root: str | Path, suffix: str | tuple[str, ...], prefix: bool = False) -> list[str]:
    """Files directly under ``root`` whose names end with ``suffix``."""
    root = os.path.expanduser(root)
    files = [p for p in os.listdir(root)
             if os.path.isfile(os.path.join(root, p)) and p.endswith(suffix)]
    return [os.path.join(root, f) for f in files] if prefix else files


_COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz")


def _safe_members(tar: tarfile.TarFile, to_path: str) -> Iterable[tarfile.TarInfo]:
    # Refuse members that would land outside to_path ("../" or absolute names).
    base = os.path.realpath(to_path)
    for member in tar.getmembers():
        target = os.path.realpath(os.path.join(to_path, member.name))
        if os.path.commonpath([base, target]) != base:
            raise RuntimeError(f"Refusing to extract {member.name!r} outside {to_path}")
        yield member


def extract_archive(from_path: str | Path, to_path: str | Path | None = None,
                    remove_finished: bool = False) -> str:
    """Extract a tar/zip archive or decompress a .gz/.bz2/.xz file; returns ``to_path``."""
    from_path = os.fspath(from_path)
    to_path = os.path.dirname(from_path) if to_path is None else os.fspath(to_path)
    lower = from_path.lower()
    if lower.endswith(_TAR_SUFFIXES):
        with tarfile.open(from_path) as tar:
            tar.extractall(to_path, members=list(_safe_members(tar, to_path)))
    elif lower.endswith(".zip"):
        with zipfile.ZipFile(from_path) as archive:
            for name in archive.namelist():
                target = os.path.realpath(os.path.join(to_path, name))
                if os.path.commonpath([os.path.realpath(to_path), target]) != \
                        os.path.realpath(to_path):
                    raise RuntimeError(f"Refusing to extract {name!r} outside {to_path}")
            archive.extractall(to_path)
    else:
        suffix = os.path.splitext(lower)[1]
        if suffix not in _COMPRESSED:
            raise RuntimeError(f"Couldn't detect the archive type of {from_path}; supported: "
                               f"{', '.join(_TAR_SUFFIXES + ('.zip',) + tuple(_COMPRESSED))}")
        out = os.path.join(to_path, os.path.basename(from_path)[: -len(suffix)])
        with _COMPRESSED[suffix](from_path, "rb") as src, open(out + ".part", "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.replace(out + ".part", out)
    if remove_finished:
        os.remove(from_path)
    return to_path


def download_and_extract_archive(url: str, download_root: str | Path,
                                 extract_root: str | Path | None = None,
                                 filename: str | Path | None = None, md5: str | None = None,
                                 remove_finished: bool = False) -> None:
    """``download_url`` then ``extract_archive`` (into ``download_root`` by default)."""
    download_root = os.path.expanduser(download_root)
    if extract_root is None:
        extract_root = download_root
    if not filename:
        filename = os.path.basename(url)
    download_url(url, download_root, filename, md5)
    archive = os.path.join(download_root, filename)
    extract_archive(archive, extract_root, remove_finished)


def verify_str_arg(value: str, arg: str | None = None, valid_values: Iterable[str] | None = None,
                   custom_msg: str | None = None) -> str:
    """Check that ``value`` is a str and one of ``valid_values``; raise ``ValueError`` if not."""
    if not isinstance(value, str):
        msg = "Expected type str" + (f" for argument {arg}" if arg is not None else "")
        raise ValueError(f"{msg}, but got type {type(value)}.")
    if valid_values is None:
        return value
    if value not in valid_values:
        if custom_msg is not None:
            raise ValueError(custom_msg)
        valid = ", ".join(repr(v) for v in valid_values)
        raise ValueError(f"Unknown value '{value}' for argument {arg}. Valid values are "
                         f"{{{valid}}}.")
    return value
