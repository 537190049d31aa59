"""ember's version and the GPU toolkit it runs on, as ``torch.version``.

``cuda`` is the CUDA runtime version of the CuPy that ember's GPU backend uses ("12.4"),
or None where CuPy (or a CUDA build of it) is absent; it is read when first asked for, so
importing ember never imports CuPy. ember has no ROCm, HIP or XPU backend, and its builds
are not stamped with a commit.

Example:
    >>> ember.version.__version__ == ember.__version__
    True
    >>> ember.version.cuda is None or ember.version.cuda.count(".") == 1
    True
"""

from __future__ import annotations

import functools

# cuda comes from __getattr__, which a star import also asks
__all__ = ["__version__", "debug", "cuda", "git_version", "hip", "rocm", "xpu"]  # noqa: F822

__version__ = "0.1.0"
debug = False
git_version = "Unknown"
hip: str | None = None
rocm: str | None = None
xpu: str | None = None


@functools.lru_cache(maxsize=None)
def _cuda_runtime_version() -> str | None:
    try:
        import cupy
        if cupy.cuda.runtime.is_hip:
            return None
        number = cupy.cuda.runtime.runtimeGetVersion()  # 12040 for CUDA 12.4
    except Exception:  # noqa: BLE001 - no CuPy, or no CUDA runtime to ask
        return None
    return f"{number // 1000}.{number % 1000 // 10}"


def __getattr__(name: str) -> str | None:
    if name == "cuda":
        return _cuda_runtime_version()
    raise AttributeError(f"module 'ember.version' has no attribute '{name}'")
