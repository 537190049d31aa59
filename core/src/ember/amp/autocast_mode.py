"""Autocast: run matmul-like ops in a lower precision inside a region, as torch.autocast.

The state is thread-local, per device type. Ops consult it through two helpers:
``cast_low`` (matmul, linear, conv: inputs cast to the autocast dtype) and
``cast_fp32`` (softmax, log_softmax, layer_norm, cross_entropy: inputs cast to float32).
The casts are ordinary differentiable ``.to()`` calls, so gradients flow back in each
input's own dtype; outside an autocast region both helpers return their inputs as-is.
"""

from __future__ import annotations

import functools
import threading
import warnings

from .. import _dtype as D

_LOCAL = threading.local()
_DEFAULT_DTYPE = {"cuda": D.float16, "cpu": D.bfloat16}
_LOW = (D.float16, D.bfloat16)


def _state() -> dict:
    st = getattr(_LOCAL, "state", None)
    if st is None:
        st = _LOCAL.state = {}
    return st


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether an autocast region for device_type is active in this thread."""
    return device_type in _state()


def _chosen() -> dict:
    """Per thread, the dtype set_autocast_dtype chose for each device type."""
    chosen = getattr(_LOCAL, "chosen", None)
    if chosen is None:
        chosen = _LOCAL.chosen = {}
    return chosen


def get_autocast_dtype(device_type: str = "cuda"):
    """The low-precision dtype of device_type's autocast: the active region's, else the one
    set_autocast_dtype chose, else the device's default."""
    return _state().get(device_type) or _chosen().get(
        device_type, _DEFAULT_DTYPE.get(device_type, D.bfloat16))


def set_autocast_dtype(device_type: str, dtype) -> None:
    """The dtype autocast on device_type uses when turned on by set_autocast_enabled (and
    now, if it is on)."""
    _chosen()[device_type] = dtype
    if device_type in _state():
        _state()[device_type] = dtype


def set_autocast_enabled(device_type, enabled=None) -> None:
    """Turns autocast on device_type on or off outside a with-block, as torch's; the older
    one-argument form set_autocast_enabled(enabled) means CUDA."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    if enabled:
        _state()[device_type] = get_autocast_dtype(device_type)
    else:
        _state().pop(device_type, None)


def is_autocast_cache_enabled() -> bool:
    """Always False: ember keeps no cache of autocast's casts between ops."""
    return False


def set_autocast_cache_enabled(enabled: bool) -> None:
    """Accepted for torch's API; ember keeps no cache of autocast's casts."""


def clear_autocast_cache() -> None:
    """Nothing to clear: ember keeps no cache of autocast's casts."""


def autocast_increment_nesting() -> int:
    """Counts entries into autocast regions, as torch's bookkeeping for its cast cache."""
    _LOCAL.nesting = getattr(_LOCAL, "nesting", 0) + 1
    return _LOCAL.nesting


def autocast_decrement_nesting() -> int:
    _LOCAL.nesting = max(getattr(_LOCAL, "nesting", 0) - 1, 0)
    return _LOCAL.nesting


class autocast:
    """Context manager / decorator running eligible ops in ``dtype``.

    Example:
        >>> with ember.autocast(device_type="cuda", dtype=ember.bfloat16):
        ...     y = model(x)            # matmuls/convs in bfloat16, softmax/losses in float32
        >>> loss = y.float().sum()      # backward outside the region, as in torch
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True,
                 cache_enabled: bool | None = None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in ("cuda", "cpu"):
            raise RuntimeError(f"User specified an unsupported autocast device_type "
                               f"'{device_type}'")
        self.device = device_type
        self.fast_dtype = dtype if dtype is not None else _DEFAULT_DTYPE[device_type]
        if self.fast_dtype not in _LOW:
            raise RuntimeError(f"In autocast, but the target dtype is not supported. Supported "
                               f"dtypes are torch.float16 and torch.bfloat16; got "
                               f"{self.fast_dtype}")
        self._enabled = bool(enabled)
        self._prev = None

    def __enter__(self):
        st = _state()
        self._prev = st.get(self.device)
        if self._enabled:
            st[self.device] = self.fast_dtype
        else:
            st.pop(self.device, None)
        return self

    def __exit__(self, *exc):
        st = _state()
        if self._prev is None:
            st.pop(self.device, None)
        else:
            st[self.device] = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled):
                return fn(*args, **kwargs)
        return wrapper


def _device_type(tensors) -> str | None:
    for t in tensors:
        if t is not None and hasattr(t, "_storage"):
            return t.device.type
    return None


def cast_low(*tensors):
    """Inputs of a lower-precision op (matmul, linear, conv): floating tensors go to the
    autocast dtype of their device when a region is active; others pass unchanged."""
    st = _state()
    if not st:
        return tensors
    dt = st.get(_device_type(tensors))
    if dt is None:
        return tensors
    return tuple(t.to(dt) if t is not None and t._dtype.is_floating_point and t._dtype is not dt
                 else t for t in tensors)


def cast_fp32(*tensors):
    """Inputs of a float32 op (softmax, norms, losses) inside an autocast region."""
    st = _state()
    if not st or _device_type(tensors) not in st:
        return tensors
    return tuple(t.float() if t is not None and t._dtype in _LOW else t for t in tensors)


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast runs on device_type: ember's devices, the CPU and CUDA."""
    return device_type in _DEFAULT_DTYPE


