"""ember.compiler against torch.compiler: disable bare, called and with arguments keeps a
function's results and name; non-callables raise AssertionError in both; set_stance as a
call, context manager and decorator, and its argument errors; the markers and queries."""

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402


def _scale(x, k=2):
    return x * k


@pytest.mark.parametrize("make", [
    lambda c: c.disable(_scale),
    lambda c: c.disable()(_scale),
    lambda c: c.disable(recursive=False)(_scale),
    lambda c: c.disable(_scale, reason="host-side logging"),
    lambda c: c.disable(_scale, False, reason=None),
], ids=["bare", "called", "non-recursive", "reason", "positional"])
def test_disable_keeps_results_and_name(make):
    e, t = make(ember.compiler), make(torch.compiler)
    assert e(3) == t(3) == 6
    assert e(1.5, k=4) == t(1.5, k=4) == 6.0
    assert e.__name__ == t.__name__ == "_scale"
    x = ember.arange(4.0)
    assert e(x).tolist() == t(torch.arange(4.0)).tolist() == [0.0, 2.0, 4.0, 6.0]


def test_disable_of_a_non_callable_raises_assertion_error_as_torch():
    for compiler in (ember.compiler, torch.compiler):
        with pytest.raises(AssertionError, match="fn must be callable"):
            compiler.disable(3)
        with pytest.raises(AssertionError, match="fn must be callable"):
            compiler.disable(recursive=False)("nope")


def test_markers_and_queries_match_torch():
    for name in ("is_compiling", "is_dynamo_compiling", "is_exporting"):
        assert getattr(ember.compiler, name)() is getattr(torch.compiler, name)() is False
    assert ember.compiler.reset() is torch.compiler.reset() is None
    assert ember.compiler.cudagraph_mark_step_begin() is None
    assert torch.compiler.cudagraph_mark_step_begin() is None
    assert ember.compiler.assume_constant_result(_scale) is _scale
    assert torch.compiler.assume_constant_result(_scale) is _scale
    assert ember.compiler.allow_in_graph(_scale) is _scale
    pair = (_scale, abs)
    assert ember.compiler.allow_in_graph(pair) == [_scale, abs]
    for compiler in (ember.compiler, torch.compiler):
        with pytest.raises(AssertionError, match="allow_in_graph expects a callable"):
            compiler.allow_in_graph(3)
    assert ember.compiler.compile is ember.compile


@pytest.mark.parametrize("stance", ["default", "force_eager", "eager_on_recompile",
                                    "fail_on_recompile", "eager_then_compile",
                                    "aot_eager_then_compile"])
def test_set_stance_forms_match_torch(stance):
    for compiler in (ember.compiler, torch.compiler):
        compiler.set_stance(stance)
        compiler.set_stance("default")
        with compiler.set_stance(stance) as entered:
            assert entered is None
            assert compiler.is_compiling() is False
        decorated = compiler.set_stance(stance)(_scale)
        assert decorated(5) == 10
        assert decorated.__name__ == "_scale"


def test_set_stance_argument_errors_match_torch():
    for compiler in (ember.compiler, torch.compiler):
        with pytest.raises(RuntimeError, match="non-default stance cannot have force_backend"):
            compiler.set_stance("force_eager", force_backend="eager")
        compiler.set_stance("default", force_backend="eager")
        compiler.set_stance("default", skip_guard_eval_unsafe=True)
        compiler.set_stance()
    # torch raises for an unknown stance at the next compiled call; ember, with no compiled
    # calls, at once
    with pytest.raises(RuntimeError, match="invalid torch.compile stance 'fastest'"):
        ember.compiler.set_stance("fastest")
