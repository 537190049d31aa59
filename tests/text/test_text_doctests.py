"""The examples in the public docstrings run and print what they claim."""

import doctest
import importlib

import pytest

MODULES = ["embertext", "embertext.data.utils", "embertext.vocab.vocab",
           "embertext.vocab.vocab_factory", "embertext.tokenizers",
           "embertext.tokenizers.byte_level", "embertext.tokenizers.pretokenize",
           "embertext.tokenizers.bpe", "embertext.tokenizers.bpe_trainer",
           "embertext.tokenizers.wordpiece", "embertext.tokenizers.bert",
           "embertext.datasets"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


@pytest.mark.parametrize("name", ["embertext.functional", "embertext.transforms"])
def test_docstring_examples_needing_ember(name):
    pytest.importorskip("ember")
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
