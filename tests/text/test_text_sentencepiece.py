"""SentencePiece through the optional package (real models from ../shared/data)."""

import pickle
import sys

import pytest
from embertext.tokenizers import SentencePieceTokenizer
from textutil import shared_file


def test_missing_package_error_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "sentencepiece", None)
    with pytest.raises(ImportError, match=r"ember-text\[sentencepiece\]"):
        SentencePieceTokenizer(tmp_path / "m.model")


@pytest.fixture(scope="module")
def sp():
    pytest.importorskip("sentencepiece")
    return SentencePieceTokenizer(shared_file("sentencepiece", "test_model.model"))


def test_missing_model_file(tmp_path):
    pytest.importorskip("sentencepiece")
    with pytest.raises(FileNotFoundError, match="nope.model"):
        SentencePieceTokenizer(tmp_path / "nope.model")


def test_encode_decode(sp):
    text = "I saw a girl with a telescope."
    ids = sp.encode(text)
    pieces = sp.encode_as_pieces(text)
    assert len(ids) == len(pieces) and all(isinstance(i, int) for i in ids)
    assert pieces[0].startswith("\u2581")
    assert [sp.id_to_piece(i) for i in ids] == pieces
    assert [sp.piece_to_id(p) for p in pieces] == ids
    assert sp.decode(ids) == text
    assert sp.decode(pieces) == text
    assert sp.encode([text, text]) == [ids, ids]
    assert sp.encode_as_ids(text) == ids
    assert len(sp) == 1000


def test_pickle(sp):
    again = pickle.loads(pickle.dumps(sp))
    assert again.encode("hello world") == sp.encode("hello world")


def test_japanese_model():
    pytest.importorskip("sentencepiece")
    ja = SentencePieceTokenizer(shared_file("sentencepiece", "test_ja_model.model"))
    text = "吾輩は猫である。"
    assert ja.decode(ja.encode(text)) == text
