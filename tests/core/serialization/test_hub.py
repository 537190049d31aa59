"""ember.hub: torch's cache layout, offline use of a cached file, downloads with hash checks."""

import functools
import hashlib
import http.server
import threading

import pytest

import ember
import ember.hub as hub


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(hub, "_hub_dir", None)
    return tmp_path / "home"


def make_checkpoint(folder, stem="lenet"):
    """A checkpoint named torchvision-style: stem-<first 8 hex of its SHA-256>.pt."""
    path = folder / f"{stem}.pt"
    ember.save({"w": ember.arange(3.0)}, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    named = folder / f"{stem}-{digest[:8]}.pt"
    path.rename(named)
    return named, digest


def test_dirs(home, tmp_path):
    assert hub.get_dir() == str(home / "hub")
    hub.set_dir(tmp_path / "elsewhere")
    assert hub.get_dir() == str(tmp_path / "elsewhere")


def test_cached_file_is_used_offline(home):
    cache = home / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    ember.save({"w": ember.ones(2)}, cache / "model-0123abcd.pt")
    sd = hub.load_state_dict_from_url("http://127.0.0.1:9/unreachable/model-0123abcd.pt",
                                      check_hash=True)
    assert sd["w"].tolist() == [1.0, 1.0]


def test_download_from_file_url(home, tmp_path, capsys):
    src, _ = make_checkpoint(tmp_path)
    sd = hub.load_state_dict_from_url(src.as_uri(), check_hash=True, progress=True)
    assert sd["w"].tolist() == [0.0, 1.0, 2.0]
    assert (home / "hub" / "checkpoints" / src.name).read_bytes() == src.read_bytes()
    assert "Downloading" in capsys.readouterr().err


def test_bad_hash_leaves_no_file(home, tmp_path):
    src, digest = make_checkpoint(tmp_path)
    bad = tmp_path / f"lenet-{'0' * 8 if not digest.startswith('0') else '1' * 8}.pt"
    bad.write_bytes(src.read_bytes())
    with pytest.raises(RuntimeError, match="invalid hash value"):
        hub.load_state_dict_from_url(bad.as_uri(), check_hash=True, progress=False)
    assert list((home / "hub" / "checkpoints").iterdir()) == []


def test_download_over_http(home, tmp_path):
    src, _ = make_checkpoint(tmp_path)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{src.name}"
        dst = tmp_path / "direct.pt"
        hub.download_url_to_file(url, dst, hash_prefix=src.name.split("-")[1][:8],
                                 progress=False)
        assert dst.read_bytes() == src.read_bytes()
        sd = hub.load_state_dict_from_url(url, model_dir=tmp_path / "models",
                                          file_name="renamed.pt", progress=False)
        assert sd["w"].tolist() == [0.0, 1.0, 2.0]
        assert (tmp_path / "models" / "renamed.pt").exists()
    finally:
        server.shutdown()
        server.server_close()


def test_check_hash_needs_a_hash_in_the_name(home, tmp_path):
    with pytest.raises(ValueError, match="check_hash"):
        hub.load_state_dict_from_url((tmp_path / "nohash.pt").as_uri(), check_hash=True)
