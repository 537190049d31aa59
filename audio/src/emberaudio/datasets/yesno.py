"""YESNO: 60 recordings of eight Hebrew yes/no words (``waves_yesno/0_1_0_0_1_0_1_1.wav``)."""

from __future__ import annotations

import os
from pathlib import Path

import ember

from ._utils import Dataset, check_download, load_clip, require_dir


class YESNO(Dataset):
    """Items are ``(waveform, sample_rate, labels)``; labels come from the file name.

    Example:
        >>> import tempfile, emberaudio
        >>> root = Path(tempfile.mkdtemp())
        >>> (root / "waves_yesno").mkdir()
        >>> emberaudio.save(root / "waves_yesno" / "0_1_1.wav", ember.zeros(1, 8), 8000)
        >>> YESNO(root)[0][1:]
        (8000, [0, 1, 1])
    """

    def __init__(self, root: str | os.PathLike,
                 url: str = "http://www.openslr.org/resources/1/waves_yesno.tar.gz",
                 folder_in_archive: str = "waves_yesno", download: bool = False) -> None:
        check_download(download, "YESNO")
        self._path = Path(root) / folder_in_archive
        require_dir(self._path, "YESNO", "Expected the extracted 'waves_yesno' folder there.")
        self._walker = sorted(p.stem for p in self._path.glob("*.wav"))

    def get_metadata(self, n: int) -> tuple[str, int, list[int]]:
        fileid = self._walker[n]
        return os.path.join(self._path.name, fileid + ".wav"), 8000, [
            int(c) for c in fileid.split("_")]

    def __getitem__(self, n: int) -> tuple[ember.Tensor, int, list[int]]:
        fileid = self._walker[n]
        waveform, sample_rate = load_clip(self._path / f"{fileid}.wav")
        return waveform, sample_rate, [int(c) for c in fileid.split("_")]

    def __len__(self) -> int:
        return len(self._walker)
