from pathlib import Path

import ember
import numpy as np
import pytest

import emberaudio
from emberaudio.datasets import LIBRISPEECH, LJSPEECH, SPEECHCOMMANDS, YESNO


def _clip(path: Path, n: int, sr: int, value: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    emberaudio.save(path, ember.full((1, n), value, dtype=ember.int16), sr)


def test_yesno(tmp_path):
    for i, name in enumerate(["1_0_1", "0_0_1", "1_1_1"]):
        _clip(tmp_path / "waves_yesno" / f"{name}.wav", 10 + i, 8000, 100 * i)
    ds = YESNO(tmp_path)
    assert len(ds) == 3
    wave, sr, labels = ds[0]  # sorted by name
    assert labels == [0, 0, 1] and sr == 8000 and wave.shape == (1, 11)
    np.testing.assert_allclose(wave.numpy(), 100 / 32768)
    assert ds.get_metadata(2) == (str(Path("waves_yesno") / "1_1_1.wav"), 8000, [1, 1, 1])
    with pytest.raises(RuntimeError, match="YESNO: dataset not found"):
        YESNO(tmp_path / "nowhere")
    with pytest.raises(RuntimeError, match="download"):
        YESNO(tmp_path, download=True)


def _speech_commands(root: Path) -> Path:
    base = root / "SpeechCommands" / "speech_commands_v0.02"
    files = ["yes/aa_nohash_0.wav", "yes/bb_nohash_1.wav", "no/aa_nohash_0.wav",
             "no/cc_nohash_2.wav", "up/dd_nohash_0.wav"]
    for i, f in enumerate(files):
        _clip(base / f, 16, 16000, i)
    _clip(base / "_background_noise_" / "white_noise.wav", 32, 16000, 7)
    (base / "validation_list.txt").write_text("no/cc_nohash_2.wav\n")
    (base / "testing_list.txt").write_text("yes/bb_nohash_1.wav\nup/dd_nohash_0.wav\n")
    return base


def test_speechcommands_subsets(tmp_path):
    _speech_commands(tmp_path)
    full = SPEECHCOMMANDS(tmp_path)
    assert len(full) == 5  # background noise excluded
    assert [full[i][2] for i in range(5)] == ["no", "no", "up", "yes", "yes"]
    wave, sr, label, speaker, utt = full[1]
    assert (sr, label, speaker, utt) == (16000, "no", "cc", 2) and wave.shape == (1, 16)
    train = SPEECHCOMMANDS(tmp_path, subset="training")
    assert [(x[2], x[3]) for x in train] == [("no", "aa"), ("yes", "aa")]
    val = SPEECHCOMMANDS(tmp_path, subset="validation")
    assert [(x[2], x[3], x[4]) for x in val] == [("no", "cc", 2)]
    test = SPEECHCOMMANDS(tmp_path, subset="testing")
    assert [x[2] for x in test] == ["yes", "up"]  # list order
    meta = test.get_metadata(0)
    assert meta == (str(Path("SpeechCommands") / "speech_commands_v0.02" / "yes" /
                        "bb_nohash_1.wav"), 16000, "yes", "bb", 1)
    with pytest.raises(ValueError, match="subset"):
        SPEECHCOMMANDS(tmp_path, subset="train")


def test_speechcommands_missing_pieces(tmp_path):
    with pytest.raises(RuntimeError, match="SPEECHCOMMANDS: dataset not found"):
        SPEECHCOMMANDS(tmp_path)
    base = _speech_commands(tmp_path)
    (base / "testing_list.txt").unlink()
    with pytest.raises(RuntimeError, match="testing_list.txt"):
        SPEECHCOMMANDS(tmp_path, subset="testing")
    (base / "validation_list.txt").write_text("no/ghost_nohash_0.wav\n")
    with pytest.raises(FileNotFoundError, match="ghost_nohash_0.wav"):
        SPEECHCOMMANDS(tmp_path, subset="validation")[0]


def test_librispeech(tmp_path):
    split = tmp_path / "LibriSpeech" / "dev-clean"
    _clip(split / "84" / "121" / "84-121-0001.flac", 20, 16000, 5)
    _clip(split / "84" / "121" / "84-121-0000.flac", 10, 16000, 3)
    _clip(split / "1272" / "128104" / "1272-128104-0000.flac", 12, 16000, 1)
    (split / "84" / "121" / "84-121.trans.txt").write_text(
        "84-121-0000 HELLO WORLD\n84-121-0001 SECOND LINE HERE\n")
    ds = LIBRISPEECH(tmp_path, url="dev-clean")
    assert len(ds) == 3
    wave, sr, text, speaker, chapter, utt = ds[2]
    assert (sr, text, speaker, chapter, utt) == (16000, "SECOND LINE HERE", 84, 121, 1)
    np.testing.assert_allclose(wave.numpy(), 5 / 32768)
    assert ds.get_metadata(1)[2:] == ("HELLO WORLD", 84, 121, 0)
    with pytest.raises(FileNotFoundError, match="1272-128104.trans.txt"):
        ds[0]
    with pytest.raises(RuntimeError, match="LIBRISPEECH: dataset not found"):
        LIBRISPEECH(tmp_path, url="test-other")
    with pytest.raises(ValueError, match="Invalid url"):
        LIBRISPEECH(tmp_path, url="train-clean-9000")


def test_ljspeech(tmp_path):
    base = tmp_path / "LJSpeech-1.1"
    _clip(base / "wavs" / "LJ001-0001.wav", 30, 22050, 9)
    _clip(base / "wavs" / "LJ001-0002.wav", 40, 22050, 8)
    (base / "metadata.csv").write_text(
        'LJ001-0001|Printing, "the art"|Printing, "the art"\n'
        "LJ001-0002|In 1450 it began|In fourteen fifty it began\n")
    ds = LJSPEECH(tmp_path)
    assert len(ds) == 2
    wave, sr, text, norm = ds[1]
    assert (sr, text, norm, wave.shape) == (22050, "In 1450 it began",
                                            "In fourteen fifty it began", (1, 40))
    assert ds[0][2] == 'Printing, "the art"'  # quotes are kept (QUOTE_NONE)
    (base / "wavs" / "LJ001-0002.wav").unlink()
    with pytest.raises(FileNotFoundError, match="LJ001-0002.wav"):
        ds[1]
    (base / "metadata.csv").write_text("LJ001-0001|only two\n")
    with pytest.raises(RuntimeError, match="3"):
        LJSPEECH(tmp_path)
    with pytest.raises(RuntimeError, match="LJSPEECH: dataset not found"):
        LJSPEECH(tmp_path / "elsewhere")
