"""VCTK_092: ``<root>/VCTK-Corpus-0.92/txt/<speaker>/<speaker>_<utt>.txt`` transcripts and
``<root>/VCTK-Corpus-0.92/wav48_silence_trimmed/<speaker>/<speaker>_<utt>_<mic>.flac`` audio."""

from __future__ import annotations

import os
from pathlib import Path

import ember

from ._utils import Dataset, check_download, load_clip, require_dir

URL = "https://datashare.is.ed.ac.uk/bitstream/handle/10283/3443/VCTK-Corpus-0.92.zip"


class VCTK_092(Dataset):
    """Items are ``(waveform, sample_rate, transcript, speaker_id, utterance_id)``.

    The utterances are those with a transcript, in speaker then file order, skipping what
    torchaudio skips: all of ``p280`` for ``mic_id="mic2"`` (its mic2 audio is missing) and
    the ``p362`` utterances whose audio file is absent. ``p315`` has no transcripts, so it
    has no items. The transcript is the file's first line as read, newline included.

    Example:
        >>> import tempfile, emberaudio
        >>> root = Path(tempfile.mkdtemp()) / "VCTK-Corpus-0.92"
        >>> (root / "txt" / "p225").mkdir(parents=True)
        >>> (root / "wav48_silence_trimmed" / "p225").mkdir(parents=True)
        >>> _ = (root / "txt" / "p225" / "p225_001.txt").write_text("Please call Stella.\\n")
        >>> emberaudio.save(root / "wav48_silence_trimmed" / "p225" / "p225_001_mic2.flac",
        ...                 ember.zeros(1, 16), 48000)
        >>> VCTK_092(root.parent)[0][1:]
        (48000, 'Please call Stella.\\n', 'p225', '001')
    """

    def __init__(self, root: str | os.PathLike, mic_id: str = "mic2", download: bool = False,
                 url: str = URL, audio_ext: str = ".flac") -> None:
        if mic_id not in ("mic1", "mic2"):
            raise RuntimeError(f'`mic_id` has to be either "mic1" or "mic2". Found: {mic_id}')
        check_download(download, "VCTK_092")
        self._path = Path(root) / "VCTK-Corpus-0.92"
        self._txt_dir = self._path / "txt"
        self._audio_dir = self._path / "wav48_silence_trimmed"
        self._mic_id = mic_id
        self._audio_ext = audio_ext
        require_dir(self._path, "VCTK_092", "Expected the extracted 'VCTK-Corpus-0.92' folder "
                                            "there.")
        require_dir(self._txt_dir, "VCTK_092", "Expected the transcripts in its 'txt' folder.")

        self._sample_ids: list[tuple[str, str]] = []
        for speaker_id in sorted(os.listdir(self._txt_dir)):
            if speaker_id == "p280" and mic_id == "mic2":
                continue
            if not (self._txt_dir / speaker_id).is_dir():  # a stray file beside the speakers
                continue
            names = sorted(f for f in os.listdir(self._txt_dir / speaker_id) if f.endswith(".txt"))
            for name in names:
                stem = name[:-len(".txt")]
                if speaker_id == "p362" and not self._audio_path(stem).is_file():
                    continue
                if "_" not in stem:
                    raise RuntimeError(f"VCTK_092: transcript {name!r} of speaker {speaker_id!r} "
                                       f"is not named <speaker>_<utterance>.txt.")
                speaker, utterance = stem.split("_", 1)
                self._sample_ids.append((speaker, utterance))

    def _audio_path(self, stem: str) -> Path:
        speaker_id = stem.split("_")[0]
        return self._audio_dir / speaker_id / f"{stem}_{self._mic_id}{self._audio_ext}"

    def _load_text(self, path: Path) -> str:
        if not path.is_file():
            raise FileNotFoundError(f"VCTK_092: transcript file {os.fspath(path)!r} is missing.")
        with open(path) as f:
            return f.readlines()[0]

    def __getitem__(self, n: int) -> tuple[ember.Tensor, int, str, str, str]:
        speaker_id, utterance_id = self._sample_ids[n]
        stem = f"{speaker_id}_{utterance_id}"
        transcript = self._load_text(self._txt_dir / speaker_id / f"{stem}.txt")
        waveform, sample_rate = load_clip(self._audio_path(stem))
        return waveform, sample_rate, transcript, speaker_id, utterance_id

    def __len__(self) -> int:
        return len(self._sample_ids)
