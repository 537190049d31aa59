"""ember.nn.modules.utils against torch.nn.modules.utils: the size parsers on scalars,
lists, tuples, ranges, sizes and generators, _reverse_repeat_tuple, _list_with_default
with its error, consume_prefix_in_state_dict_if_present with metadata; and that the layers
built on them keep torch's attributes."""

import collections

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402
from ember.nn.modules import utils as eu  # noqa: E402
from torch.nn.modules import utils as tu  # noqa: E402

VALUES = [3, 2.5, None, [4, 5], (1, 2, 3), range(2), (7,), [], "ab"]


@pytest.mark.parametrize("name", ["_single", "_pair", "_triple", "_quadruple"])
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_size_parsers_match_torch(name, value):
    assert getattr(eu, name)(value) == getattr(tu, name)(value)
    assert getattr(eu, name).__name__ == getattr(tu, name).__name__ == name


def test_ntuple_matches_torch_on_sizes_and_iterators():
    for n in (1, 2, 5):
        e, t = eu._ntuple(n, "p"), tu._ntuple(n, "p")
        assert e(6) == t(6) == (6,) * n
        assert e(ember.Size([2, 3])) == t(torch.Size([2, 3])) == (2, 3)
        assert e(iter([1, 2, 3])) == t(iter([1, 2, 3])) == (1, 2, 3)
        assert e.__name__ == t.__name__ == "p"
    assert eu._ntuple(2).__name__ == tu._ntuple(2).__name__ == "parse"


@pytest.mark.parametrize("t, n", [((1, 2), 2), ((1, 2, 3), 1), ((4,), 3), ((), 2),
                                  ([5, 6], 2)])
def test_reverse_repeat_tuple_matches_torch(t, n):
    assert eu._reverse_repeat_tuple(t, n) == tu._reverse_repeat_tuple(t, n)


@pytest.mark.parametrize("out_size, defaults", [
    ([None, 4], [1, 3, 8, 9]), ([2, None, None], [1, 3, 5, 6, 7]), (5, [1, 2]),
    ([None], [2, 7]), ([3, 4], [9, 9, 9])])
def test_list_with_default_matches_torch(out_size, defaults):
    assert eu._list_with_default(out_size, defaults) == tu._list_with_default(out_size,
                                                                               defaults)


def test_list_with_default_error_matches_torch():
    for mod in (eu, tu):
        with pytest.raises(ValueError, match="Input dimension should be at least 3"):
            mod._list_with_default([None, 2], [4, 5])


def _wrapped_state_dict():
    sd = collections.OrderedDict([("module.fc.weight", 1), ("module.fc.bias", 2),
                                  ("head.module.x", 3)])
    sd._metadata = collections.OrderedDict([("", {"v": 0}), ("module", {"v": 1}),
                                            ("module.fc", {"v": 2}), ("head", {"v": 3})])
    return sd


def test_consume_prefix_matches_torch():
    e, t = _wrapped_state_dict(), _wrapped_state_dict()
    eu.consume_prefix_in_state_dict_if_present(e, "module.")
    tu.consume_prefix_in_state_dict_if_present(t, "module.")
    assert list(e.items()) == list(t.items())
    assert list(e._metadata.items()) == list(t._metadata.items())
    assert eu.__all__ == tu.__all__


def test_layers_built_on_the_parsers_keep_torch_attributes():
    for args in ((3, 4, [3, 2]), (3, 4, 3), (3, 4, (1, 5))):
        for kind in ("Conv2d", "ConvTranspose2d"):
            e, t = getattr(ember.nn, kind)(*args), getattr(torch.nn, kind)(*args)
            for attr in ("kernel_size", "stride", "padding", "dilation", "output_padding"):
                assert getattr(e, attr) == getattr(t, attr), (kind, attr)
    assert ember.nn.Conv1d(2, 2, 3, stride=[2]).stride == torch.nn.Conv1d(2, 2, 3,
                                                                          stride=[2]).stride
    assert ember.nn.ZeroPad2d(2).padding == torch.nn.ZeroPad2d(2).padding
    assert ember.nn.ReflectionPad1d((1, 2)).padding == torch.nn.ReflectionPad1d((1, 2)).padding
    assert ember.nn.AvgPool1d(3).stride == torch.nn.AvgPool1d(3).stride
    assert ember.nn.MaxUnpool3d(2).padding == torch.nn.MaxUnpool3d(2).padding
