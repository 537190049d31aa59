"""ember.profiler and ember.autograd.profiler against torch's: the ranges and op names a
profile holds, call counts, nesting, the summary table, the Chrome trace, and the step
schedule's actions and callbacks."""

import gzip
import json
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402
from ember.autograd import function as _function  # noqa: E402


def _run(lib, device, **profile_kw):
    """Profiles three named iterations inside an outer range, each a matmul and a linear."""
    x, w = lib.randn(5, 4, device=device), lib.ones(4, 4, device=device)
    lin = lib.nn.Linear(4, 3).to(device)
    with lib.profiler.profile(**profile_kw) as prof:
        with lib.profiler.record_function("outer"):
            for _ in range(3):
                with lib.profiler.record_function("inner"):
                    lin(x @ w)
    return prof


def _counts(prof, names):
    return {e.key: e.count for e in prof.key_averages() if e.key in names}


def test_key_averages_name_and_count_ranges_as_torch(device):
    e = _run(ember, device, activities=[ember.profiler.ProfilerActivity.CPU])
    t = _run(torch, "cpu", activities=[torch.profiler.ProfilerActivity.CPU])
    names = {"outer", "inner", "aten::matmul", "aten::linear"}
    assert _counts(e, names) == _counts(t, names) == {"outer": 1, "inner": 3,
                                                       "aten::matmul": 3, "aten::linear": 3}
    avg = {a.key: a for a in e.key_averages()}
    for k in names:
        a = avg[k]
        assert 0 <= a.self_cpu_time_total <= a.cpu_time_total
        assert a.cpu_time == pytest.approx(a.cpu_time_total / a.count)
    # outer encloses everything else; inner encloses its ops
    assert avg["outer"].cpu_time_total >= avg["inner"].cpu_time_total >= \
        avg["aten::matmul"].cpu_time_total
    assert [type(x).__name__ for x in (e.key_averages(), e.key_averages()[0], e.events()[0])] == \
        [type(x).__name__ for x in (t.key_averages(), t.key_averages()[0], t.events()[0])]


def test_events_nest_as_torchs():
    def parents(prof):
        return sorted((ev.name, ev.cpu_parent.name if ev.cpu_parent else None)
                      for ev in prof.events() if ev.name in ("outer", "inner"))
    assert parents(_run(ember, "cpu")) == parents(_run(torch, "cpu"))


def test_table_is_a_string_holding_the_ranges_sorted_and_limited():
    for lib in (ember, torch):
        prof = _run(lib, "cpu")
        table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=2)
        assert isinstance(table, str)
        assert "outer" in table and "inner" in table and "aten::linear" not in table
        assert table.index("outer") < table.index("inner")
        assert "Self CPU time total:" in table and "# of Calls" in table
        full = prof.key_averages().table(sort_by="self_cpu_time_total")
        assert "aten::linear" in full
        counts = prof.key_averages().table(sort_by="count", row_limit=1)
        assert "outer" not in counts


def test_record_shapes_groups_by_input_shape_as_torch():
    def shapes(lib):
        x = lib.randn(5, 4)
        with lib.profiler.profile(record_shapes=True) as prof:
            x @ lib.ones(4, 4)
            x @ lib.ones(4, 2)
        return sorted(tuple(map(tuple, a.input_shapes)) for a in
                      prof.key_averages(group_by_input_shape=True) if a.key == "aten::matmul")
    assert shapes(ember) == shapes(torch) == [((5, 4), (4, 2)), ((5, 4), (4, 4))]


def test_record_function_as_decorator_and_outside_a_profile():
    def run(lib):
        @lib.profiler.record_function("decorated")
        def f(a):
            return a * 2

        assert f(lib.ones(2)).tolist() == [2.0, 2.0]  # no profile running: a plain call
        with lib.autograd.profiler.profile() as prof:
            f(lib.ones(2))
            f(lib.ones(2))
        return _counts(prof, {"decorated"})
    assert run(ember) == run(torch) == {"decorated": 2}


def test_chrome_trace_is_valid_json_with_the_ranges(tmp_path):
    for lib in (ember, torch):
        prof = _run(lib, "cpu")
        path = tmp_path / f"{lib.__name__}.json"
        prof.export_chrome_trace(str(path))
        events = [ev for ev in json.loads(path.read_text())["traceEvents"] if ev.get("ph") == "X"]
        by_name = {}
        for ev in events:
            by_name.setdefault(ev["name"], []).append(ev)
        assert len(by_name["outer"]) == 1 and len(by_name["inner"]) == 3
        assert {ev["cat"] for ev in by_name["inner"]} == {"user_annotation"}
        assert {ev["cat"] for ev in by_name["aten::matmul"]} == {"cpu_op"}
        outer = by_name["outer"][0]
        for ev in by_name["inner"]:  # inside outer on the timeline
            assert outer["ts"] <= ev["ts"] and ev["ts"] + ev["dur"] <= outer["ts"] + outer["dur"]


