"""ember.utils.benchmark: Timer measures known sleeps within tolerance through timeit,
blocked_autorange and adaptive_autorange; Measurement's statistics on fixed times and its
repr; Compare's table rows, columns, units and options."""

import re
import time

import pytest

import ember
from ember.utils.benchmark import Compare, Measurement, TaskSpec, Timer, select_unit

SLEEP = 0.02


def _sleeper(**labels) -> Timer:
    return Timer(f"time.sleep({SLEEP})", globals={"time": time}, **labels)


def test_timeit_measures_a_sleep():
    m = _sleeper().timeit(3)
    assert m.number_per_run == 3 and len(m.raw_times) == 1
    # a sleep never ends early; scheduling on a busy machine may add a little
    assert SLEEP <= m.median < SLEEP * 1.5
    assert m.mean == m.median == m.times[0] == pytest.approx(m.raw_times[0] / 3)


def test_blocked_autorange_measures_a_sleep_for_at_least_min_run_time():
    seen = []
    m = _sleeper().blocked_autorange(callback=lambda n, t: seen.append((n, t)),
                                     min_run_time=0.1)
    # a 20 ms statement already passes the block-size search at one run per block
    assert m.number_per_run == 1
    assert sum(m.raw_times) >= 0.1 and len(m.times) >= 5
    assert [t for _, t in seen] == m.raw_times
    assert all(SLEEP <= t < SLEEP * 1.5 for t in m.times)
    assert SLEEP <= m.median < SLEEP * 1.5


def test_adaptive_autorange_stops_within_its_limits():
    m = _sleeper().adaptive_autorange(threshold=0.5, min_run_time=0.05, max_run_time=0.5)
    assert len(m.times) > 3 and sum(m.raw_times) <= 0.5 + 2 * SLEEP * 1.5
    assert SLEEP <= m.median < SLEEP * 1.5


def test_timer_namespace_setup_and_threads():
    seen_threads = []
    namespace = {"record": lambda: seen_threads.append(ember.get_num_threads())}
    before = ember.get_num_threads()
    Timer("record(); y = x + 1", setup="""
        x = ember.ones(3)
    """, globals=namespace, num_threads=1).timeit(4)
    assert seen_threads and set(seen_threads) == {1}
    assert ember.get_num_threads() == before
    assert "x" not in namespace  # the statement ran on a copy of globals


def test_timer_rejects_what_torch_rejects():
    with pytest.raises(ValueError, match="only a `str` stmt"):
        Timer(lambda: None)
    with pytest.raises(ValueError, match="global_setup is C\\+\\+ only"):
        Timer("pass", global_setup="x = 1")
    with pytest.raises(ValueError, match="Invalid language"):
        Timer("pass", language="rust")
    with pytest.raises(NotImplementedError):
        Timer("pass", language="c++")


def test_measurement_statistics_on_fixed_times():
    spec = TaskSpec("f(x)", "x = 1", label="f", sub_label="small", description="eager")
    m = Measurement(10, [1e-3, 2e-3, 3e-3, 4e-3, 10e-3], spec)
    assert m.times == pytest.approx([1e-4, 2e-4, 3e-4, 4e-4, 1e-3])
    assert m.median == pytest.approx(3e-4)
    assert m.mean == pytest.approx(4e-4)
    assert m.iqr == pytest.approx(4e-4 - 2e-4)  # linear-interpolated quartiles
    assert (m.label, m.sub_label, m.description, m.num_threads) == ("f", "small", "eager", 1)
    assert m.title == "f: small" and m.as_row_name == "small"
    assert not m.meets_confidence() and m.has_warnings
    text = repr(m)
    assert "f: small\neager\nsetup: x = 1" in text
    assert "Median: 300.00 us" in text and "IQR:    200.00 us (200.00 to 400.00)" in text
    assert "5 measurements, 10 runs per measurement, 1 thread" in text
    assert "WARNING: Interquartile range is 66.7% of the median" in text
    steady = Measurement(1, [1.0, 1.01, 0.99, 1.0], spec)
    assert steady.meets_confidence() and not steady.has_warnings
    assert steady.significant_figures == 4  # its middle half has no spread: the cap
    spread = Measurement(1, [1.0 + 0.001 * i for i in range(20)], spec)
    # median 1.0095 over a 90% interval of 0.0015 for the mean of its middle half
    assert spread.significant_figures == 2


@pytest.mark.parametrize("seconds, unit", [(3e-9, "ns"), (4.2e-4, "us"), (0.05, "ms"),
                                           (2.0, "s"), (900.0, "s")])
def test_select_unit(seconds, unit):
    assert select_unit(seconds)[0] == unit


def _fixed(label, sub_label, description, median, threads=1):
    spec = TaskSpec("op(x)", "pass", label=label, sub_label=sub_label,
                    description=description, num_threads=threads)
    return Measurement(1, [median * 0.99, median, median * 1.01], spec)


def test_compare_prints_one_table_per_label(capsys):
    results = [_fixed("add", "n=10", "cpu", 2e-6), _fixed("add", "n=10", "cuda", 5e-6),
               _fixed("add", "n=1000", "cpu", 4e-6), _fixed("add", "n=1000", "cuda", 5.5e-6),
               _fixed("add", "n=10", "cpu", 8e-6, threads=4),
               _fixed("mul", "n=10", "cpu", 3e-3)]
    Compare(results).print()
    out = capsys.readouterr().out
    tables = [t for t in out.split("\n\n") if t.startswith("[")]
    assert len(tables) == 2
    add = tables[0].splitlines()
    assert re.fullmatch(r"\[-+ add -+\]", add[0])
    assert [c.strip() for c in add[1].split("|")] == ["", "cpu", "cuda"]
    assert add[2].startswith("1 threads: ---")
    assert [c.strip() for c in add[3].split("|")] == ["n=10", "2.0", "5.0"]
    assert [c.strip() for c in add[4].split("|")] == ["n=1000", "4.0", "5.5"]
    assert add[5].startswith("4 threads: ---")
    assert [c.strip() for c in add[6].split("|")] == ["n=10", "8.0", ""]
    assert "Times are in microseconds (us)." in out
    assert "[" in tables[1] and " mul " in tables[1].splitlines()[0]
    assert "Times are in milliseconds (ms)." in out


def test_compare_merges_replicates_and_options(capsys):
    first, second = _fixed("op", "a", "x", 1e-3), _fixed("op", "a", "x", 3e-3)
    compare = Compare([first])
    compare.extend_results([second, _fixed("op", "b", "x", 5e-3)])
    compare.colorize()
    compare.trim_significant_figures()
    compare.highlight_warnings()
    text = str(compare)
    rows = [line for line in text.splitlines() if "|" in line][1:]
    assert len(rows) == 2  # the two replicates of "a" pooled into one row
    assert "\033[92m" in rows[0] and "\033[92m" not in rows[1]  # fastest in the column
    assert "(! " in rows[0]  # pooled 1 ms and 3 ms runs: a noisy measurement
    with pytest.raises(ValueError, match="Expected an instance of `Measurement`"):
        compare.extend_results([1.0])
