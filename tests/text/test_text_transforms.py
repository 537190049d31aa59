"""Transforms and functional: ember.nn.Modules over tokenizers, vocab and tensors."""

import pickle
from collections import OrderedDict

import pytest
from textutil import shared_file

ember = pytest.importorskip("ember")  # the core is a dependency; this only guards collection

from embertext import functional as F  # noqa: E402
from embertext import transforms as T  # noqa: E402
from embertext.vocab import vocab  # noqa: E402


def test_to_tensor():
    t = F.to_tensor([1, 2, 3])
    assert t.dtype == ember.long and t.tolist() == [1, 2, 3]
    padded = F.to_tensor([[1, 2, 3], [4]], padding_value=-1)
    assert padded.dtype == ember.long and padded.tolist() == [[1, 2, 3], [4, -1, -1]]
    assert F.to_tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert F.to_tensor([[1, 2], [3]], padding_value=0, dtype=ember.int32).dtype == ember.int32
    with pytest.raises(TypeError, match="Input type not supported"):
        F.to_tensor(["a"])
    with pytest.raises(TypeError):
        F.to_tensor([1, [2]])
    tt = T.ToTensor(padding_value=0)
    assert tt([[7], [8, 9]]).tolist() == [[7, 0], [8, 9]]


def test_truncate_add_token_str_to_int():
    assert F.truncate([1, 2, 3], 2) == [1, 2]
    assert F.truncate([["a", "b", "c"], ["d"]], 2) == [["a", "b"], ["d"]]
    assert T.Truncate(1)([[1, 2], [3, 4]]) == [[1], [3]]
    assert F.add_token([1, 2], 0) == [0, 1, 2]
    assert F.add_token([[1], [2, 3]], 9, begin=False) == [[1, 9], [2, 3, 9]]
    assert T.AddToken("<s>")(["a"]) == ["<s>", "a"]
    assert T.AddToken(2, begin=False)([[1]]) == [[1, 2]]
    assert F.str_to_int(["1", "22"]) == [1, 22]
    assert T.StrToIntTransform()([["3"], ["4", "5"]]) == [[3], [4, 5]]
    for bad in (lambda: F.truncate("abc", 1), lambda: F.add_token([1], "x"),
                lambda: F.add_token(["a"], 1), lambda: F.str_to_int([1])):
        with pytest.raises(TypeError, match="Input type not supported"):
            bad()


def test_vocab_transform_and_label_to_index(tmp_path):
    v = vocab(OrderedDict([("a", 1), ("b", 1)]), specials=["<unk>"])
    v.set_default_index(0)
    vt = T.VocabTransform(v)
    assert vt(["a", "b", "zz"]) == [1, 2, 0]
    assert vt([["b"], ["a", "a"]]) == [[2], [1, 1]]
    with pytest.raises(TypeError):
        vt("a")
    with pytest.raises(TypeError, match="Vocab"):
        T.VocabTransform({"a": 0})
    labels = T.LabelToIndex(label_names=["pos", "neg"], sort_names=True)
    assert labels.label_names == ["neg", "pos"]
    assert labels(["pos", "neg"]) == [1, 0] and labels("pos") == 1
    path = tmp_path / "labels.txt"
    path.write_text("world\n\nsports\nbusiness\n")
    from_file = T.LabelToIndex(label_path=path)
    assert from_file.label_names == ["world", "sports", "business"]
    assert from_file("business") == 2
    with pytest.raises(AssertionError):
        T.LabelToIndex()
    with pytest.raises(AssertionError):
        T.LabelToIndex(label_names=["a"], label_path=path)


def test_pad_transform():
    x = ember.tensor([[1, 2], [3, 4]])
    padded = T.PadTransform(max_length=4, pad_value=0)(x)
    assert padded.tolist() == [[1, 2, 0, 0], [3, 4, 0, 0]]
    assert T.PadTransform(max_length=1, pad_value=0)(x).tolist() == [[1, 2], [3, 4]]
    assert T.PadTransform(3, -1)(ember.tensor([5])).tolist() == [5, -1, -1]


def test_regex_tokenizer():
    tok = T.RegexTokenizer([(r"\s+", " "), (r"[,.!]", " "), ("foo", "bar")])
    assert tok("foo, baz!  x.y") == ["bar", "baz", "x", "y"]
    assert tok("") == []


def test_sequential_pipeline(small_bpe_files):
    v = vocab(OrderedDict([("a", 1), ("b", 1), ("c", 1)]), specials=["<pad>", "<bos>"])
    pipeline = T.Sequential(T.VocabTransform(v), T.Truncate(2), T.AddToken(1),
                            T.ToTensor(padding_value=0))
    out = pipeline([["a", "b", "c"], ["c"]])
    assert out.tolist() == [[1, 2, 3], [1, 4, 0]]
    assert isinstance(pipeline, ember.nn.Module) and len(list(pipeline.children())) == 4


def test_gpt2_transform_on_fixture(small_bpe_files):
    tok = T.GPT2BPETokenizer(*small_bpe_files)
    ids = tok(" hello world")
    assert ids == [str(tok.bpe.encode_single_token(b" hello")),
                   str(tok.bpe.encode_single_token(b" world"))]
    assert tok.decode(ids) == " hello world"
    assert T.GPT2BPETokenizer(*small_bpe_files, return_tokens=True)([" hello world", "a"]) == [
        ["Ġhello", "Ġworld"], ["a"]]
    # <|endoftext|> is plain text for this transform, as in torchtext
    assert tok.decode(tok("<|endoftext|>")) == "<|endoftext|>"
    with pytest.raises(TypeError):
        tok(3)


def test_bert_transform_on_fixture(bert_vocab_file):
    tok = T.BERTTokenizer(bert_vocab_file, return_tokens=True)
    assert tok("UNaffable hello!") == ["un", "##aff", "##able", "hello", "!"]
    assert tok(["Hello", "world"]) == [["hello"], ["world"]]
    ids = T.BERTTokenizer(bert_vocab_file)("hello world")
    assert ids == ["9", "10"]
    cased = T.BERTTokenizer(bert_vocab_file, do_lower_case=False, return_tokens=True)
    assert cased("Hello hello") == ["[UNK]", "hello"]
    keep = T.BERTTokenizer(bert_vocab_file, return_tokens=True, never_split=["[CLS]"])
    assert keep("[CLS] hello") == ["[CLS]", "hello"]
    assert tok("[CLS]") == ["[UNK]", "[UNK]", "[UNK]"]  # split into "[", "cls", "]"


def test_gpt2_transform_real_files():
    tok = T.GPT2BPETokenizer(shared_file("gpt2_bpe", "vocab.json"),
                             shared_file("gpt2_bpe", "merges.txt"))
    assert tok("Hello world") == ["15496", "995"]
    assert T.StrToIntTransform()(tok(["Hello world", "Hello"])) == [[15496, 995], [15496]]


def test_sentencepiece_transform():
    pytest.importorskip("sentencepiece")
    tok = T.SentencePieceTokenizer(shared_file("sentencepiece", "test_model.model"))
    pieces = tok("hello world")
    assert "".join(pieces).replace("\u2581", " ").strip() == "hello world"
    assert tok(["hello world"]) == [pieces]


def test_transforms_pickle(small_bpe_files, bert_vocab_file):
    for module in (T.GPT2BPETokenizer(*small_bpe_files), T.BERTTokenizer(bert_vocab_file),
                   T.RegexTokenizer([("a", "b")])):
        again = pickle.loads(pickle.dumps(module))
        assert again("a hello") == module("a hello")
