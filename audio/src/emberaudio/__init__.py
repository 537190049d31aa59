"""ember-audio: audio I/O, DSP functional, transforms and datasets for Ember (torchaudio's API).

Example:
    >>> import ember, emberaudio
    >>> wave = ember.sin(ember.arange(1600) * 0.3).unsqueeze(0)
    >>> emberaudio.transforms.MelSpectrogram(16000, n_fft=256, n_mels=20)(wave).shape
    ember.Size([1, 20, 13])
"""

from . import functional
from ._io import AudioMetaData, info, list_audio_backends, load, save

__version__ = "0.1.0"

__all__ = ["AudioMetaData", "info", "list_audio_backends", "load", "save", "functional",
           "transforms", "datasets"]


def __getattr__(name: str):
    # transforms need ember.nn and datasets need ember.utils.data: import them on first use
    if name in ("transforms", "datasets"):
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
