"""ember.Stream and ember.Event against torch's CPU build: what a CPU stream and event
answer, what they refuse (recording an event) and with which exception, their device
fields and equality; on CUDA they are ember.cuda's stream and event."""

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402


def _outcome(call):
    """(True, value) or (False, exception type name)."""
    try:
        return True, call()
    except Exception as exc:  # noqa: BLE001 - the exception type is what is compared
        return False, type(exc).__name__


def test_cpu_stream_fields_match_torch():
    e, t = ember.Stream("cpu", priority=-1), torch.Stream("cpu", priority=-1)
    assert (e.device_type, e.device_index, e.stream_id) == (t.device_type, t.device_index,
                                                           t.stream_id) == (0, -1, 0)
    assert str(e.device) == str(t.device) == "cpu"
    assert repr(e) == repr(t).replace("torch", "ember")
    assert e.query() is t.query() is True
    assert e.synchronize() is t.synchronize() is None
    assert e.is_capturing() is t.is_capturing() is False
    assert (e == ember.Stream("cpu")) is (t == torch.Stream("cpu")) is True
    assert (e == 1) is (t == 1) is False
    assert hash(e) == hash(ember.Stream("cpu"))
    with e as entered:
        assert entered is e


def test_cpu_stream_refusals_match_torch():
    e, t = ember.Stream("cpu"), torch.Stream("cpu")
    for method in (lambda s: s.record_event(), lambda s: s.wait_stream(s),
                   lambda s: s.native_handle):
        assert _outcome(lambda m=method: m(e)) == _outcome(lambda m=method: m(t))
    with pytest.raises(RuntimeError, match="cpu backend doesn't support events"):
        e.record_event()
    assert _outcome(lambda: e.wait_event(ember.Event("cpu"))) == \
        _outcome(lambda: t.wait_event(torch.Event("cpu"))) == (True, None)


def test_stream_and_event_devices_match_torch():
    for ctor_e, ctor_t in ((ember.Stream, torch.Stream), (ember.Event, torch.Event)):
        for arg in ("meta", 2.0):
            ok_e, got_e = _outcome(lambda c=ctor_e, a=arg: c(a))
            ok_t, got_t = _outcome(lambda c=ctor_t, a=arg: c(a))
            assert ok_e == ok_t
            if ok_e:
                assert str(got_e.device) == str(got_t.device) == "meta"
            else:
                assert got_e == got_t
        if not ember.cuda.is_available():
            # no accelerator: an index is refused with the same exception
            for arg in (0, "cuda"):
                assert _outcome(lambda c=ctor_e, a=arg: c(a)) == \
                    _outcome(lambda c=ctor_t, a=arg: c(a))
            assert ctor_e().device.type == ctor_t().device.type == "cpu"


@pytest.mark.parametrize("timing", [False, True])
def test_cpu_event_matches_torch(timing):
    e = ember.Event("cpu", enable_timing=timing)
    t = torch.Event("cpu", enable_timing=timing)
    assert repr(e) == repr(t).replace("torch", "ember")
    assert (e.event_id, str(e.device)) == (t.event_id, str(t.device))
    assert e.query() is t.query() is True
    assert e.synchronize() is t.synchronize() is None
    assert e.wait() is t.wait() is None
    assert e.wait(ember.Stream("cpu")) is t.wait(torch.Stream("cpu")) is None
    assert _outcome(e.record) == _outcome(t.record) == (False, "RuntimeError")
    assert _outcome(e.ipc_handle) == _outcome(t.ipc_handle) == (False, "NotImplementedError")
    # elapsed time: refused for untimed or unrecorded events, with torch's exception
    for other_timing in (False, True):
        oe = ember.Event("cpu", enable_timing=other_timing)
        ot = torch.Event("cpu", enable_timing=other_timing)
        assert _outcome(lambda o=oe: e.elapsed_time(o)) == \
            _outcome(lambda o=ot: t.elapsed_time(o))
    with pytest.raises(ValueError, match="recorded" if timing else "enable_timing"):
        e.elapsed_time(ember.Event("cpu", enable_timing=True))
    assert _outcome(lambda: e.elapsed_time(None)) == _outcome(lambda: t.elapsed_time(None))


def test_cuda_streams_and_events_are_ember_streams_and_events(device):
    if device != "cuda":
        pytest.skip("needs a CUDA device")
    s = ember.Stream("cuda")
    assert isinstance(s, ember.cuda.Stream) and isinstance(s, ember.Stream)
    assert isinstance(ember.cuda.current_stream(), ember.Stream)
    assert s.device_type == 1 and s.device.type == "cuda" and s.stream_id == s.cuda_stream
    assert s.native_handle == s.cuda_stream and s != ember.cuda.current_stream()
    e = ember.Event("cuda", enable_timing=True)
    assert isinstance(e, ember.cuda.Event) and isinstance(e, ember.Event)
    assert e.device.type == "cuda"
    with ember.cuda.stream(s):
        y = ember.ones(4, device="cuda") * 3
        e.record()
    e.synchronize()
    assert e.query() is True and s.query() is True
    assert y.tolist() == [3.0] * 4
    s.wait_stream(ember.cuda.current_stream())
    s.synchronize()
