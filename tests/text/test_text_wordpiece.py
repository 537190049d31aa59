"""WordPiece with BERT's normalisation, on a vocab.txt fixture (real format)."""

import pickle

import pytest
from embertext.tokenizers import WordPieceTokenizer
from hypothesis import given, settings
from hypothesis import strategies as st
from textutil import shared_file


@pytest.fixture
def wp(bert_vocab_file):
    return WordPieceTokenizer.from_file(bert_vocab_file)


@pytest.mark.parametrize("text,tokens", [
    ("unaffable", ["un", "##aff", "##able"]),
    ("UNwanted", ["un", "##want", "##ed"]),
    ("running", ["run", "##ning"]),
    ("Hello, world!", ["hello", ",", "world", "!"]),
    ("hello?!", ["hello", "?", "!"]),
    ("it's", ["[UNK]", "'", "s"]),
    ("abc", ["a", "##b", "##c"]),
    ("abx", ["[UNK]"]),  # no full cover: the whole word is unknown
    ("Café naïve", ["cafe", "naive"]),  # accents stripped through NFD
    ("中国hello", ["中", "国", "hello"]),  # CJK ideographs are words of their own
    ("hello\u200bworld", ["[UNK]"]),  # U+200B is Cf: removed, so one word "helloworld"
    ("hello\x00\ufffd world", ["hello", "world"]),
    ("hello\u3000world\u00a0!", ["hello", "world", "!"]),
    ("$hello", ["$", "hello"]),  # ASCII symbols count as punctuation
    ("  \t\n ", []),
    ("", []),
    ("[CLS] hello [SEP]", ["[CLS]", "hello", "[SEP]"]),
    ("x[MASK]", ["[UNK]", "[MASK]"]),
])
def test_tokenize(wp, text, tokens):
    assert wp.tokenize(text) == tokens
    assert wp.encode(text) == [wp.vocab[t] for t in tokens]


def test_max_input_chars_per_word(bert_vocab_file):
    wp = WordPieceTokenizer.from_file(bert_vocab_file)
    assert wp.tokenize("a" * 100) == ["a"] + ["##a"] * 99
    assert wp.tokenize("a" * 101) == ["[UNK]"]
    short = WordPieceTokenizer.from_file(bert_vocab_file, max_input_chars_per_word=3)
    assert short.tokenize("abc abcd") == ["a", "##b", "##c", "[UNK]"]


def test_cased_options(bert_vocab_file):
    cased = WordPieceTokenizer.from_file(bert_vocab_file, lowercase=False)
    assert cased.tokenize("Hello hello") == ["[UNK]", "hello"]
    assert cased.strip_accents is False and cased.tokenize("naïve") == ["[UNK]"]
    keep = WordPieceTokenizer.from_file(bert_vocab_file, strip_accents=False)
    assert keep.tokenize("naïve") == ["[UNK]"] and keep.tokenize("naive") == ["naive"]
    # uppercase dotted I lowercases to "i" + U+0307, which stays without accent stripping
    assert keep.tokenize("\u0130") == ["[UNK]"]
    assert WordPieceTokenizer.from_file(bert_vocab_file).tokenize("\u0130") == ["i"]
    raw = WordPieceTokenizer.from_file(bert_vocab_file, handle_chinese_chars=False)
    assert raw.tokenize("中国") == ["[UNK]"]


def test_decode_joins_pieces_and_cleans_up(wp):
    ids = wp.encode("[CLS] unaffable , hello world ! [SEP]")
    assert wp.decode(ids) == "unaffable, hello world!"
    assert wp.decode(ids, skip_special_tokens=False) == "[CLS] unaffable, hello world! [SEP]"
    assert wp.decode(ids, cleanup=False) == "unaffable , hello world !"


def test_conversions(wp):
    assert wp.convert_tokens_to_ids(["hello", "nope"]) == [9, 1]
    assert wp.convert_tokens_to_ids("world") == 10
    assert wp.convert_ids_to_tokens([9, 10]) == ["hello", "world"]
    assert wp.convert_ids_to_tokens(2) == "[CLS]"
    assert len(wp) == 39


def test_encode_batch_equals_sequential(wp):
    texts = [f"Hello world {i}, unaffable running!" * (i % 5) for i in range(200)]
    texts += ["[CLS] Héllo [SEP]", "", "naïve\ud800"]
    expected = [wp.encode(t) for t in texts]
    assert wp.encode_batch(texts, num_threads=2) == expected
    assert wp.encode_batch(texts, num_threads=1) == expected
    assert expected[-3] == [2, 9, 3]


def test_pickle_roundtrip(wp):
    again = pickle.loads(pickle.dumps(wp))
    assert again.encode("Unaffable running!") == wp.encode("Unaffable running!")


def test_unknown_unk_token_is_an_error():
    with pytest.raises(ValueError, match="unk_token"):
        WordPieceTokenizer(["a", "b"])


def test_tokenizer_json_loader(tmp_path):
    import json
    spec = {"added_tokens": [{"id": 0, "content": "[UNK]", "special": True}],
            "normalizer": {"type": "BertNormalizer", "clean_text": True,
                           "handle_chinese_chars": True, "strip_accents": None,
                           "lowercase": False},
            "model": {"type": "WordPiece", "unk_token": "[UNK]",
                      "continuing_subword_prefix": "@@", "max_input_chars_per_word": 5,
                      "vocab": {"[UNK]": 0, "Ab": 1, "@@c": 2}}}
    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps(spec))
    tok = WordPieceTokenizer.from_tokenizer_json(path)
    assert tok.tokenize("Abc abc Abcccc") == ["Ab", "@@c", "[UNK]", "[UNK]"]
    spec["model"]["type"] = "BPE"
    path.write_text(json.dumps(spec))
    with pytest.raises(ValueError, match="not WordPiece"):
        WordPieceTokenizer.from_tokenizer_json(path)


# ---------------------------------------------------------------- real BERT vocabulary
@pytest.fixture(scope="module")
def minilm():
    return WordPieceTokenizer.from_file(shared_file("bert_wordpiece_all-MiniLM-L6-v2",
                                                    "vocab.txt"))


def test_real_vocab_known_tokens(minilm):
    assert minilm.tokenize("Hello, my dog is cute! Unaffable.") == [
        "hello", ",", "my", "dog", "is", "cute", "!", "una", "##ffa", "##ble", "."]
    assert minilm.encode("hello world") == [7592, 2088]


def test_real_vocab_json_and_txt_agree(minilm):
    js = WordPieceTokenizer.from_tokenizer_json(
        shared_file("bert_wordpiece_all-MiniLM-L6-v2", "tokenizer.json"))
    text = shared_file("corpus", "botchan.txt").read_text(encoding="utf-8")[:20000]
    assert js.encode(text) == minilm.encode(text)


@settings(max_examples=200, deadline=None)
@given(text=st.text())
def test_any_text_encodes_to_valid_ids(minilm, text):
    ids = minilm.encode(text)
    assert all(0 <= i < len(minilm) for i in ids)
    assert len(ids) <= 3 * len(text)