def custom_fwd(fwd=None, *, device_type: str, cast_inputs=None):
    """Decorates a custom Function's ``forward`` for autocast regions. With cast_inputs, a
    forward called inside an autocast region of device_type gets its floating inputs on that
    device (float64 aside) cast to cast_inputs, and runs with autocast off; without it, it
    runs in the region as it is. Outside a region it is a plain call. The matching
    ``custom_bwd`` runs backward under the autocast state forward ran in.

    Example:
        >>> class MyMM(ember.autograd.Function):
        ...     @staticmethod
        ...     @ember.amp.custom_fwd(device_type="cuda", cast_inputs=ember.float32)
        ...     def forward(ctx, a, b):
        ...         return a @ b
    """
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def forward(ctx, *args, **kwargs):
        active = is_autocast_enabled(device_type)
        # what backward will run under: the region, unless forward left it to cast inputs
        ctx._autocast_for_backward = (active and cast_inputs is None,
                                      get_autocast_dtype(device_type))
        if cast_inputs is None or not active:
            return fwd(ctx, *args, **kwargs)
        with autocast(device_type, enabled=False):
            return fwd(ctx, *_cast_floats(args, device_type, cast_inputs),
                       **_cast_floats(kwargs, device_type, cast_inputs))
    return forward


def custom_bwd(bwd=None, *, device_type: str):
    """Decorates a custom Function's ``backward`` (paired with ``custom_fwd``) to run under
    the autocast state its forward ran in.

    Example:
        >>> class MyMM(ember.autograd.Function):
        ...     @staticmethod
        ...     @ember.amp.custom_bwd(device_type="cuda")
        ...     def backward(ctx, grad):
        ...         return grad, grad
    """
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def backward(ctx, *grads):
        enabled, dtype = getattr(ctx, "_autocast_for_backward", (False, None))
        region = autocast(device_type, dtype=dtype, enabled=True) if enabled else \
            autocast(device_type, enabled=False)
        with region:
            return bwd(ctx, *grads)
    return backward


def _cast_floats(value, device_type: str, dtype):
    """value with its floating tensors on device_type (float64 aside) cast to dtype, through
    lists, tuples and dicts."""
    if hasattr(value, "_storage"):
        if (value.dtype.is_floating_point and value.dtype is not D.float64
                and value.device.type == device_type):
            return value.to(dtype)
        return value
    if isinstance(value, dict):
        return {k: _cast_floats(v, device_type, dtype) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_cast_floats(v, device_type, dtype) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    return value


def _deprecated(name: str, replacement: str, fn):
    def wrapper(*args):
        warnings.warn(f"ember.{name}() is deprecated. Please use ember.{replacement} instead.",
                      DeprecationWarning, stacklevel=2)
        return fn(*args)
    wrapper.__name__ = name
    return wrapper


# torch's older per-device spellings
is_autocast_cpu_enabled = _deprecated("is_autocast_cpu_enabled", "is_autocast_enabled('cpu')",
                                      lambda: is_autocast_enabled("cpu"))
set_autocast_cpu_enabled = _deprecated("set_autocast_cpu_enabled",
                                       "set_autocast_enabled('cpu', enabled)",
                                       lambda enabled: set_autocast_enabled("cpu", enabled))
get_autocast_cpu_dtype = _deprecated("get_autocast_cpu_dtype", "get_autocast_dtype('cpu')",
                                     lambda: get_autocast_dtype("cpu"))
set_autocast_cpu_dtype = _deprecated("set_autocast_cpu_dtype",
                                     "set_autocast_dtype('cpu', dtype)",
                                     lambda dtype: set_autocast_dtype("cpu", dtype))
get_autocast_gpu_dtype = _deprecated("get_autocast_gpu_dtype", "get_autocast_dtype('cuda')",
                                     lambda: get_autocast_dtype("cuda"))
set_autocast_gpu_dtype = _deprecated("set_autocast_gpu_dtype",
                                     "set_autocast_dtype('cuda', dtype)",
                                     lambda dtype: set_autocast_dtype("cuda", dtype))
