"""The examples in the public docstrings run and print what they claim."""

import doctest
import importlib

import pytest

MODULES = ["emberaudio", "emberaudio._io._metadata", "emberaudio._io._soundfile",
           "emberaudio.functional.windows", "emberaudio.functional.spectral",
           "emberaudio.functional.filterbanks", "emberaudio.functional.filtering",
           "emberaudio.functional.resample", "emberaudio.functional.effects",
           "emberaudio.transforms._transforms", "emberaudio.datasets.yesno",
           "emberaudio.datasets.speechcommands", "emberaudio.datasets.librispeech",
           "emberaudio.datasets.ljspeech"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
