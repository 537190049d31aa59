"""SummaryWriter: event files decoded by a small reader of the TFRecord framing and of
protobuf's wire format written here, independently of the writer's encoder."""

import glob
import os
import struct

import ember
import numpy as np
import pytest

from ember.utils.tensorboard import SummaryWriter


# --------------------------------------------------------------------------- the reader
def _crc32c(data: bytes) -> int:
    # bitwise CRC-32C (slow and obviously right; the writer uses a table)
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def _masked(data: bytes) -> int:
    c = _crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_records(path):
    data = open(path, "rb").read()
    pos, out = 0, []
    while pos < len(data):
        header = data[pos:pos + 8]
        (n,) = struct.unpack("<Q", header)
        (hcrc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        assert hcrc == _masked(header)
        body = data[pos + 12:pos + 12 + n]
        (dcrc,) = struct.unpack("<I", data[pos + 12 + n:pos + 16 + n])
        assert dcrc == _masked(body)
        out.append(body)
        pos += 16 + n
    assert pos == len(data)
    return out


def _varint(buf, pos):
    shift = value = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def decode(buf):
    """{field number: [raw values]}: ints for varints, bytes for the others."""
    fields, pos = {}, 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, pos = _varint(buf, pos)
        elif wire == 1:
            v, pos = buf[pos:pos + 8], pos + 8
        elif wire == 5:
            v, pos = buf[pos:pos + 4], pos + 4
        elif wire == 2:
            n, pos = _varint(buf, pos)
            v, pos = buf[pos:pos + n], pos + n
        else:
            raise AssertionError(f"wire type {wire}")
        fields.setdefault(num, []).append(v)
    return fields


def f64(b):
    return struct.unpack("<d", b)[0]


def events(logdir):
    (path,) = glob.glob(os.path.join(logdir, "events.out.tfevents.*"))
    return [decode(r) for r in read_records(path)]


def summary_values(evs):
    """(step, Summary.Value fields) for every summary event."""
    out = []
    for e in evs:
        for s in e.get(5, []):
            for v in decode(s)[1]:
                out.append((e.get(2, [0])[0], decode(v)))
    return out


# --------------------------------------------------------------------------- tests
def test_file_name_and_version_record(tmp_path):
    w = SummaryWriter(tmp_path, filename_suffix=".x")
    w.close()
    (path,) = glob.glob(str(tmp_path / "events.out.tfevents.*"))
    name = os.path.basename(path)
    parts = name.split(".")
    assert name.endswith(".x") and parts[3].isdigit() and str(os.getpid()) in parts
    (ev,) = events(str(tmp_path))
    assert ev[3] == [b"brain.Event:2"]
    assert abs(f64(ev[1][0]) - __import__("time").time()) < 60


def test_default_log_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    import socket
    with SummaryWriter(comment="_lr0.1") as w:
        assert w.log_dir.startswith("runs" + os.sep)
        assert w.log_dir.endswith("_" + socket.gethostname() + "_lr0.1")
    assert glob.glob(os.path.join(w.log_dir, "events.out.tfevents.*"))


def test_scalars_steps_and_zero(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", 0.5, 3)
        w.add_scalar("loss", ember.tensor(0.0), 4)  # 0.0 is in a oneof: must be written
        w.add_scalar("acc", np.float64(0.25), walltime=123.0)
    vals = summary_values(events(str(tmp_path)))
    got = [(step, v[1][0], struct.unpack("<f", v[2][0])[0]) for step, v in vals]
    assert got == [(3, b"loss", 0.5), (4, b"loss", 0.0), (0, b"acc", 0.25)]
    ev = events(str(tmp_path))[-1]
    assert f64(ev[1][0]) == 123.0


def test_scalar_new_style(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("x", 1.5, 1, new_style=True, double_precision=True)
    (step, v), = summary_values(events(str(tmp_path)))
    tensor = decode(v[8][0])
    assert tensor[1] == [2] and f64(tensor[6][0]) == 1.5   # DT_DOUBLE, double_val
    assert decode(decode(v[9][0])[1][0])[1] == [b"scalars"]


def test_scalar_rejects_vectors(tmp_path):
    with SummaryWriter(tmp_path) as w, pytest.raises(AssertionError, match="one element"):
        w.add_scalar("x", ember.ones(3))


def test_add_scalars_sub_runs(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalars("run/loss", {"train": 1.0, "val": 2.0}, 7)
    for sub, value in (("run_loss_train", 1.0), ("run_loss_val", 2.0)):
        (step, v), = summary_values(events(str(tmp_path / sub)))
        assert step == 7 and v[1] == [b"run/loss"]
        assert struct.unpack("<f", v[2][0])[0] == value


def test_histogram(tmp_path):
    x = np.array([-1.0, 0.5, 0.5, 2.0, 3.0])
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("w", ember.tensor(x), 2)
        w.add_histogram("e", x, 3, bins=[-2.0, 0.0, 1.0, 4.0])
    (_, tf), (_, ex) = summary_values(events(str(tmp_path)))
    h = decode(tf[5][0])
    assert [f64(h[i][0]) for i in (1, 2, 3, 4, 5)] == [-1.0, 3.0, 5.0, 5.0, 14.5]
    counts = struct.unpack(f"<{len(h[7][0]) // 8}d", h[7][0])
    assert sum(counts) == 5 and counts[0] == 0
    h = decode(ex[5][0])
    limits = struct.unpack("<4d", h[6][0])
    counts = struct.unpack("<4d", h[7][0])
    # right edges only: an empty first bucket ends at the leftmost edge
    assert limits == (-2.0, 0.0, 1.0, 4.0) and counts == (0.0, 1.0, 2.0, 2.0)


def test_histogram_empty_raises(tmp_path):
    with SummaryWriter(tmp_path) as w, pytest.raises(ValueError, match="no element"):
        w.add_histogram("w", np.zeros(0))


def test_text(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_text("notes", "héllo **world**", 5)
    (step, v), = summary_values(events(str(tmp_path)))
    assert step == 5 and v[1] == [b"notes/text_summary"]
    tensor = decode(v[8][0])
    assert tensor[1] == [7] and tensor[8] == ["héllo **world**".encode()]
    assert decode(decode(v[9][0])[1][0])[1] == [b"text"]


def test_image_png(tmp_path):
    img = np.zeros((3, 2, 4), np.float32)
    img[0, 1, 2] = 1.0
    with SummaryWriter(tmp_path) as w:
        w.add_image("im", img, 1)
    (step, v), = summary_values(events(str(tmp_path)))
    im = decode(v[4][0])
    assert (im[1], im[2], im[3]) == ([2], [4], [3])
    png = im[4][0]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    import zlib
    idat = png[png.index(b"IDAT") + 4:]
    rows = np.frombuffer(zlib.decompressobj().decompress(idat), np.uint8).reshape(2, 1 + 12)
    pixels = rows[:, 1:].reshape(2, 4, 3)
    assert pixels[1, 2, 0] == 255 and pixels.sum() == 255


def test_hparams(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.1, "opt": "sgd", "skip": None}, {"acc": 0.75}, run_name="r")
    vals = summary_values(events(str(tmp_path / "r")))
    tags = [v[1][0] for _, v in vals]
    assert tags == [b"_hparams_/experiment", b"_hparams_/session_start_info",
                    b"_hparams_/session_end_info", b"acc"]
    plugin = decode(decode(vals[1][1][9][0])[1][0])
    assert plugin[1] == [b"hparams"]
    ssi = decode(decode(plugin[2][0])[3][0])
    entries = {decode(e)[1][0]: decode(decode(e)[2][0]) for e in ssi[1]}
    assert f64(entries[b"lr"][2][0]) == 0.1 and entries[b"opt"][3] == [b"sgd"]
    assert b"skip" not in entries
    with pytest.raises(TypeError):
        SummaryWriter(tmp_path / "b").add_hparams([1], {})


def test_purge_step(tmp_path):
    with SummaryWriter(tmp_path, purge_step=10):
        pass
    evs = events(str(tmp_path))
    assert evs[1][2] == [10] and evs[1][3] == [b"brain.Event:2"]
    assert evs[2][2] == [10] and decode(evs[2][7][0])[1] == [1]  # SessionLog START


def test_queue_flush_and_reopen(tmp_path):
    w = SummaryWriter(tmp_path, max_queue=3)
    w.add_scalar("a", 1.0, 0)
    path = glob.glob(str(tmp_path / "events.out.tfevents.*"))[0]
    assert len(read_records(path)) == 0          # file version + one scalar: still queued
    w.add_scalar("a", 2.0, 1)                    # third pending record: written
    assert len(read_records(path)) == 3
    w.add_scalar("a", 3.0, 2)
    w.flush()
    assert len(read_records(path)) == 4
    w.close()
    w.close()
    w.flush()                                    # after close: nothing to do
    w.add_scalar("a", 4.0, 3)                    # after close: a new file
    w.close()
    assert len(glob.glob(str(tmp_path / "events.out.tfevents.*"))) == 2


def test_periodic_flush(tmp_path):
    import time
    w = SummaryWriter(tmp_path, flush_secs=0.05)
    w.add_scalar("a", 1.0, 0)
    path = glob.glob(str(tmp_path / "events.out.tfevents.*"))[0]
    deadline = time.time() + 5
    while len(read_records(path)) < 2 and time.time() < deadline:
        time.sleep(0.02)
    assert len(read_records(path)) == 2
    w.close()
