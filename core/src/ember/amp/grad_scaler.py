"""GradScaler: loss scaling for float16 training, with torch.amp.GradScaler's API.

Gradients of a scaled loss are scaled too; ``unscale_`` divides them back and records
whether any is inf/NaN, ``step`` skips the optimizer step when one is, and ``update``
backs the scale off after an overflow or grows it after ``growth_interval`` clean steps.
Works with CPU and CUDA tensors alike.
"""

from __future__ import annotations

from collections import defaultdict

from .. import _dtype as D

_READY, _UNSCALED, _STEPPED = 0, 1, 2


def _new_state() -> dict:
    return {"stage": _READY, "found_inf": None}


class GradScaler:
    """Scales the loss, unscales gradients and skips steps that overflowed.

    Example:
        >>> scaler = ember.amp.GradScaler("cuda")
        >>> with ember.autocast("cuda", dtype=ember.float16):
        ...     loss = loss_fn(model(x), y)
        >>> scaler.scale(loss).backward()
        >>> scaler.step(optimizer)      # skipped if a gradient is inf/NaN
        >>> scaler.update()
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True):
        if growth_factor <= 1.0:
            raise ValueError("The growth factor must be > 1.0.")
        if backoff_factor >= 1.0:
            raise ValueError("The backoff factor must be < 1.0.")
        self._device = device
        self._enabled = bool(enabled)
        if self._enabled and device == "cuda":
            from .. import cuda
            if not cuda.is_available():
                import warnings
                warnings.warn("ember.amp.GradScaler is enabled, but CUDA is not available.  "
                              "Disabling.", stacklevel=2)
                self._enabled = False
        self._init_scale = float(init_scale)
        self._scale: float | None = None
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._per_optimizer = defaultdict(_new_state)

    # ---- scaling ------------------------------------------------------------------
    def is_enabled(self) -> bool:
        return self._enabled

    def get_scale(self) -> float:
        """The current scale (1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale

    def scale(self, outputs):
        """outputs (a tensor, or nested lists/tuples of tensors) times the scale."""
        if not self._enabled:
            return outputs
        if self._scale is None:
            self._scale = self._init_scale
        from .._tensor import Tensor
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    # ---- unscale / step ---------------------------------------------------------------
    def unscale_(self, optimizer) -> None:
        """Divides optimizer's gradients by the scale in place; records inf/NaN."""
        if not self._enabled:
            return
        self._check_scale_initialized("unscale_")
        st = self._per_optimizer[id(optimizer)]
        if st["stage"] is _UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        if st["stage"] is _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        from ..autograd.grad_mode import no_grad
        from ..ops.join import stack
        inv = 1.0 / self._scale
        finite = []
        with no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        continue
                    if g._dtype is D.float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    g.mul_(inv)
                    finite.append(g.isfinite().all())
            # one flag per gradient, read back once (a single device sync on the GPU)
            st["found_inf"] = bool(finite) and not bool(stack(finite).all().item())
        st["stage"] = _UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """optimizer.step(...) unless the unscaled gradients hold inf/NaN."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is "
                               "enabled.")
        self._check_scale_initialized("step")
        st = self._per_optimizer[id(optimizer)]
        if st["stage"] is _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if st["stage"] is _READY:
            self.unscale_(optimizer)
        retval = None
        if not st["found_inf"]:
            retval = optimizer.step(*args, **kwargs)
        st["stage"] = _STEPPED
        return retval

    def update(self, new_scale=None) -> None:
        """Backs off after an overflow, grows after growth_interval clean steps."""
        if not self._enabled:
            return
        self._check_scale_initialized("update")
        if new_scale is not None:
            self._scale = float(new_scale.item() if hasattr(new_scale, "item") else new_scale)
        else:
            found = [s["found_inf"] for s in self._per_optimizer.values()
                     if s["found_inf"] is not None]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(found):
                self._scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    self._scale *= self._growth_factor
                    self._growth_tracker = 0
        self._per_optimizer = defaultdict(_new_state)

    def _check_scale_initialized(self, name: str) -> None:
        if self._scale is None:
            raise RuntimeError(f"Attempted {name} but _scale is None.  This may indicate your "
                               "script did not use scaler.scale(loss or outputs) earlier in the "
                               "iteration.")

    # ---- configuration and state ----------------------------------------------------------
    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = int(new_interval)

    def state_dict(self) -> dict:
        """torch's keys: scale, growth_factor, backoff_factor, growth_interval, _growth_tracker."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = float(state_dict["scale"])
        if self._scale is not None:
            self._scale = self._init_scale
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