def test_schedule_actions_equal_torchs():
    cases = [dict(wait=1, warmup=1, active=2), dict(wait=2, warmup=1, active=3, repeat=2),
             dict(wait=0, warmup=2, active=1, skip_first=3),
             dict(wait=3, warmup=1, active=2, repeat=1, skip_first=2, skip_first_wait=1),
             dict(wait=1, warmup=0, active=1, repeat=3)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # warmup=0 warns in both
        for kw in cases:
            e, t = ember.profiler.schedule(**kw), torch.profiler.schedule(**kw)
            assert [e(i).name for i in range(25)] == [t(i).name for i in range(25)]
    assert {a.name: a.value for a in ember.profiler.ProfilerAction} == \
        {a.name: a.value for a in torch.profiler.ProfilerAction}
    assert {a.name for a in ember.profiler.ProfilerActivity} == \
        set(torch.profiler.ProfilerActivity.__members__)
    for bad in (dict(wait=-1, warmup=1, active=1), dict(wait=1, warmup=1, active=0)):
        with pytest.raises(AssertionError):
            ember.profiler.schedule(**bad)
        with pytest.raises(AssertionError):
            torch.profiler.schedule(**bad)
    with pytest.raises(AssertionError):
        ember.profiler.schedule(wait=1, warmup=1, active=1)(-1)


@pytest.mark.parametrize("kw, steps", [(dict(wait=1, warmup=1, active=2), 6),
                                       (dict(wait=1, warmup=1, active=2, repeat=2), 10),
                                       (dict(wait=0, warmup=1, active=1, skip_first=1), 5),
                                       (dict(wait=2, warmup=1, active=3), 4)])
def test_stepped_profile_saves_the_same_cycles_as_torch(kw, steps):
    def run(lib):
        cycles = []

        def ready(prof):
            keys = [a.key for a in prof.key_averages()]
            cycles.append((prof.step_num, sorted(k for k in keys if not k.startswith("aten::"))))
        x = lib.randn(4, 4)
        with lib.profiler.profile(schedule=lib.profiler.schedule(**kw),
                                  on_trace_ready=ready) as prof:
            for i in range(steps):
                with lib.profiler.record_function(f"it{i}"):
                    x @ x
                prof.step()
        return cycles
    assert run(ember) == run(torch)


def test_tensorboard_trace_handler_writes_a_trace_per_cycle(tmp_path):
    sched = ember.profiler.schedule(wait=0, warmup=1, active=1, repeat=2)
    handler = ember.profiler.tensorboard_trace_handler(str(tmp_path / "log"), "w0",
                                                        use_gzip=True)
    with ember.profiler.profile(schedule=sched, on_trace_ready=handler) as prof:
        for i in range(5):
            with ember.profiler.record_function(f"it{i}"):
                pass
            prof.step()
    files = sorted((tmp_path / "log").iterdir())
    assert len(files) == 2
    assert all(f.name.startswith("w0.") and f.name.endswith(".pt.trace.json.gz") for f in files)
    names = [{ev["name"] for ev in json.loads(gzip.open(f).read())["traceEvents"]}
             for f in files]
    assert names == [{"ProfilerStep#1", "it1"}, {"ProfilerStep#3", "it3"}]


def test_profiler_hook_is_installed_only_while_recording():
    untimed = _function.Function.__dict__["apply"]
    with ember.profiler.profile() as outer:
        assert _function.Function.__dict__["apply"] is not untimed
        with ember.autograd.profiler.profile() as inner:
            ember.ones(2, 2) @ ember.ones(2, 2)
        assert _function.Function.__dict__["apply"] is not untimed
        ember.ones(2, 2) @ ember.ones(2, 2)
    assert _function.Function.__dict__["apply"] is untimed
    assert _counts(inner, {"aten::matmul"}) == {"aten::matmul": 1}
    assert _counts(outer, {"aten::matmul"}) == {"aten::matmul": 2}


def test_profiled_results_and_gradients_are_unchanged():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    x = ember.tensor(a, requires_grad=True)
    with ember.profiler.profile():
        y = (x @ x.T).tanh().sum()
        y.backward()
    tx = torch.tensor(a, requires_grad=True)
    ty = (tx @ tx.T).tanh().sum()
    ty.backward()
    np.testing.assert_allclose(y.item(), ty.item(), rtol=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_events_before_a_finished_cycle_raise():
    prof = ember.autograd.profiler.profile()
    with pytest.raises(RuntimeError):
        prof.key_averages()
    with pytest.raises(AssertionError):
        ember.profiler.profile().events()
