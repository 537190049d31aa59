"""emberaudio.transforms and I/O against torchaudio 2.9.1 (the spec): modules built with the
same arguments run on the same NumPy input; outputs and, for differentiable transforms,
input gradients are compared. Files written by soundfile are loaded by both.

Needs torchaudio, which pins its own torch (2.9.1): it runs in its own tox env,
`tox -e torchaudio`.
"""


import ember
import numpy as np
import pytest
import soundfile as sf

torch = pytest.importorskip("torch")
torchaudio = pytest.importorskip("torchaudio")
pytestmark = [pytest.mark.torchaudio, pytest.mark.usefixtures("per_test_rng")]

import torchaudio.transforms as TT  # noqa: E402

import emberaudio  # noqa: E402
from emberaudio import transforms as T  # noqa: E402

RNG = np.random.default_rng(0)


def _np(t):
    return t.detach().cpu().numpy()


def _scale(t):
    return max(1.0, float(np.abs(_np(t)).max())) if t.numel() else 1.0


def check(name, args, kwargs, x, rtol=1e-5, atol=1e-6, grad=True, double=False, call=()):
    """Builds ``T.name`` and ``TT.name`` from the same arguments, runs both on ``x`` (and the
    extra positional ``call`` arguments) and compares outputs and input gradients.

    The windows differ in the last float32 bit (torch evaluates them in float32, ours in
    float64 then rounds): ours take torch's values, so the comparison sees the transform.
    ``atol`` is relative to the largest magnitude of the reference."""
    ours, ref = getattr(T, name)(*args, **kwargs), getattr(TT, name)(*args, **kwargs)
    with ember.no_grad():
        windows = dict(ref.named_buffers())
        for key, buf in ours.named_buffers():
            if key.endswith("window") and key in windows:
                buf.copy_(ember.tensor(windows[key].numpy()))
    if double:
        ours, ref = ours.double(), ref.double()
        if x.dtype == np.float32:
            x = x.astype(np.float64)
    xe, xt = ember.tensor(x), torch.tensor(x)
    differentiable = grad and np.issubdtype(x.dtype, np.floating)
    if differentiable:
        xe.requires_grad_(True)
        xt.requires_grad_(True)
    oe, ot = ours(xe, *call), ref(xt, *call)
    assert tuple(oe.shape) == tuple(ot.shape)
    assert str(oe.dtype).split(".")[-1] == str(ot.dtype).split(".")[-1]
    np.testing.assert_allclose(_np(oe), _np(ot), rtol=rtol, atol=atol * _scale(ot))
    if differentiable:
        g = RNG.standard_normal(tuple(ot.shape))
        (oe * ember.tensor(g, dtype=oe.dtype)).sum().backward()
        (ot * torch.tensor(g, dtype=ot.dtype)).sum().backward()
        np.testing.assert_allclose(_np(xe.grad), _np(xt.grad), rtol=rtol * 10,
                                   atol=atol * 10 * _scale(xt.grad))
    return oe, ot


def _audio(*shape, dtype=np.float32):
    return (0.5 * RNG.standard_normal(shape)).astype(dtype)


@pytest.mark.parametrize("power", [None, 1.0, 2.0])
@pytest.mark.parametrize("normalized", [False, True, "window"])
@pytest.mark.parametrize("kwargs", [{"n_fft": 128}, {"n_fft": 100, "win_length": 80,
                                                     "hop_length": 20, "pad": 3},
                                    {"n_fft": 64, "center": False, "onesided": False}])
