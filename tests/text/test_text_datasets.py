"""Dataset readers over tiny fixtures written in the real on-disk formats."""

import csv

import pytest
from embertext.datasets import AG_NEWS, IMDB


def write_ag_news(root):
    folder = root / "AG_NEWS"
    folder.mkdir(parents=True)
    rows = {"train": [["3", "Wall St. Bears Claw Back", "Reuters - Short-sellers, \"quoted\""],
                      ["4", "New chip", "Faster, smaller\nand cheaper"]],
            "test": [["1", "Summit", "Leaders meet"]]}
    for split, data in rows.items():
        with open(folder / f"{split}.csv", "w", newline="", encoding="utf-8") as f:
            csv.writer(f, quoting=csv.QUOTE_ALL).writerows(data)


def test_ag_news(tmp_path):
    write_ag_news(tmp_path)
    train, test = AG_NEWS(root=str(tmp_path))
    assert len(train) == 2 and len(test) == 1
    assert train[0] == (3, 'Wall St. Bears Claw Back Reuters - Short-sellers, "quoted"')
    assert list(train)[1] == (4, "New chip Faster, smaller\nand cheaper")
    assert AG_NEWS(root=str(tmp_path), split="test")[0] == (1, "Summit Leaders meet")


def test_ag_news_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="AG_NEWS/train.csv not found.*does not download"):
        AG_NEWS(root=str(tmp_path), split="train")
    with pytest.raises(ValueError, match="splits"):
        AG_NEWS(root=str(tmp_path), split="valid")
    (tmp_path / "AG_NEWS").mkdir()
    (tmp_path / "AG_NEWS" / "test.csv").write_text('"x","title","desc"\n')
    with pytest.raises(ValueError, match="test.csv:1: label 'x'"):
        AG_NEWS(root=str(tmp_path), split="test")


def test_imdb(tmp_path):
    base = tmp_path / "IMDB" / "aclImdb"
    reviews = {("train", "pos"): {"1_9.txt": "Great film.", "0_10.txt": "Loved it <br />!"},
               ("train", "neg"): {"5_1.txt": "Awful."},
               ("test", "pos"): {"2_8.txt": "Good"}, ("test", "neg"): {}}
    for (split, label), files in reviews.items():
        folder = base / split / label
        folder.mkdir(parents=True)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
    (base / "train" / "pos" / "urls.dat").write_text("ignored")
    train = IMDB(root=str(tmp_path), split="train")
    assert list(train) == [(1, "Awful."), (2, "Loved it <br />!"), (2, "Great film.")]
    assert train[2] == (2, "Great film.")
    train2, test = IMDB(root=str(tmp_path))
    assert len(train2) == 3 and list(test) == [(2, "Good")]


def test_imdb_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="aclImdb/test not found"):
        IMDB(root=str(tmp_path), split="test")
