"""LIBRISPEECH: ``<root>/LibriSpeech/<split>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac``
with one ``<speaker>-<chapter>.trans.txt`` per chapter (``<fileid> <TRANSCRIPT>`` lines)."""

from __future__ import annotations

import os
from pathlib import Path

import ember

from ._utils import Dataset, check_download, load_clip, require_dir

_SPLITS = ("dev-clean", "dev-other", "test-clean", "test-other", "train-clean-100",
           "train-clean-360", "train-other-500")


class LIBRISPEECH(Dataset):
    """Items are ``(waveform, sample_rate, transcript, speaker_id, chapter_id, utterance_id)``.

    Example:
        >>> import tempfile, emberaudio
        >>> root = Path(tempfile.mkdtemp())
        >>> d = root / "LibriSpeech" / "dev-clean" / "84" / "121"
        >>> d.mkdir(parents=True)
        >>> emberaudio.save(d / "84-121-0000.flac", ember.zeros(1, 16), 16000)
        >>> _ = (d / "84-121.trans.txt").write_text("84-121-0000 HELLO WORLD\\n")
        >>> LIBRISPEECH(root, "dev-clean")[0][1:]
        (16000, 'HELLO WORLD', 84, 121, 0)
    """

    _ext_txt = ".trans.txt"
    _ext_audio = ".flac"

    def __init__(self, root: str | os.PathLike, url: str = "train-clean-100",
                 folder_in_archive: str = "LibriSpeech", download: bool = False) -> None:
        check_download(download, "LIBRISPEECH")
        split = os.path.basename(url).split(".tar")[0]
        if split not in _SPLITS:
            raise ValueError(f"Invalid url {url!r}: expected one of {list(_SPLITS)}.")
        self._path = Path(root) / folder_in_archive / split
        require_dir(self._path, "LIBRISPEECH",
                    "Expected <speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac files.")
        self._walker = sorted(p.stem for p in self._path.glob("*/*/*" + self._ext_audio))

    def _transcript(self, speaker: str, chapter: str, fileid: str) -> str:
        path = self._path / speaker / chapter / f"{speaker}-{chapter}{self._ext_txt}"
        if not path.is_file():
            raise FileNotFoundError(f"LIBRISPEECH: transcript file {os.fspath(path)!r} is "
                                    f"missing.")
        with open(path, encoding="utf-8") as f:
            for line in f:
                key, _, text = line.strip().partition(" ")
                if key == fileid:
                    return text
        raise RuntimeError(f"LIBRISPEECH: no transcript for {fileid!r} in {os.fspath(path)!r}.")

    def get_metadata(self, n: int) -> tuple[str, int, str, int, int, int]:
        fileid = self._walker[n]
        speaker, chapter, utterance = fileid.split("-")
        relpath = os.path.join(self._path.name, speaker, chapter, fileid + self._ext_audio)
        return (relpath, 16000, self._transcript(speaker, chapter, fileid), int(speaker),
                int(chapter), int(utterance))

    def __getitem__(self, n: int) -> tuple[ember.Tensor, int, str, int, int, int]:
        fileid = self._walker[n]
        speaker, chapter, utterance = fileid.split("-")
        waveform, sample_rate = load_clip(self._path / speaker / chapter /
                                          (fileid + self._ext_audio))
        return (waveform, sample_rate, self._transcript(speaker, chapter, fileid), int(speaker),
                int(chapter), int(utterance))

    def __len__(self) -> int:
        return len(self._walker)
