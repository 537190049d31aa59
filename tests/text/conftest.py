"""Fixtures for ember-text tests (helpers live in textutil.py)."""

import pathlib
import sys

import pytest

# The test modules import the helpers in textutil.py; under --import-mode=importlib pytest
# does not put test folders on sys.path, so this folder is added once here.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from textutil import SMALL_MERGES, write_bpe_files  # noqa: E402


@pytest.fixture(scope="session")
def small_bpe_files(tmp_path_factory):
    return write_bpe_files(tmp_path_factory.mktemp("small_bpe"), SMALL_MERGES)


@pytest.fixture(scope="session")
def bert_vocab_file(tmp_path_factory):
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "un", "##aff", "##able",
              "hello", "world", "!", ",", ".", "?", "'", "s", "want", "##want", "##ed", "run",
              "##ning", "a", "b", "c", "d", "e", "##a", "##b", "##c", "中", "国", "cafe", "naive",
              "$", "hi", "i", "\u0307", "##s"]
    path = tmp_path_factory.mktemp("bert") / "vocab.txt"
    path.write_text("\n".join(tokens) + "\n", encoding="utf-8")
    return str(path)
