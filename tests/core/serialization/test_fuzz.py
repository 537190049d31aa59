"""Damaged checkpoints (truncated, bit-flipped, random bytes) raise clean exceptions, fast."""

import io
import pickle
import random
import time
import zipfile

import numpy as np

import ember

CLEAN = (ValueError, RuntimeError, pickle.UnpicklingError, zipfile.BadZipFile, EOFError,
         NotImplementedError, OSError)


def checkpoint() -> bytes:
    gen = ember.Generator().manual_seed(0)
    base = ember.randn(6, 5, generator=gen)
    sd = {"conv.weight": base, "conv.view": base[1:, ::2], "bias": ember.arange(5),
          "h": ember.ones(3, dtype=ember.float16), "meta": {"epoch": 3, "names": ["a", "b"]}}
    buf = io.BytesIO()
    ember.save(sd, buf)
    return buf.getvalue()


def variants(data: bytes, count: int, seed: int):
    rng = random.Random(seed)
    for i in range(count):
        kind = i % 4
        b = bytearray(data)
        if kind == 0:  # truncated
            yield bytes(b[:rng.randrange(len(b))])
        elif kind == 1:  # a few flipped bits
            for _ in range(rng.randint(1, 4)):
                pos = rng.randrange(len(b))
                b[pos] ^= 1 << rng.randrange(8)
            yield bytes(b)
        elif kind == 2:  # a random byte run overwritten
            pos = rng.randrange(len(b))
            n = rng.randint(1, 16)
            b[pos:pos + n] = bytes(rng.randrange(256) for _ in range(n))
            yield bytes(b[:len(data)])
        else:  # random bytes behind a plausible magic
            yield rng.choice([b"PK\x03\x04", b"\x80\x02", b""]) + rng.randbytes(rng.randrange(600))


def check(blob: bytes) -> None:
    start = time.perf_counter()
    try:
        out = ember.load(io.BytesIO(blob))
    except CLEAN:
        pass
    else:  # damage the checks can't see (padding, an equivalent pickle) must still be sane
        if isinstance(out, dict):
            for v in out.values():
                if isinstance(v, ember.Tensor):
                    v.float().sum()  # touches every element: must stay in bounds
    assert time.perf_counter() - start < 1.0


def test_fuzz_zip_checkpoint():
    data = checkpoint()
    for blob in variants(data, 2000, seed=1):
        check(blob)


def test_fuzz_pickle_of_checkpoint():
    """Flips aimed at data.pkl, where most of the structure lives."""
    data = checkpoint()
    z = zipfile.ZipFile(io.BytesIO(data))
    pkl = z.read("archive/data.pkl")
    rng = random.Random(2)
    import ember._zip
    for _ in range(600):
        b = bytearray(pkl)
        for _ in range(rng.randint(1, 3)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        out = io.BytesIO()
        w = ember._zip.ZipWriter(out)
        for name in z.namelist():
            w.write_record(name, bytes(b) if name.endswith("data.pkl") else z.read(name))
        w.close()
        check(out.getvalue())


def test_every_truncation_point_of_a_small_file():
    buf = io.BytesIO()
    ember.save({"w": ember.arange(4.0)}, buf)
    data = buf.getvalue()
    for n in range(len(data)):
        check(data[:n])
    assert np.array_equal(ember.load(io.BytesIO(data))["w"].numpy(), np.arange(4.0))
