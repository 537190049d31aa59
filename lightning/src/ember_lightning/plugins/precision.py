"""Precision plugins: how the Trainer runs ``Trainer(precision=...)``, as Lightning's.

A plugin converts the module (``convert_module``) and floating-point batches
(``convert_input``), wraps every ``*_step`` call (``forward_context``: autocast for the mixed
modes, the default dtype for the true ones), scales the loss before backward
(``pre_backward``) and runs the optimizer step (``optimizer_step``). Its ``state_dict`` (the
GradScaler's, for ``"16-mixed"``) is kept in checkpoints under the plugin's class name.

Example:
    >>> trainer = Trainer(plugins=[MixedPrecision("16-mixed", "cpu")])  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager, nullcontext
from typing import Any, Callable, Iterator

import ember
import ember.optim  # noqa: F401  (`import ember` alone does not load ember.optim)

from ..utilities.exceptions import MisconfigurationException

# Lightning's accepted values, in the order its error message lists them.
_PRECISION_STR = ("transformer-engine", "transformer-engine-float16", "16-true", "16-mixed",
                  "bf16-true", "bf16-mixed", "32-true", "64-true")
_PRECISION_INT = (64, 32, 16)
_PRECISION_ALIAS = {"64": "64-true", "32": "32-true", "16": "16-mixed", "bf16": "bf16-mixed"}


def _unified_precision(precision: Any) -> str | None:
    """Lightning's spelling of a ``precision`` flag ("16" -> "16-mixed", 64 -> "64-true")."""
    if precision is None:
        return None
    supported = _PRECISION_STR + _PRECISION_INT + tuple(_PRECISION_ALIAS)
    if isinstance(precision, bool) or precision not in supported:
        raise ValueError(f"Precision {precision!r} is invalid. Allowed precision values: "
                         f"{supported}")
    precision = str(precision)
    if precision in _PRECISION_ALIAS:
        if precision[:2] not in ("32", "64"):
            warnings.warn(f"`precision={precision}` is supported for historical reasons but its "
                          "usage is discouraged. Please set your precision to "
                          f"{_PRECISION_ALIAS[precision]} instead!", stacklevel=4)
        precision = _PRECISION_ALIAS[precision]
    return precision


def precision_plugin_for(flag: str, device_type: str) -> Precision:
    """The plugin for a unified precision flag on device_type ("cpu" or "cuda")."""
    if flag in ("16-true", "bf16-true"):
        return HalfPrecision(flag)
    if flag == "32-true":
        return Precision()
    if flag == "64-true":
        return DoublePrecision()
    if flag.startswith("transformer-engine"):
        raise ModuleNotFoundError(f"precision={flag!r} needs NVIDIA's Transformer Engine, which "
                                  "ember_lightning does not support")
    if flag == "16-mixed" and device_type == "cpu":
        warnings.warn("You passed `Trainer(accelerator='cpu', precision='16-mixed')` but AMP with "
                      "fp16 is not supported on CPU. Using `precision='bf16-mixed'` instead.",
                      stacklevel=3)
        flag = "bf16-mixed"
    return MixedPrecision(flag, device_type)


def _convert_floats(data: Any, dtype) -> Any:
    """data with every floating-point tensor in it (nested lists, tuples, dicts) cast to dtype."""
    if isinstance(data, ember.Tensor):
        return data.to(dtype) if data.is_floating_point() else data
    if isinstance(data, dict):
        return type(data)((k, _convert_floats(v, dtype)) for k, v in data.items())
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple
        return type(data)(*(_convert_floats(v, dtype) for v in data))
    if isinstance(data, (list, tuple)):
        return type(data)(_convert_floats(v, dtype) for v in data)
    return data


@contextmanager
def _default_dtype(dtype) -> Iterator[None]:
    previous = ember.get_default_dtype()
    ember.set_default_dtype(dtype)
    try:
        yield
    finally:
        ember.set_default_dtype(previous)


