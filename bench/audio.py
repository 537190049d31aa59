"""ember-audio vs torch (torchaudio's algorithm), librosa and soundfile on 60 s of 16 kHz audio.

torchaudio has no release for torch 2.13, so the torch cases run torchaudio's own recipe
(``torch.stft`` -> ``abs().pow(2)`` -> mel matmul -> dB -> DCT) with the same filterbanks.
Where torchaudio imports (its env pins torch 2.9.1, see tox.ini's ``torchaudio`` env), the
same data also runs through torchaudio itself: MelSpectrogram, MFCC, Resample 44.1 -> 16 kHz,
a 4th-order lfilter and loading a 60 s FLAC file.
Prints median times and the ratio reference_time / ember_time (higher is better for ember).
The machine is shared, so numbers are noisy while others run.

    python bench/audio.py [--threads N]

``--threads N`` runs both frameworks on N threads (on a busy machine a 2-thread OpenMP
region can wait a whole scheduler slice for its second thread).
"""

from __future__ import annotations

import os
import sys
import tempfile

import ember
import numpy as np
import scipy.signal
import soundfile as sf
import torch

import emberaudio
from emberaudio import functional as AF
from emberaudio import transforms as T

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import compare, fmt_time, print_table  # noqa: E402

try:  # the librosa rows run where librosa is installed (not in tox's torchaudio env)
    import librosa
except ImportError:
    librosa = None

SR = 16000


def main() -> None:
    if "--threads" in sys.argv:
        threads = int(sys.argv[sys.argv.index("--threads") + 1])
        ember.set_num_threads(threads)
        torch.set_num_threads(threads)
    print(f"threads: ember {ember.get_num_threads()}, torch {torch.get_num_threads()}")
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

    twin = torch.hann_window(400)
    ty = torch.from_numpy(y)
    tfb = torch.from_numpy(mel.mel_scale.fb.numpy())
    tdct = torch.from_numpy(mfcc.dct_mat.numpy())

    def torch_spec():
        return torch.stft(ty, 400, 160, 400, twin, True, "reflect", return_complex=True).abs() \
            .pow(2.0)

    def torch_mel():
        return (torch_spec().mT @ tfb).mT

    def torch_mfcc():
        db = 10.0 * torch.log10(torch.clamp(torch_mel(), min=1e-10))
        db = torch.max(db, db.amax() - 80.0)
        return (db.mT @ tdct).mT

    spec = T.Spectrogram(n_fft=400, hop_length=160)
    cspec = T.Spectrogram(n_fft=400, hop_length=160, power=None)
    ispec = T.InverseSpectrogram(n_fft=400, hop_length=160)
    ecs = cspec(ey)
    tcs = torch.stft(ty, 400, 160, 400, twin, True, "reflect", return_complex=True)

    def lib_mel():
        return librosa.feature.melspectrogram(y=y, sr=SR, n_fft=400, hop_length=160, n_mels=80,
                                              pad_mode="reflect", htk=True, norm=None)

    def lib_mfcc():
        return librosa.feature.mfcc(S=librosa.power_to_db(lib_mel(), top_db=80.0), n_mfcc=20)

    torch_cases = [
        ("Spectrogram 60 s (n_fft 400, power 2)", lambda: spec(ey), torch_spec, 1),
        ("MelSpectrogram 60 s (n_fft 400, 80 mels)", lambda: mel(ey), torch_mel, 1),
        ("MFCC 60 s (20 coeffs)", lambda: mfcc(ey), torch_mfcc, 1),
        ("InverseSpectrogram 60 s (n_fft 400)", lambda: ispec(ecs),
         lambda: torch.istft(tcs, 400, 160, 400, twin), 1),
    ]
    print_table("vs torch (torchaudio's recipe), ratio = torch / ember", compare(torch_cases, 7))
    try:
        import torchaudio
    except ImportError:
        torchaudio = None
    if torchaudio is not None:
        print_table(f"vs torchaudio {torchaudio.__version__} (torch {torch.__version__}), "
                    f"ratio = torchaudio / ember",
                    compare(torchaudio_cases(torchaudio, ey, ey44, eb, ea, b, a, path, y, y44),
                            repeat=11))
    if librosa is None:
        return
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


def torchaudio_cases(torchaudio, ey, ey44, eb, ea, b, a, path, y, y44):
    """(name, ember_fn, torchaudio_fn, number) on the same 60 s signals and FLAC file."""
    TT, TF = torchaudio.transforms, torchaudio.functional
    mel_args = {"n_fft": 400, "hop_length": 160, "n_mels": 80}
    mel, tmel = T.MelSpectrogram(SR, **mel_args), TT.MelSpectrogram(SR, **mel_args)
    mfcc = T.MFCC(SR, n_mfcc=20, melkwargs=mel_args)
    tmfcc = TT.MFCC(SR, n_mfcc=20, melkwargs=mel_args)
    res, tres = T.Resample(44100, 16000), TT.Resample(44100, 16000)
    ty, ty44 = torch.from_numpy(y), torch.from_numpy(y44)
    tb, ta = torch.tensor(b, dtype=torch.float32), torch.tensor(a, dtype=torch.float32)
    return [
        ("MelSpectrogram 60 s (n_fft 400, 80 mels)", lambda: mel(ey), lambda: tmel(ty), 1),
        ("MFCC 60 s (20 coeffs, 80 mels)", lambda: mfcc(ey), lambda: tmfcc(ty), 1),
        ("Resample 44.1 -> 16 kHz 60 s", lambda: res(ey44), lambda: tres(ty44), 1),
        ("lfilter 4th order 60 s", lambda: AF.lfilter(ey, ea, eb, clamp=False),
         lambda: TF.lfilter(ty, ta, tb, clamp=False), 1),
        ("load 60 s FLAC (16 kHz, 16 bit)", lambda: emberaudio.load(path),
         lambda: torchaudio.load(path), 1),
    ]


if __name__ == "__main__":
    main()
