"""SPEECHCOMMANDS: one-second keyword clips in ``<root>/SpeechCommands/speech_commands_v0.02/``,
one folder per label, file names ``<speaker>_nohash_<n>.wav``, split lists
``validation_list.txt`` and ``testing_list.txt`` (paths relative to that folder)."""

from __future__ import annotations

import os
from pathlib import Path

import ember

from ._utils import Dataset, check_download, load_clip, require_dir

_HASH_DIVIDER = "_nohash_"
_EXCEPT_FOLDER = "_background_noise_"
_SAMPLE_RATE = 16000


def _read_list(base: Path, *names: str) -> list[str]:
    out = []
    for name in names:
        path = base / name
        if not path.is_file():
            raise RuntimeError(f"SPEECHCOMMANDS: split list {os.fspath(path)!r} is missing.")
        with open(path, encoding="utf-8") as f:
            out += [os.path.normpath(base / line.strip()) for line in f if line.strip()]
    return out


class SPEECHCOMMANDS(Dataset):
    """Items are ``(waveform, sample_rate, label, speaker_id, utterance_number)``.

    ``subset`` is ``None`` (every clip), ``"training"``, ``"validation"`` or ``"testing"``.

    Example:
        >>> import tempfile, emberaudio
        >>> base = Path(tempfile.mkdtemp()) / "SpeechCommands" / "speech_commands_v0.02"
        >>> (base / "yes").mkdir(parents=True)
        >>> emberaudio.save(base / "yes" / "ab12_nohash_0.wav", ember.zeros(1, 16), 16000)
        >>> SPEECHCOMMANDS(base.parent.parent)[0][1:]
        (16000, 'yes', 'ab12', 0)
    """

    def __init__(self, root: str | os.PathLike, url: str = "speech_commands_v0.02",
                 folder_in_archive: str = "SpeechCommands", download: bool = False,
                 subset: str | None = None) -> None:
        if subset not in (None, "training", "validation", "testing"):
            raise ValueError("When `subset` is not None, it must be one of ['training', "
                             "'validation', 'testing'].")
        check_download(download, "SPEECHCOMMANDS")
        basename = os.path.basename(url).split(".tar")[0]
        self._path = Path(root) / folder_in_archive / basename
        require_dir(self._path, "SPEECHCOMMANDS",
                    "Expected one folder per label holding *_nohash_*.wav clips.")
        if subset == "validation":
            self._walker = _read_list(self._path, "validation_list.txt")
        elif subset == "testing":
            self._walker = _read_list(self._path, "testing_list.txt")
        else:
            excludes = (set(_read_list(self._path, "validation_list.txt", "testing_list.txt"))
                        if subset == "training" else set())
            walker = sorted(str(p) for p in self._path.glob("*/*.wav"))
            self._walker = [w for w in walker
                            if _HASH_DIVIDER in w and _EXCEPT_FOLDER not in w
                            and os.path.normpath(w) not in excludes]

    def get_metadata(self, n: int) -> tuple[str, int, str, str, int]:
        path = Path(self._walker[n])
        relpath = os.path.relpath(path, self._path.parent.parent)
        label = path.parent.name
        speaker, utterance = path.stem.split(_HASH_DIVIDER)
        return relpath, _SAMPLE_RATE, label, speaker, int(utterance)

    def __getitem__(self, n: int) -> tuple[ember.Tensor, int, str, str, int]:
        path = Path(self._walker[n])
        waveform, sample_rate = load_clip(path)
        speaker, utterance = path.stem.split(_HASH_DIVIDER)
        return waveform, sample_rate, path.parent.name, speaker, int(utterance)

    def __len__(self) -> int:
        return len(self._walker)