class Precision:
    """32-bit training ("32-true"), and the base class of the other precision plugins."""

    precision: str = "32-true"

    def convert_module(self, module: Any) -> Any:
        """The module in this plugin's parameter dtype (unchanged in 32-bit)."""
        return module

    def convert_input(self, data: Any) -> Any:
        """A batch in this plugin's input dtype (unchanged in 32-bit)."""
        return data

    def module_init_context(self):
        """Where ``configure_model`` runs: new tensors get this plugin's dtype."""
        return self.tensor_init_context()

    def tensor_init_context(self):
        return nullcontext()

    def forward_context(self):
        """Wraps every ``training_step``/``validation_step``/``test_step``/``predict_step``."""
        return nullcontext()

    def pre_backward(self, tensor: Any) -> Any:
        """The tensor backward runs on (the scaled loss with a GradScaler)."""
        return tensor

    def optimizer_step(self, optimizer: Any, model: Any, closure: Callable[[], Any],
                       after_closure: Callable[[], None], **kwargs: Any) -> Any:
        """Steps optimizer; closure (training_step + backward) runs first, then after_closure
        (the ``on_before_optimizer_step`` hooks and gradient clipping)."""
        def wrapped():
            result = closure()
            after_closure()
            return result
        return optimizer.step(closure=wrapped, **kwargs)

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores what ``state_dict`` returned (nothing for a stateless plugin)."""

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Called when the Trainer writes a checkpoint; may add to it."""

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Called when the Trainer restores training state from a checkpoint."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(precision={self.precision!r})"


class MixedPrecision(Precision):
    """Autocast in float16 ("16-mixed", with a GradScaler) or bfloat16 ("bf16-mixed").

    Example:
        >>> plugin = MixedPrecision("16-mixed", device="cpu")
        >>> plugin.scaler.get_scale()
        65536.0
    """

    def __init__(self, precision: str, device: str, scaler: Any = None) -> None:
        if precision not in ("16-mixed", "bf16-mixed"):
            raise ValueError(f"`Passed `{type(self).__name__}(precision={precision!r})`. "
                             "Precision must be '16-mixed' or 'bf16-mixed'.")
        self.precision = precision
        if scaler is None and precision == "16-mixed":
            scaler = ember.amp.GradScaler(device=device)
        if scaler is not None and precision == "bf16-mixed":
            raise MisconfigurationException(f"`precision='bf16-mixed'` does not use a scaler, "
                                            f"found {scaler}.")
        self.device = device
        self.scaler = scaler

    def forward_context(self):
        dtype = ember.bfloat16 if self.precision == "bf16-mixed" else ember.float16
        return ember.autocast(self.device, dtype=dtype, cache_enabled=False)

    def pre_backward(self, tensor: Any) -> Any:
        return self.scaler.scale(tensor) if self.scaler is not None else tensor

    def optimizer_step(self, optimizer: Any, model: Any, closure: Callable[[], Any],
                       after_closure: Callable[[], None], **kwargs: Any) -> Any:
        """As Lightning's: run the closure, unscale the gradients (so that the hooks and
        clipping see true values), then let the scaler step (skipped on inf/NaN) and update.
        An automatic step whose training_step returned None steps nothing."""
        if self.scaler is None:
            return super().optimizer_step(optimizer, model, closure, after_closure, **kwargs)
        if isinstance(optimizer, ember.optim.LBFGS):
            raise MisconfigurationException("AMP and the LBFGS optimizer are not compatible.")
        result = closure()
        skip = result is None and model.automatic_optimization
        if not skip:
            self.scaler.unscale_(optimizer)
        after_closure()
        if skip:
            return result
        out = self.scaler.step(optimizer, **kwargs)
        self.scaler.update()
        return out

    def state_dict(self) -> dict[str, Any]:
        return self.scaler.state_dict() if self.scaler is not None else {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if self.scaler is not None:
            self.scaler.load_state_dict(state_dict)


class DoublePrecision(Precision):
    """64-bit training ("64-true"): float64 parameters and floating-point inputs."""

    precision = "64-true"

    def convert_module(self, module: Any) -> Any:
        return module.double()

    def convert_input(self, data: Any) -> Any:
        return _convert_floats(data, ember.float64)

    def tensor_init_context(self):
        return _default_dtype(ember.float64)

    def forward_context(self):
        return _default_dtype(ember.float64)


class HalfPrecision(Precision):
    """Parameters and inputs in float16 ("16-true") or bfloat16 ("bf16-true"), no autocast."""

    precision = "16-true"

    def __init__(self, precision: str = "16-true") -> None:
        self.precision = precision
        self._dtype = ember.bfloat16 if precision == "bf16-true" else ember.float16

    def convert_module(self, module: Any) -> Any:
        return module.to(dtype=self._dtype)

    def convert_input(self, data: Any) -> Any:
        return _convert_floats(data, self._dtype)

    def tensor_init_context(self):
        return _default_dtype(self._dtype)

    def forward_context(self):
        return _default_dtype(self._dtype)
