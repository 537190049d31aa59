"""Reports on ember's GPU memory (CuPy's pool): the summary table, the snapshot, nested
statistics, the accumulated counters and this process's use.

CuPy keeps no per-block history, so the snapshot has one summary record per device
instead of torch's segments and blocks, and the only accumulated counters are those
ember's allocator keeps itself: failed allocations (``num_ooms``) and the retries after
releasing memory held for other streams (``num_alloc_retries``).

Example:
    >>> x = ember.ones(1024, device="cuda")
    >>> print(ember.cuda.memory_summary())   # current and peak allocated, reserved bytes
"""

from __future__ import annotations

import os

_ACCUMULATED = ("num_alloc_retries", "num_ooms")
_counters: dict = {}  # device index -> {counter name: count}


def count(device_index: int, name: str) -> None:
    """Adds one to an accumulated counter of the device (ember's allocator calls this)."""
    per_device = _counters.setdefault(device_index, dict.fromkeys(_ACCUMULATED, 0))
    per_device[name] += 1


def accumulated(device_index: int) -> dict:
    return dict(_counters.get(device_index, dict.fromkeys(_ACCUMULATED, 0)))


def reset_accumulated_memory_stats(device=None) -> None:
    """Zeroes the device's accumulated counters (num_ooms, num_alloc_retries).

    Example:
        >>> ember.cuda.reset_accumulated_memory_stats()
        >>> ember.cuda.memory_stats()["num_ooms"]
        0
    """
    from . import _index
    _counters.pop(_index(device), None)


def memory_stats_as_nested_dict(device=None) -> dict:
    """``memory_stats`` with its dotted keys split into nested dicts:
    ``stats["allocated_bytes"]["all"]["current"]``.

    Example:
        >>> ember.cuda.memory_stats_as_nested_dict()["reserved_bytes"]["all"]["current"]
        0
    """
    from . import memory_stats
    nested: dict = {}
    for key, value in memory_stats(device).items():
        *parents, leaf = key.split(".")
        level = nested
        for part in parents:
            level = level.setdefault(part, {})
        level[leaf] = value
    return nested


def _readable(nbytes: int) -> str:
    for unit, scale in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.2f} {unit}"
    return f"{nbytes} B"


def memory_summary(device=None, abbreviated: bool = False) -> str:
    """A table of the device's memory statistics (``memory_stats``): bytes held by tensors
    now and at their peak, bytes the pool reserves, and the accumulated counters. The
    table is short either way, so ``abbreviated`` changes nothing.

    Example:
        >>> print(ember.cuda.memory_summary())
    """
    from . import _index, memory_stats
    stats = memory_stats(device)
    rows = [("Allocated memory (current)", _readable(stats["allocated_bytes.all.current"]),
             stats["allocated_bytes.all.current"]),
            ("Allocated memory (peak)", _readable(stats["allocated_bytes.all.peak"]),
             stats["allocated_bytes.all.peak"]),
            ("Reserved memory (current)", _readable(stats["reserved_bytes.all.current"]),
             stats["reserved_bytes.all.current"]),
            ("Allocation retries", str(stats["num_alloc_retries"]), None),
            ("Out-of-memory errors", str(stats["num_ooms"]), None)]
    width = max(len(name) for name, _, _ in rows)
    rule = "=" * (width + 32)
    lines = [rule, f"ember CUDA memory summary, device {_index(device)} (CuPy's memory pool)",
             rule]
    for name, shown, nbytes in rows:
        exact = f" ({nbytes} bytes)" if nbytes is not None else ""
        lines.append(f"{name:<{width}} | {shown}{exact}")
    lines.append(rule)
    return "\n".join(lines) + "\n"


def memory_snapshot() -> list:
    """One record per device where the pool holds memory: ``device``, ``total_size``
    (reserved bytes), ``allocated_size`` (held by tensors) and ``free_size`` (cached for
    reuse). torch lists each segment and block; CuPy's pool does not expose those.

    Example:
        >>> ember.cuda.memory_snapshot()[0]["allocated_size"] >= 0
        True
    """
    from . import device_count, memory_allocated, memory_reserved
    records = []
    for idx in range(device_count()):
        reserved = memory_reserved(idx)
        if reserved:
            allocated = memory_allocated(idx)
            records.append({"device": idx, "total_size": reserved,
                            "allocated_size": allocated, "free_size": reserved - allocated})
    return records


def list_gpu_processes(device=None) -> str:
    """This process's GPU memory on the device, in torch's format. Other processes are not
    listed: that needs NVML, which neither CuPy nor ember reads.

    Example:
        >>> ember.cuda.list_gpu_processes(0).splitlines()[0]
        'GPU:0'
    """
    from . import _index, memory_reserved
    idx = _index(device)
    used_mb = memory_reserved(idx) / 2 ** 20
    return (f"GPU:{idx}\nprocess {os.getpid():>7} uses {used_mb:>8.3f} MB GPU memory "
            f"(other processes are not listed: ember reads no NVML)")