def test_spectrogram(power, normalized, kwargs):
    check("Spectrogram", (), dict(kwargs, power=power, normalized=normalized), _audio(2, 800),
          grad=power is not None, double=True, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("length", [None, 800])
def test_inverse_spectrogram(length):
    spec = torch.stft(torch.tensor(_audio(2, 800, dtype=np.float64)), 128, 32,
                      window=torch.hann_window(128, dtype=torch.float64),
                      return_complex=True).numpy()
    check("InverseSpectrogram", (), {"n_fft": 128, "hop_length": 32}, spec, double=True,
          rtol=1e-6, atol=1e-8, call=(length,))


@pytest.mark.parametrize("norm", [None, "slaney"])
@pytest.mark.parametrize("mel_scale", ["htk", "slaney"])
def test_mel_scale(norm, mel_scale):
    spec = RNG.uniform(0, 2, (2, 129, 10)).astype(np.float32)
    check("MelScale", (), {"n_mels": 32, "sample_rate": 16000, "n_stft": 129, "norm": norm,
                           "mel_scale": mel_scale}, spec, rtol=1e-4, atol=2e-5)


@pytest.mark.parametrize("driver", ["gels", "gelsd"])
def test_inverse_mel_scale(driver):
    fb = torchaudio.functional.melscale_fbanks(65, 0.0, 4000.0, 20, 8000)
    mel = (fb.T @ torch.rand(65, 6, generator=torch.Generator().manual_seed(0))).numpy()
    check("InverseMelScale", (65,), {"n_mels": 20, "sample_rate": 8000, "driver": driver},
          mel.astype(np.float64), double=True, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kwargs", [{}, {"n_fft": 256, "hop_length": 64, "n_mels": 40},
                                    {"n_fft": 512, "win_length": 400, "hop_length": 160,
                                     "n_mels": 64, "norm": "slaney", "mel_scale": "slaney",
                                     "f_min": 50.0, "f_max": 7000.0, "power": 1.0}])
