"""LJSPEECH: ``<root>/LJSpeech-1.1/metadata.csv`` (``id|transcript|normalized``, no quoting)
and ``<root>/LJSpeech-1.1/wavs/<id>.wav``."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import ember

from ._utils import Dataset, check_download, load_clip, require_dir


class LJSPEECH(Dataset):
    """Items are ``(waveform, sample_rate, transcript, normalized_transcript)``.

    Example:
        >>> import tempfile, emberaudio
        >>> base = Path(tempfile.mkdtemp()) / "LJSpeech-1.1"
        >>> (base / "wavs").mkdir(parents=True)
        >>> emberaudio.save(base / "wavs" / "LJ001-0001.wav", ember.zeros(1, 16), 22050)
        >>> _ = (base / "metadata.csv").write_text("LJ001-0001|Dr. Smith|Doctor Smith\\n")
        >>> LJSPEECH(base.parent)[0][1:]
        (22050, 'Dr. Smith', 'Doctor Smith')
    """

    def __init__(self, root: str | os.PathLike,
                 url: str = "https://data.keithito.com/data/speech/LJSpeech-1.1.tar.bz2",
                 folder_in_archive: str = "wavs",
                 download: bool = False) -> None:
        check_download(download, "LJSPEECH")
        self._path = Path(root) / "LJSpeech-1.1"
        require_dir(self._path, "LJSPEECH", "Expected LJSpeech-1.1/metadata.csv and wavs/.")
        self._wavs = self._path / folder_in_archive
        metadata = self._path / "metadata.csv"
        if not metadata.is_file():
            raise RuntimeError(f"LJSPEECH: {os.fspath(metadata)!r} is missing.")
        with open(metadata, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f, delimiter="|", quoting=csv.QUOTE_NONE))
        for i, row in enumerate(rows):
            if len(row) != 3:
                raise RuntimeError(f"LJSPEECH: line {i + 1} of {os.fspath(metadata)!r} has "
                                   f"{len(row)} fields, expected 3 (id|transcript|normalized).")
        self._flist = rows

    def __getitem__(self, n: int) -> tuple[ember.Tensor, int, str, str]:
        fileid, transcript, normalized = self._flist[n]
        waveform, sample_rate = load_clip(self._wavs / f"{fileid}.wav")
        return waveform, sample_rate, transcript, normalized

    def __len__(self) -> int:
        return len(self._flist)
