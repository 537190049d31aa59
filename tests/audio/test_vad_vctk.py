"""functional.vad / transforms.Vad (SoX-style front trimming) and datasets.VCTK_092.

The expected vad lengths were checked once against torchaudio 2.11's vad on the same inputs
(identical outputs); the tests themselves do not need torch.
"""

import doctest
import importlib
import warnings
from pathlib import Path

import ember
import numpy as np
import pytest
import soundfile as sf

import emberaudio.functional as F
from emberaudio.datasets import VCTK_092
from emberaudio.transforms import Vad

SR = 16000
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _voiced(n: int, f0: float = 140.0) -> np.ndarray:
    """A steady vowel-like sound: 30 harmonics of f0 with 1/k amplitudes."""
    t = np.arange(n) / SR
    return sum(np.sin(2 * np.pi * f0 * k * t + k) / k for k in range(1, 31)) * 0.3


def _noise_then_voice(lead: int, n_voice: int = 16000, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(lead) * 1e-3
    return np.concatenate([noise, _voiced(n_voice)]).astype(np.float32)


@pytest.mark.parametrize("lead, expected", [(8000, 17600), (16000, 17600)])
def test_vad_trims_leading_noise(lead, expected):
    x = _noise_then_voice(lead)
    y = F.vad(ember.tensor(x), SR)
    assert y.shape == (expected,)
    start = x.shape[0] - expected
    # the cut lies in the noise, at most 0.1 s (one measurement window) before the voice
    assert lead - SR // 10 <= start <= lead
    np.testing.assert_array_equal(y.numpy(), x[start:])


def test_vad_keeps_all_speech_and_drops_steady_tone():
    x = _voiced(24000).astype(np.float32)
    # with moderate noise reduction a clip that is voiced from the first sample is kept whole
    for amount in (0.0, 0.5):
        y = F.vad(ember.tensor(x), SR, noise_reduction_amount=amount)
        np.testing.assert_array_equal(y.numpy(), x)
    # with the default (1.35) a steady sound is learnt as background noise during boot_time
    # and never triggers: like SoX, nothing is kept, or only pre_trigger_time of it
    assert F.vad(ember.tensor(x), SR).shape == (0,)
    y = F.vad(ember.tensor(x), SR, pre_trigger_time=0.1)
    np.testing.assert_array_equal(y.numpy(), x[:1600])


def test_vad_silence_and_short_input():
    assert F.vad(ember.zeros(8000), SR).shape == (0,)
    assert F.vad(ember.zeros(2, 8000), SR, pre_trigger_time=0.1).shape == (2, 1600)
    short = ember.arange(3000.0) / 3000.0
    # shorter than the pre-trigger time: returned whole
    np.testing.assert_array_equal(F.vad(short, SR, pre_trigger_time=0.5).numpy(),
                                  short.numpy())


def test_vad_multichannel_trims_at_earliest_channel():
    late = _noise_then_voice(12000)
    early = np.roll(late, -4000)  # the same voice 0.25 s earlier
    expected = F.vad(ember.tensor(early), SR).shape[0]
    assert expected == 21600
    for rows in ([late, early], [early, late]):
        x = np.stack(rows)
        y = F.vad(ember.tensor(x), SR)
        assert y.shape == (2, expected)
        np.testing.assert_array_equal(y.numpy(), x[:, -expected:])


def test_vad_batch_dims_warn_and_act_as_channels():
    x = _noise_then_voice(12000)
    with pytest.warns(UserWarning, match="Batch semantics is not supported"):
        y = F.vad(ember.tensor(np.stack([x, x, x])[:, None]), SR)
    assert y.shape == (3, 1, 17600)
    np.testing.assert_array_equal(y[1, 0].numpy(), x[-17600:])


def test_vad_float64_and_pre_trigger():
    x = _noise_then_voice(12000).astype(np.float64)
    y = F.vad(ember.tensor(x), SR, pre_trigger_time=0.1)
    assert y.dtype == ember.float64 and y.shape == (19200,)


def test_vad_transform_and_errors():
    x = ember.tensor(_noise_then_voice(8000))
    module = Vad(SR, trigger_level=6.0, allowed_gap=0.1)
    assert module.trigger_level == 6.0 and module.lp_lifter_freq == 2000.0
    np.testing.assert_array_equal(module(x).numpy(),
                                  F.vad(x, SR, trigger_level=6.0, allowed_gap=0.1).numpy())
    with pytest.raises(ValueError, match="cepstrum_start"):
        F.vad(x, SR, hp_lifter_freq=3000.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 1-D and 2-D inputs do not warn
        F.vad(x, SR)


@pytest.mark.parametrize("name", ["emberaudio.functional.vad", "emberaudio.datasets.vctk"])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_vad_espeak_sentence():
    path = DATA / "audio" / "espeak_ng_synth" / "sentence_quick_brown_fox.wav"
    if not path.is_file():
        pytest.skip("needs ../shared/data/audio/espeak_ng_synth")
    x, sr = sf.read(path, dtype="float32")
    y = F.vad(ember.tensor(x), sr)
    assert (sr, x.shape[0], y.shape[0]) == (22050, 64133, 57515)
    np.testing.assert_array_equal(y.numpy(), x[-57515:])


def _vctk(root: Path) -> Path:
    """A VCTK 0.92 layout: txt/<spk>/<spk>_<utt>.txt, wav48_silence_trimmed/<spk>/..._micN.flac."""
    base = root / "VCTK-Corpus-0.92"
    txt, wav = base / "txt", base / "wav48_silence_trimmed"

    def utterance(spk, utt, text, mics=("mic1", "mic2"), n=40):
        (txt / spk).mkdir(parents=True, exist_ok=True)
        if text is not None:
            (txt / spk / f"{spk}_{utt}.txt").write_text(text)
        (wav / spk).mkdir(parents=True, exist_ok=True)
        for i, mic in enumerate(mics):
            value = int(spk[1:]) + int(utt) + (i + 1) * 1000
            data = np.full(n, value, dtype=np.int16)
            sf.write(wav / spk / f"{spk}_{utt}_{mic}.flac", data, 48000, subtype="PCM_16")

    utterance("p225", "001", "Please call Stella.\n", n=48)
    utterance("p225", "002", "Ask her to bring these things.\n")
    utterance("p226", "001", "Six spoons of fresh snow peas.\n", mics=("mic1",))  # mic2 lost
    utterance("p280", "001", "We also need a small plastic snake.\n", mics=("mic1",))
    utterance("p315", "001", None)  # audio without transcripts
    (txt / "p315").rmdir()
    utterance("p362", "001", "And a big toy frog.\n")
    utterance("p362", "002", "She can scoop these things.\n", mics=("mic1",))
    (txt / "p225" / "notes.md").write_text("not a transcript")
    return root


def test_vctk_items_and_skips(tmp_path):
    root = _vctk(tmp_path)
    ds = VCTK_092(root)
    # p280 skipped for mic2, p315 has no transcripts, p362_002 lacks mic2 audio; p226_001
    # is listed although its audio is missing, as torchaudio does
    assert ds._sample_ids == [("p225", "001"), ("p225", "002"), ("p226", "001"),
                              ("p362", "001")]
    assert len(ds) == 4
    wave, sr, text, spk, utt = ds[0]
    assert (sr, text, spk, utt) == (48000, "Please call Stella.\n", "p225", "001")
    assert wave.shape == (1, 48) and wave.dtype == ember.float32
    np.testing.assert_allclose(wave.numpy(), (225 + 1 + 2000) / 32768)
    assert ds[3][2:] == ("And a big toy frog.\n", "p362", "001")
    with pytest.raises(FileNotFoundError, match="p226_001_mic2.flac"):
        ds[2]

    mic1 = VCTK_092(root, mic_id="mic1")
    assert [(x[3], x[4]) for x in mic1] == [("p225", "001"), ("p225", "002"), ("p226", "001"),
                                           ("p280", "001"), ("p362", "001"), ("p362", "002")]
    np.testing.assert_allclose(mic1[3][0].numpy(), (280 + 1 + 1000) / 32768)


def test_vctk_errors(tmp_path):
    with pytest.raises(RuntimeError, match="mic_id"):
        VCTK_092(tmp_path, mic_id="mic3")
    with pytest.raises(RuntimeError, match="VCTK_092: dataset not found"):
        VCTK_092(tmp_path)
    with pytest.raises(RuntimeError, match="download"):
        VCTK_092(tmp_path, download=True)
    root = _vctk(tmp_path)
    (root / "VCTK-Corpus-0.92" / "txt" / "p225" / "p225_002.txt").unlink()
    ds = VCTK_092(root)
    assert len(ds) == 3
    (root / "VCTK-Corpus-0.92" / "txt" / "p225" / "p225_001.txt").unlink()
    with pytest.raises(FileNotFoundError, match="transcript file"):
        ds[0]