def test_mel_spectrogram(kwargs):
    check("MelSpectrogram", (16000,), kwargs, _audio(2, 4000), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("log_mels", [False, True])
@pytest.mark.parametrize("norm", ["ortho", None])
def test_mfcc(log_mels, norm):
    check("MFCC", (16000,), {"n_mfcc": 13, "norm": norm, "log_mels": log_mels,
                             "melkwargs": {"n_fft": 256, "hop_length": 64, "n_mels": 40}},
          _audio(2, 4000), double=True, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("log_lf", [False, True])
def test_lfcc(log_lf):
    check("LFCC", (16000,), {"n_filter": 32, "n_lfcc": 13, "log_lf": log_lf,
                             "speckwargs": {"n_fft": 256, "hop_length": 64}},
          _audio(2, 4000), double=True, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("stype", ["power", "magnitude"])
@pytest.mark.parametrize("top_db", [None, 40.0])
def test_amplitude_to_db(stype, top_db):
    check("AmplitudeToDB", (stype, top_db), {}, RNG.uniform(1e-6, 5, (2, 3, 8, 9)),
          rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("args,kwargs", [((44100, 16000), {}),
                                         ((16000, 22050), {"resampling_method":
                                                           "sinc_interp_kaiser"}),
                                         ((8000, 8000), {}),
                                         ((48000, 16000), {"lowpass_filter_width": 16,
                                                           "rolloff": 0.9, "beta": 6.0,
                                                           "resampling_method":
                                                           "sinc_interp_kaiser"})])
def test_resample(args, kwargs):
    check("Resample", args, kwargs, _audio(2, 1000), rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("channels", [256, 64])
def test_mu_law(channels):
    x = RNG.uniform(-1, 1, (2, 300)).astype(np.float32)
    enc, _ = check("MuLawEncoding", (channels,), {}, x, grad=False, rtol=0, atol=0)
    check("MuLawDecoding", (channels,), {}, enc.numpy(), grad=False, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("win_length,mode", [(5, "replicate"), (7, "constant")])
def test_compute_deltas(win_length, mode):
    check("ComputeDeltas", (win_length, mode), {}, _audio(2, 10, 30), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", ["linear", "exponential", "logarithmic", "quarter_sine",
                                   "half_sine"])
def test_fade(shape):
    check("Fade", (30, 45, shape), {}, _audio(2, 200), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("gain,gain_type", [(1.7, "amplitude"), (0.3, "power"), (-6.0, "db"),
                                            (4.0, "db")])
def test_vol(gain, gain_type):
    check("Vol", (gain, gain_type), {}, _audio(2, 200), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("rate", [0.83, 1.37])
def test_time_stretch(rate):
    spec = torch.stft(torch.tensor(_audio(2, 3000, dtype=np.float64)), 256, 64,
                      window=torch.hann_window(256, dtype=torch.float64),
                      return_complex=True).numpy()
    check("TimeStretch", (64, 129, rate), {}, spec, grad=False, double=True, rtol=1e-9,
          atol=1e-9)
    check("TimeStretch", (64, 129), {}, spec, grad=False, double=True, rtol=1e-9, atol=1e-9,
          call=(rate,))


@pytest.mark.parametrize("kwargs", [{}, {"cmn_window": 8, "min_cmn_window": 3, "center": True},
                                    {"cmn_window": 10, "norm_vars": True}])
def test_sliding_window_cmn(kwargs):
    # torchaudio's norm_vars scales its output in place: torch refuses its backward
    check("SlidingWindowCmn", (), kwargs, _audio(2, 50, 7, dtype=np.float64), rtol=1e-9,
          atol=1e-10, grad=not kwargs.get("norm_vars"))


def test_vad():
    sr = 16000
    t = np.arange(sr * 2) / sr
    tone = np.where(t > 0.7, 0.4 * np.sin(2 * np.pi * 220 * t), 0.0)
    x = (tone + 0.002 * RNG.standard_normal(t.size)).astype(np.float32)[None]
    check("Vad", (sr,), {}, x, grad=False, rtol=0, atol=0)


@pytest.mark.parametrize("momentum", [0.0, 0.99])
def test_griffin_lim(momentum):
    spec = torch.stft(torch.tensor(_audio(2, 800, dtype=np.float64)), 128, 32,
                      window=torch.hann_window(128, dtype=torch.float64),
                      return_complex=True).abs().pow(2).numpy()
    check("GriffinLim", (), {"n_fft": 128, "n_iter": 4, "hop_length": 32, "momentum": momentum,
                             "rand_init": False, "length": 800}, spec, double=True,
          rtol=1e-7, atol=1e-9)


# ---- I/O ---------------------------------------------------------------------------------

FILES = [("wav", "PCM_16"), ("wav", "PCM_24"), ("wav", "PCM_32"), ("wav", "PCM_U8"),
         ("wav", "FLOAT"), ("wav", "DOUBLE"), ("flac", "PCM_16"), ("flac", "PCM_24")]


@pytest.mark.parametrize("fmt,subtype", FILES)
@pytest.mark.parametrize("channels", [1, 2])
def test_load_matches_torchaudio(tmp_path, fmt, subtype, channels):
    data = RNG.uniform(-0.9, 0.9, (1234, channels))
    path = tmp_path / f"a.{fmt}"
    sf.write(path, data, 22050, subtype=subtype)
    for kwargs in ({}, {"frame_offset": 100}, {"num_frames": 500},
                   {"frame_offset": 33, "num_frames": 77}, {"channels_first": False}):
        ours, sr = emberaudio.load(path, **kwargs)
        ref, sr_ref = torchaudio.load(path, **kwargs)
        assert sr == sr_ref == 22050
        assert ours.dtype == ember.float32 and tuple(ours.shape) == tuple(ref.shape), kwargs
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())


@pytest.mark.parametrize("fmt,subtype", FILES)
def test_info_matches_the_decoder(tmp_path, fmt, subtype):
    """torchaudio 2.9 dropped ``info``: the metadata is checked against what torchaudio's
    decoder (torchcodec) reports and decodes, and the sample width soundfile wrote."""
    from torchcodec.decoders import AudioDecoder
    path = tmp_path / f"a.{fmt}"
    sf.write(path, RNG.uniform(-0.5, 0.5, (999, 2)), 16000, subtype=subtype)
    meta = emberaudio.info(path)
    decoder = AudioDecoder(str(path))
    assert meta.sample_rate == decoder.metadata.sample_rate == 16000
    assert meta.num_channels == decoder.metadata.num_channels == 2
    assert meta.num_frames == torchaudio.load(path)[0].shape[-1] == 999
    bits = {"PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "PCM_U8": 8, "FLOAT": 32, "DOUBLE": 64}
    assert meta.bits_per_sample == bits[subtype]
    assert meta.encoding == ("FLAC" if fmt == "flac" else
                             {"PCM_U8": "PCM_U", "FLOAT": "PCM_F", "DOUBLE": "PCM_F"}.get(
                                 subtype, "PCM_S"))
