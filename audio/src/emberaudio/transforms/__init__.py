"""torchaudio.transforms for ember: ``ember.nn.Module`` wrappers of :mod:`emberaudio.functional`."""

from ._transforms import (AmplitudeToDB, ComputeDeltas, Fade, FrequencyMasking, MelScale,
                          MelSpectrogram, MFCC, MuLawDecoding, MuLawEncoding, Resample,
                          Spectrogram, TimeMasking, Vol)

__all__ = ["AmplitudeToDB", "ComputeDeltas", "Fade", "FrequencyMasking", "MelScale",
           "MelSpectrogram", "MFCC", "MuLawDecoding", "MuLawEncoding", "Resample",
           "Spectrogram", "TimeMasking", "Vol"]
