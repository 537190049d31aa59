"""Files that try to run code: weights_only=True (the default) refuses them and runs nothing."""

import io
import os
import pickle
import sys

import pytest

import ember
import ember._zip


class RunsShell:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class RunsExec:
    def __init__(self, code):
        self.code = code

    def __reduce__(self):
        import builtins
        return (builtins.exec, (self.code,))


def in_zip(payload: bytes) -> io.BytesIO:
    """A well-formed checkpoint archive whose data.pkl is ``payload``."""
    out = io.BytesIO()
    w = ember._zip.ZipWriter(out)
    w.write_record("archive/data.pkl", payload)
    w.write_record("archive/version", b"3\n")
    w.close()
    out.seek(0)
    return out


def legacy(payload: bytes) -> io.BytesIO:
    """A legacy-format stream (magic, protocol, sys info) followed by ``payload``."""
    head = b"".join(pickle.dumps(x, protocol=2) for x in (
        0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True,
                                       "type_sizes": {"short": 2, "int": 4, "long": 4}}))
    return io.BytesIO(head + payload + pickle.dumps([], protocol=2))


@pytest.fixture
def marker(tmp_path):
    return tmp_path / "pwned"


def payloads(marker):
    shell = pickle.dumps({"w": RunsShell(f"touch {marker}")}, protocol=2)
    execs = pickle.dumps([RunsExec(f"open({str(marker)!r}, 'w').close()")], protocol=2)
    # Hand-written: GLOBAL posix.system directly, no class involved
    raw = b"\x80\x02cposix\nsystem\nq\x00X" + len(f"touch {marker}").to_bytes(4, "little") + \
        f"touch {marker}".encode() + b"\x85R."
    # builtins.getattr chain, the usual way around name checks
    getattr_chain = b"\x80\x02c__builtin__\ngetattr\n(c__builtin__\n__import__\n(Vos\ntRVsystem\n" \
                    b"tR(Vtouch " + str(marker).encode() + b"\ntR."
    return {"os.system": shell, "builtins.exec": execs, "raw": raw, "getattr": getattr_chain}


@pytest.mark.parametrize("kind", ["os.system", "builtins.exec", "raw", "getattr"])
@pytest.mark.parametrize("container", ["zip", "legacy", "bare"])
def test_refused_and_nothing_runs(kind, container, marker):
    payload = payloads(marker)[kind]
    f = {"zip": in_zip, "legacy": legacy, "bare": io.BytesIO}[container](payload)
    with pytest.raises(pickle.UnpicklingError) as err:
        ember.load(f)
    assert not marker.exists()
    if container != "bare":
        msg = str(err.value)
        assert "add_safe_globals" in msg and "weights_only" in msg
        assert any(n in msg for n in ("system", "exec", "getattr", "__import__"))


def test_global_name_in_message(marker):
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL posix.system was not an allowed"):
        ember.load(in_zip(payloads(marker)["raw"]))


def test_weights_only_false_trusts_the_file(marker):
    # documented behaviour: weights_only=False runs what the file says
    ember.load(in_zip(payloads(marker)["os.system"]), weights_only=False)
    assert marker.exists()


@pytest.mark.parametrize("pkl", [
    # BUILD on a tensor would set its storage/offset: refused
    b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n",
    # NEWOBJ of a tensor class: refused
    b"\x80\x02ctorch\nTensor\n)\x81.",
    # protocol 0 INST of an allowed class
    b"(icollections\nOrderedDict\n.",
])
def test_state_setting_opcodes_refused(pkl):
    with pytest.raises((pickle.UnpicklingError, EOFError)):
        ember.load(in_zip(pkl))


def test_build_on_tensor_refused():
    buf = io.BytesIO()
    ember.save(ember.ones(4), buf)
    import zipfile
    z = zipfile.ZipFile(buf)
    pkl = z.read("archive/data.pkl")
    assert pkl.endswith(b".")
    evil = pkl[:-1] + b"}}(X\x07\x00\x00\x00_offsetJ\x00\x00\x00\x10u\x86b."  # BUILD ({}, {...})
    out = io.BytesIO()
    w = ember._zip.ZipWriter(out)
    for name in z.namelist():
        w.write_record(name, evil if name.endswith("data.pkl") else z.read(name))
    w.close()
    out.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="Can only build"):
        ember.load(out)


def test_view_out_of_storage_refused():
    """A tensor whose size/offset reaches past its storage never gets built."""
    buf = io.BytesIO()
    ember.save(ember.ones(4), buf)
    import zipfile
    z = zipfile.ZipFile(buf)
    pkl = z.read("archive/data.pkl")
    evil = pkl.replace(b"K\x04\x85", b"K\x09\x85", 1)  # size (4,) -> (9,)
    assert evil != pkl
    out = io.BytesIO()
    w = ember._zip.ZipWriter(out)
    for name in z.namelist():
        w.write_record(name, evil if name.endswith("data.pkl") else z.read(name))
    w.close()
    out.seek(0)
    with pytest.raises(ValueError, match="holds 4 elements"):
        ember.load(out)


def test_storage_size_mismatch_refused():
    buf = io.BytesIO()
    ember.save(ember.ones(4), buf)
    import zipfile
    z = zipfile.ZipFile(buf)
    out = io.BytesIO()
    w = ember._zip.ZipWriter(out)
    for name in z.namelist():
        data = z.read(name)
        w.write_record(name, data[:8] if name.endswith("data/0") else data)
    w.close()
    out.seek(0)
    with pytest.raises(ValueError, match="holds 8 bytes.*16 bytes"):
        ember.load(out)


def test_no_module_is_imported_for_a_refused_global():
    name = "ember_test_never_imported_module"
    payload = f"\x80\x02c{name}\nthing\n.".encode()
    with pytest.raises(pickle.UnpicklingError):
        ember.load(in_zip(payload))
    assert name not in sys.modules
