"""get_tokenizer: torchtext's basic_english rules, split, callables, optional libraries."""

import sys

import pytest
from embertext.data import get_tokenizer


@pytest.mark.parametrize("text,tokens", [
    ("You can now install TorchText using pip!",
     ["you", "can", "now", "install", "torchtext", "using", "pip", "!"]),
    ('He said "hi" (twice).', ["he", "said", "hi", "(", "twice", ")", "."]),
    ("it's a test;really: yes?", ["it", "'", "s", "a", "test", "really", "yes", "?"]),
    ("line<br />break,comma", ["line", "break", ",", "comma"]),
    ("MiXeD\tCASE\n\nend", ["mixed", "case", "end"]),
    ("", []),
])
def test_basic_english(text, tokens):
    assert get_tokenizer("basic_english")(text) == tokens


def test_basic_english_only_english():
    with pytest.raises(ValueError, match="English"):
        get_tokenizer("basic_english", language="de")


def test_none_splits_on_white_space():
    assert get_tokenizer(None)(" a\tb\n c  ") == ["a", "b", "c"]


def test_callable_passes_through():
    def fn(s):
        return list(s)
    assert get_tokenizer(fn) is fn


@pytest.mark.parametrize("name,module", [("spacy", "spacy"), ("moses", "sacremoses"),
                                         ("toktok", "nltk"), ("revtok", "revtok"),
                                         ("subword", "revtok")])
def test_missing_library_names_it(monkeypatch, name, module):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    if module == "nltk":
        monkeypatch.setitem(sys.modules, "nltk.tokenize.toktok", None)
    with pytest.raises(ImportError, match=f"needs the .* library.*pip install {module}"):
        get_tokenizer(name)


def test_unknown_name():
    with pytest.raises(ValueError, match="Requested tokenizer nope"):
        get_tokenizer("nope")
