"""Whether scaled_dot_product_attention may run under the backend flags in force.

Ember always computes with the math kernel, but a program that turned MATH off expects
torch's answer: the call runs only if a fused kernel it left on would accept the inputs,
and raises RuntimeError otherwise. The fused kernel's conditions are those of torch's CPU
flash kernel (the one a CPU build has); on CUDA the memory-efficient and cuDNN flags are
taken to accept the same inputs.
"""

from __future__ import annotations

from ... import _dtype as D
from ..._tensor import Tensor
from ...backends.cuda import sdp as _sdp

_FUSED_DTYPES = (D.float32, D.float64, D.float16, D.bfloat16)


def _why_fused_cannot_run(query: Tensor, key: Tensor, value: Tensor, dropout_p: float,
                          enable_gqa: bool) -> str | None:
    """The first condition of the fused kernel the inputs fail, or None if they meet all."""
    if dropout_p > 0.0:
        return "the fused kernels do not support non-zero dropout"
    if not query.dim() == key.dim() == value.dim() == 4:
        return ("the fused kernels need 4-dimensional query, key and value, got "
                f"{query.dim()}, {key.dim()} and {value.dim()} dimensions")
    if not query.dtype == key.dtype == value.dtype or query.dtype not in _FUSED_DTYPES:
        return ("the fused kernels need query, key and value of one dtype among float32, "
                f"float64, float16 and bfloat16, got {query.dtype}, {key.dtype} and "
                f"{value.dtype}")
    if not query.shape[0] == key.shape[0] == value.shape[0]:
        return ("the fused kernels need query, key and value of the same batch size "
                "(they do not broadcast), got "
                f"{query.shape[0]}, {key.shape[0]} and {value.shape[0]}")
    q_heads, k_heads, v_heads = query.shape[1], key.shape[1], value.shape[1]
    heads_fit = (k_heads == v_heads and q_heads % k_heads == 0) if enable_gqa else (
        q_heads == k_heads == v_heads)
    if not heads_fit:
        return ("the fused kernels need matching numbers of heads, got "
                f"{q_heads}, {k_heads} and {v_heads}")
    if not query.shape[-1] == key.shape[-1] == value.shape[-1]:
        return ("the fused kernel needs query, key and value of one head size, got "
                f"{query.shape[-1]}, {key.shape[-1]} and {value.shape[-1]}")
    if any(t.stride(-1) != 1 for t in (query, key, value)):
        return "the fused kernels need the last dimension of query, key and value at stride 1"
    return None


def check_a_kernel_can_run(query: Tensor, key: Tensor, value: Tensor, dropout_p: float,
                           enable_gqa: bool) -> None:
    """Raises RuntimeError when no allowed attention kernel would accept the inputs."""
    if _sdp._enabled["math"]:
        return
    fused = ("flash",) if query.device.type == "cpu" else ("flash", "mem_efficient", "cudnn")
    if not any(_sdp._enabled[name] for name in fused):
        reason = "the math kernel and every fused kernel for this device are turned off"
    else:
        reason = _why_fused_cannot_run(query, key, value, dropout_p, enable_gqa)
        if reason is None:
            return
    raise RuntimeError("No viable backend for scaled_dot_product_attention was found: "
                       f"{reason}.")
