"""ember-audio vs librosa (and soundfile) on 60 s of 16 kHz audio.

Prints median times and the ratio reference_time / ember_time (higher is better for ember).
The machine is shared, so numbers are noisy while others run.

    python bench/audio.py
"""

from __future__ import annotations

import os
import sys
import tempfile

import ember
import librosa
import numpy as np
import scipy.signal
import soundfile as sf

import emberaudio
from emberaudio import functional as AF
from emberaudio import transforms as T

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import compare, fmt_time  # noqa: E402

SR = 16000


def main() -> None:
    rng = np.random.default_rng(0)
    y = (0.3 * np.sin(2 * np.pi * 440 * np.arange(60 * SR) / SR)
         + 0.05 * rng.standard_normal(60 * SR)).astype(np.float32)
    y44 = (0.3 * np.sin(2 * np.pi * 440 * np.arange(60 * 44100) / 44100)).astype(np.float32)
    ey, ey44 = ember.tensor(y), ember.tensor(y44)

    mel = T.MelSpectrogram(SR, n_fft=400, hop_length=160, n_mels=80)
    mfcc = T.MFCC(SR, n_mfcc=20, melkwargs={"n_fft": 400, "hop_length": 160, "n_mels": 80})
    resample = T.Resample(44100, 16000)
    b, a = scipy.signal.butter(4, 0.2)
    eb, ea = ember.tensor(b, dtype=ember.float32), ember.tensor(a, dtype=ember.float32)
    path = os.path.join(tempfile.mkdtemp(), "bench.flac")
    sf.write(path, y, SR, subtype="PCM_16")

    def lib_mel():
        return librosa.feature.melspectrogram(y=y, sr=SR, n_fft=400, hop_length=160, n_mels=80,
                                              pad_mode="reflect", htk=True, norm=None)

    def lib_mfcc():
        return librosa.feature.mfcc(S=librosa.power_to_db(lib_mel(), top_db=80.0), n_mfcc=20)

    cases = [
        ("MelSpectrogram 60 s (n_fft 400, 80 mels)", lambda: mel(ey), lib_mel, 1),
        ("MFCC 60 s (20 coeffs)", lambda: mfcc(ey), lib_mfcc, 1),
        ("Resample 44.1 -> 16 kHz 60 s (librosa soxr_hq)", lambda: resample(ey44),
         lambda: librosa.resample(y44, orig_sr=44100, target_sr=16000), 1),
        ("Resample 44.1 -> 16 kHz 60 s (librosa polyphase)", lambda: resample(ey44),
         lambda: librosa.resample(y44, orig_sr=44100, target_sr=16000, res_type="polyphase"),
         1),
        ("lfilter 4th order 60 s (scipy)", lambda: AF.lfilter(ey, ea, eb, clamp=False),
         lambda: scipy.signal.lfilter(b, a, y), 1),
        ("load 60 s FLAC (soundfile direct)", lambda: emberaudio.load(path),
         lambda: sf.read(path, dtype="float32"), 1),
    ]
    rows = compare(cases, repeat=5)
    print(f"\n{'case':50s} {'ember':>12s} {'reference':>12s} {'ratio':>7s}")
    for name, te, tt, ratio in rows:
        print(f"{name:50s} {fmt_time(te):>12s} {fmt_time(tt):>12s} {ratio:7.2f}")


if __name__ == "__main__":
    main()
