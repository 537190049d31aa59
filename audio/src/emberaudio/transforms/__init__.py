"""torchaudio.transforms for ember: ``ember.nn.Module`` wrappers of :mod:`emberaudio.functional`."""

from ._transforms import (LFCC, MFCC, AmplitudeToDB, ComputeDeltas, Fade, FFTConvolve,
                          FrequencyMasking, GriffinLim, InverseMelScale, InverseSpectrogram,
                          MelScale, MelSpectrogram, MuLawDecoding, MuLawEncoding, PitchShift,
                          Resample, SlidingWindowCmn, Spectrogram, TimeMasking, TimeStretch, Vad,
                          Vol)

__all__ = ["AmplitudeToDB", "ComputeDeltas", "Fade", "FFTConvolve", "FrequencyMasking",
           "GriffinLim", "InverseMelScale", "InverseSpectrogram", "LFCC", "MelScale",
           "MelSpectrogram", "MFCC",
           "MuLawDecoding", "MuLawEncoding", "PitchShift", "Resample", "SlidingWindowCmn",
           "Spectrogram", "TimeMasking", "TimeStretch", "Vad", "Vol"]
