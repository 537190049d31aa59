"""amp.custom_fwd / custom_bwd against torch's: what a custom Function's forward and
backward see (input dtypes, whether autocast is on, its dtype) inside and outside a
region, with and without cast_inputs."""

import pytest

import ember

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle


def _make(m, cast_inputs, seen):
    class MatMul(m.autograd.Function):
        @staticmethod
        @m.amp.custom_fwd(device_type="cpu", cast_inputs=cast_inputs)
        def forward(ctx, a, pair):
            b = pair[0]
            seen.append(("fwd", str(a.dtype).split(".")[-1], str(b.dtype).split(".")[-1],
                         m.is_autocast_enabled("cpu")))
            ctx.save_for_backward(a, b)
            return a @ b.to(a.dtype)

        @staticmethod
        @m.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            seen.append(("bwd", m.is_autocast_enabled("cpu"),
                         str(m.get_autocast_dtype("cpu")).split(".")[-1]))
            return (g.to(a.dtype) @ b.t().to(a.dtype)), None

    return MatMul


@pytest.mark.parametrize("cast_inputs", [None, "float32"])
@pytest.mark.parametrize("in_region", [False, True])
def test_custom_fwd_bwd_see_what_torchs_see(cast_inputs, in_region):
    logs = []
    for m in (ember, torch):
        seen = []
        fn = _make(m, getattr(m, cast_inputs) if cast_inputs else None, seen)
        a = m.ones(2, 3, dtype=m.bfloat16, requires_grad=True)
        b = m.ones(3, 2)
        if in_region:
            with m.autocast("cpu", dtype=m.bfloat16):
                y = fn.apply(a, (b,))
                y.float().sum().backward()
        else:
            y = fn.apply(a, (b,))
            y.float().sum().backward()
        seen.append(("out", str(y.dtype).split(".")[-1], str(a.grad.dtype).split(".")[-1]))
        logs.append(seen)
    assert logs[0] == logs[1]


def test_decorators_need_a_device_type_and_report_availability():
    for m in (ember, torch):
        with pytest.raises(TypeError):
            m.amp.custom_fwd(lambda ctx, x: x)
        with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
            m.amp.custom_bwd(device_type=0)
        assert m.amp.is_autocast_available("cpu") and m.amp.is_autocast_available("cuda")
