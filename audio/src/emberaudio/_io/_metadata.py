"""AudioMetaData: what ``emberaudio.info`` returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class AudioMetaData:
    """Properties of an audio file, as torchaudio reports them.

    ``encoding`` is one of ``"PCM_S"``, ``"PCM_U"``, ``"PCM_F"``, ``"ULAW"``, ``"ALAW"``,
    ``"FLAC"``, ``"VORBIS"``, ``"OPUS"`` or ``"UNKNOWN"``; ``bits_per_sample`` is 0 for
    lossy codecs that have no sample width.

    Example:
        >>> AudioMetaData(16000, 32000, 1, 16, "PCM_S").num_frames
        32000
    """

    sample_rate: int
    num_frames: int
    num_channels: int
    bits_per_sample: int
    encoding: str
