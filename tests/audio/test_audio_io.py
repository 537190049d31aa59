import io
from pathlib import Path

import ember
import numpy as np
import pytest
import soundfile as sf

import emberaudio

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "audio"

RNG = np.random.default_rng(0)


def _ints(bits, shape):
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1)
    return RNG.integers(lo, hi, size=shape, dtype=np.int64)


@pytest.mark.parametrize("fmt", ["wav", "flac", "aiff"])
@pytest.mark.parametrize("bits", [16, 24])
@pytest.mark.parametrize("channels", [1, 2])
def test_round_trip_pcm_float_input(tmp_path, fmt, bits, channels):
    q = _ints(bits, (channels, 500))
    x = ember.tensor((q / 2 ** (bits - 1)).astype(np.float32))
    path = tmp_path / f"a.{fmt}"
    emberaudio.save(path, x, 22050, bits_per_sample=bits)
    y, sr = emberaudio.load(path)
    assert sr == 22050 and y.dtype == ember.float32 and y.shape == (channels, 500)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    raw, _ = emberaudio.load(path, normalize=False)
    assert raw.dtype == (ember.int16 if bits == 16 else ember.int32)
    np.testing.assert_array_equal(raw.numpy().astype(np.int64) >> (0 if bits == 16 else 8), q)
    meta = emberaudio.info(path)
    assert (meta.sample_rate, meta.num_frames, meta.num_channels, meta.bits_per_sample) == (
        22050, 500, channels, bits)
    assert meta.encoding == ("FLAC" if fmt == "flac" else "PCM_S")


@pytest.mark.parametrize("dtype,np_dtype,bits,encoding", [
    (ember.int16, np.int16, 16, "PCM_S"), (ember.int32, np.int32, 32, "PCM_S"),
    (ember.uint8, np.uint8, 8, "PCM_U")])
def test_round_trip_wav_native_ints(tmp_path, dtype, np_dtype, bits, encoding):
    info = np.iinfo(np_dtype)
    q = RNG.integers(info.min, info.max, size=(2, 300), endpoint=True).astype(np_dtype)
    q[0, :2] = [info.min, info.max]
    path = tmp_path / "a.wav"
    emberaudio.save(path, ember.from_numpy(q), 8000)
    meta = emberaudio.info(path)
    assert (meta.bits_per_sample, meta.encoding) == (bits, encoding)
    raw, _ = emberaudio.load(path, normalize=False)
    assert raw.dtype == dtype
    np.testing.assert_array_equal(raw.numpy(), q)
    norm, _ = emberaudio.load(path)
    centred = q.astype(np.float64) - (128 if np_dtype == np.uint8 else 0)
    np.testing.assert_array_equal(norm.numpy(), (centred / 2 ** (bits - 1)).astype(np.float32))


@pytest.mark.parametrize("bits,encoding", [(32, "PCM_F"), (64, "PCM_F")])
def test_round_trip_float_wav(tmp_path, bits, encoding):
    x = RNG.uniform(-1.5, 1.5, size=(2, 257))
    dtype = ember.float32 if bits == 32 else ember.float64
    src = ember.tensor(x, dtype=dtype)
    path = tmp_path / "f.wav"
    emberaudio.save(path, src, 48000)
    meta = emberaudio.info(path)
    assert (meta.bits_per_sample, meta.encoding) == (bits, encoding)
    y, _ = emberaudio.load(path, normalize=False)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.numpy(), src.numpy())  # floats are not clipped
    y32, _ = emberaudio.load(path)
    assert y32.dtype == ember.float32


def test_float_to_pcm_rounds_and_clips(tmp_path):
    x = ember.tensor([[1.0, -1.0, 2.0, -2.0, 0.5 / 32768, 1.5 / 32768, 0.4 / 32768]])
    path = tmp_path / "c.wav"
    emberaudio.save(path, x, 8000, encoding="PCM_S", bits_per_sample=16)
    raw, _ = emberaudio.load(path, normalize=False)
    assert raw.tolist() == [[32767, -32768, 32767, -32768, 0, 2, 0]]


def test_eight_bit_unsigned_normalised(tmp_path):
    q = np.array([[0, 64, 128, 192, 255]], dtype=np.uint8)
    path = tmp_path / "u8.wav"
    emberaudio.save(path, ember.from_numpy(q), 8000)
    y, _ = emberaudio.load(path)
    assert y.tolist() == [[-1.0, -0.5, 0.0, 0.5, 127 / 128]]


