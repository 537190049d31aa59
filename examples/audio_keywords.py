"""Keyword spotting with ember-audio: log-mel features -> a small conv net.

Trains on the espeak-ng keyword clips in ../shared/data/audio/espeak_ng_synth (one clip per
word, augmented with random shifts, gain, speed and noise), or on synthetic chirps when that
folder is absent, then reports accuracy on freshly augmented held-out examples.

    python examples/audio_keywords.py [--steps 150]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import ember
from ember import nn

import emberaudio
from emberaudio import functional as AF
from emberaudio import transforms as T

SR = 16000
CLIP = SR  # one second
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "audio" / "espeak_ng_synth"


def load_words() -> tuple[list[str], list[ember.Tensor]]:
    files = sorted(DATA.glob("word_*.wav"))
    if not files:
        print("espeak clips not found; using synthetic tones")
        names = ["low", "mid", "high", "rise", "fall"]
        t = ember.arange(CLIP // 2) / SR
        sweeps = [(300, 300), (800, 800), (2000, 2000), (400, 1600), (1600, 400)]
        clips = [0.5 * ember.sin(2 * math.pi * (f0 + (f1 - f0) * t / 1.0) * t)
                 for f0, f1 in sweeps]
        return names, clips
    names, clips = [], []
    for path in files:
        wave, sr = emberaudio.load(path)
        wave = AF.resample(wave.mean(0), sr, SR)  # mono, 16 kHz
        names.append(path.stem.removeprefix("word_"))
        clips.append(wave[:CLIP])
    return names, clips


def augment(clip: ember.Tensor) -> ember.Tensor:
    """A random speed change, gain, position in a one-second window and background noise."""
    # speed factor k / 20 with k in 18..22: small reduced rates keep the resampling kernel small
    k = int(ember.randint(18, 23, (1,)).item())
    clip = AF.resample(clip, 20, k)[:CLIP]
    clip = clip * (0.3 + 1.2 * ember.rand(1).item())
    start = int(ember.randint(0, CLIP - clip.shape[0] + 1, (1,)).item())
    out = ember.zeros(CLIP)
    out[start:start + clip.shape[0]] = clip
    return out + 0.01 * ember.rand(1).item() * ember.randn(CLIP)


class KeywordNet(nn.Module):
    def __init__(self, n_mels: int, n_classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(n_mels, 32, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(32, 32, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(1))
        self.head = nn.Linear(32, n_classes)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        return self.head(self.features(x).flatten(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()
    ember.manual_seed(0)
    names, clips = load_words()
    mel = T.MelSpectrogram(SR, n_fft=400, hop_length=160, n_mels=40)
    to_db = T.AmplitudeToDB(top_db=80.0)
    masking = nn.Sequential(T.FrequencyMasking(6), T.TimeMasking(10))

    def batch(n: int, train: bool) -> tuple[ember.Tensor, ember.Tensor]:
        labels = ember.randint(0, len(clips), (n,))
        waves = ember.stack([augment(clips[i]) for i in labels.tolist()])
        feats = to_db(mel(waves))  # (n, 40, 101)
        feats = (feats - feats.mean(dim=(1, 2), keepdim=True)) / 20.0
        return (masking(feats) if train else feats), labels

    model = KeywordNet(40, len(names))
    opt = ember.optim.Adam(model.parameters(), lr=3e-3)
    for step in range(1, args.steps + 1):
        x, y = batch(args.batch, train=True)
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 25 == 0:
            print(f"step {step:4d}  loss {loss.item():.3f}")
    model.eval()
    with ember.no_grad():
        x, y = batch(128, train=False)
        acc = (model(x).argmax(1) == y).float().mean().item()
    print(f"held-out accuracy on {len(names)} words ({', '.join(names)}): {acc:.2%}")


if __name__ == "__main__":
    main()
