"""Audio file I/O (torchaudio's ``load``/``save``/``info``) through libsndfile (soundfile)."""

from ._metadata import AudioMetaData
from ._soundfile import info, list_audio_backends, load, save

__all__ = ["AudioMetaData", "info", "list_audio_backends", "load", "save"]