def test_partial_reads_and_channels_last(tmp_path):
    q = _ints(16, (2, 1000)).astype(np.int16)
    path = tmp_path / "p.flac"
    emberaudio.save(path, ember.from_numpy(q), 16000)
    part, _ = emberaudio.load(path, frame_offset=100, num_frames=250, normalize=False)
    np.testing.assert_array_equal(part.numpy(), q[:, 100:350])
    tail, _ = emberaudio.load(path, frame_offset=900, normalize=False)
    np.testing.assert_array_equal(tail.numpy(), q[:, 900:])
    over, _ = emberaudio.load(path, frame_offset=990, num_frames=50, normalize=False)
    np.testing.assert_array_equal(over.numpy(), q[:, 990:])
    past, _ = emberaudio.load(path, frame_offset=5000)
    assert past.shape == (2, 0)
    last, _ = emberaudio.load(path, num_frames=10, channels_first=False, normalize=False)
    np.testing.assert_array_equal(last.numpy(), q[:, :10].T)
    with pytest.raises(ValueError, match="num_frames"):
        emberaudio.load(path, num_frames=0)
    with pytest.raises(ValueError, match="frame_offset"):
        emberaudio.load(path, frame_offset=-1)


@pytest.fixture
def _three_threads():
    old = ember.get_num_threads()
    ember.set_num_threads(3)
    yield
    ember.set_num_threads(old)


@pytest.mark.usefixtures("_three_threads")
@pytest.mark.parametrize("subtype,channels", [("PCM_16", 1), ("PCM_24", 2), ("PCM_S8", 2)])
def test_long_flac_decodes_in_ranges_bit_exact(tmp_path, subtype, channels):
    # long enough for load to decode it as 3 parallel frame ranges
    frames = 3 * (1 << 17) + 1234
    bits = {"PCM_16": 16, "PCM_24": 24, "PCM_S8": 8}[subtype]
    q = (_ints(bits, (frames, channels)) << (32 - bits)).astype(np.int32)
    path = tmp_path / "long.flac"
    sf.write(path, q, 16000, subtype=subtype)
    for kwargs, lo, hi in [({}, 0, frames), ({"frame_offset": 70001}, 70001, frames),
                           ({"frame_offset": 5, "num_frames": 300000}, 5, 300005),
                           ({"frame_offset": 1000, "num_frames": 10 ** 7}, 1000, frames)]:
        for normalize in (True, False):
            y, sr = emberaudio.load(path, normalize=normalize, **kwargs)
            part = q[lo:hi].T
            # int16 / int8 for narrow PCM, 24-bit samples stay in the top of an int32
            ref = (part / 2.0 ** 31).astype(np.float32) if normalize else \
                part >> 16 if bits == 16 else part >> 24 if bits == 8 else part
            assert sr == 16000 and y.shape == (channels, hi - lo)
            assert y.dtype == (ember.float32 if normalize else
                               {8: ember.int8, 16: ember.int16, 24: ember.int32}[bits])
            np.testing.assert_array_equal(y.numpy(), ref)


@pytest.mark.usefixtures("_three_threads")
def test_range_decode_failure_falls_back(tmp_path, monkeypatch):
    from emberaudio._io import _soundfile as backend
    frames = 3 * (1 << 17) + 100
    q = _ints(16, (frames, 1)).astype(np.int16)
    path = tmp_path / "long.flac"
    sf.write(path, q, 16000, subtype="PCM_16")
    calls = []
    monkeypatch.setattr(backend, "_decode_into",
                        lambda path, format, start, out, failed: (calls.append(start),
                                                                  failed.append(start)))
    y, _ = emberaudio.load(path, frame_offset=7, normalize=False)
    assert len(calls) == 2  # both extra ranges were tried, then one plain read
    np.testing.assert_array_equal(y.numpy(), q[7:].T)


def test_ogg_vorbis_file_object():
    x = ember.tensor(0.5 * np.sin(np.arange(8000) * 2 * np.pi * 440 / 16000)[None],
                     dtype=ember.float32)
    buf = io.BytesIO()
    emberaudio.save(buf, x, 16000, format="ogg")
    buf.seek(0)
    meta = emberaudio.info(buf)
    assert (meta.encoding, meta.bits_per_sample, meta.num_channels) == ("VORBIS", 0, 1)
    buf.seek(0)
    y, sr = emberaudio.load(buf)
    assert sr == 16000 and y.shape == (1, 8000)
    # lossy: compare energy and correlation, not samples
    corr = np.corrcoef(y.numpy()[0, 1000:7000], x.numpy()[0, 1000:7000])[0, 1]
    assert corr > 0.99


def test_save_validation(tmp_path):
    x = ember.zeros(1, 10)
    with pytest.raises(ValueError, match="Expected 2D Tensor, got 1D"):
        emberaudio.save(tmp_path / "a.wav", ember.zeros(10), 8000)
    with pytest.raises(ValueError, match="format.*required"):
        emberaudio.save(io.BytesIO(), x, 8000)
    with pytest.raises(ValueError, match="8-bit signed"):
        emberaudio.save(tmp_path / "a.wav", x, 8000, encoding="PCM_S", bits_per_sample=8)
    with pytest.raises(ValueError, match="flac"):
        emberaudio.save(tmp_path / "a.flac", x, 8000, bits_per_sample=32)
    with pytest.raises(ValueError, match="bits_per_sample"):
        emberaudio.save(tmp_path / "a.ogg", x, 8000, bits_per_sample=16)
    with pytest.raises(ValueError, match="Unsupported audio format 'xyz'"):
        emberaudio.save(tmp_path / "a.xyz", x, 8000)
    with pytest.raises(ValueError, match="backend"):
        emberaudio.save(tmp_path / "a.wav", x, 8000, backend="sox")


def test_errors_name_the_file(tmp_path):
    missing = tmp_path / "missing.wav"
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        emberaudio.load(missing)
    bad = tmp_path / "garbage.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk" * 4)
    with pytest.raises(RuntimeError, match="garbage.wav") as e:
        emberaudio.load(bad)
    assert "Failed to open" in str(e.value)
    with pytest.raises(RuntimeError, match="garbage.wav"):
        emberaudio.info(bad)
    text = tmp_path / "notes.txt"
    text.write_text("not audio")
    with pytest.raises(RuntimeError, match="notes.txt"):
        emberaudio.load(text)


def test_list_audio_backends():
    assert emberaudio.list_audio_backends() == ["soundfile"]


REAL = [p for p in sorted(DATA.glob("*/*")) if p.suffix in (".wav", ".flac", ".ogg", ".aiff")]


@pytest.mark.skipif(not REAL, reason="shared audio data not available")
@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_real_clips_match_soundfile(path):
    ref, sr_ref = sf.read(path, dtype="float32", always_2d=True)
    wave, sr = emberaudio.load(path)
    assert sr == sr_ref and wave.dtype == ember.float32
    np.testing.assert_array_equal(wave.numpy(), ref.T)
    meta = emberaudio.info(path)
    sfi = sf.info(path)
    assert (meta.sample_rate, meta.num_frames, meta.num_channels) == (
        sfi.samplerate, sfi.frames, sfi.channels)
    assert wave.shape == (sfi.channels, sfi.frames)
    expected_bits = {"PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "FLOAT": 32,
                     "VORBIS": 0}[sfi.subtype]
    assert meta.bits_per_sample == expected_bits
    if sfi.format == "FLAC":
        assert meta.encoding == "FLAC"
    # partial read matches the same slice of the full decode (lossless formats)
    if sfi.format != "OGG":
        part, _ = emberaudio.load(path, frame_offset=1000, num_frames=777)
        np.testing.assert_array_equal(part.numpy(), ref.T[:, 1000:1777])


@pytest.mark.skipif(not (DATA / "speech_recognition").exists(), reason="shared audio data not available")
def test_real_clip_names_and_bit_depths():
    d = DATA / "speech_recognition"
    for name, bits, enc, ch in [("audio-mono-8-bit-44100Hz.wav", 8, "PCM_U", 1),
                                ("audio-mono-24-bit-44100Hz.flac", 24, "FLAC", 1),
                                ("audio-mono-32-bit-44100Hz.wav", 32, "PCM_S", 1),
                                ("audio-stereo-16-bit-44100Hz.wav", 16, "PCM_S", 2),
                                ("french.aiff", 16, "PCM_S", 1)]:
        meta = emberaudio.info(d / name)
        assert (meta.bits_per_sample, meta.encoding, meta.num_channels, meta.sample_rate) == (
            bits, enc, ch, 44100), name
    raw, _ = emberaudio.load(d / "audio-mono-32-bit-44100Hz.wav", normalize=False)
    ref, _ = sf.read(d / "audio-mono-32-bit-44100Hz.wav", dtype="int32", always_2d=True)
    np.testing.assert_array_equal(raw.numpy(), ref.T)
    raw8, _ = emberaudio.load(d / "audio-mono-8-bit-44100Hz.wav", normalize=False)
    assert raw8.dtype == ember.uint8
    ref8, _ = sf.read(d / "audio-mono-8-bit-44100Hz.wav", dtype="int16", always_2d=True)
    np.testing.assert_array_equal(raw8.numpy().astype(np.int16) - 128, ref8.T >> 8)
