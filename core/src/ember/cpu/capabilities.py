"""What this CPU offers, as torch.cpu.get_capabilities reports it: the instruction-set
extensions by torch's names, core and socket counts, cache sizes, the architecture and the
model name. Read from Linux's /proc/cpuinfo and /sys; elsewhere only the architecture and
the logical core count are known.

Example:
    >>> caps = ember.cpu.get_capabilities()
    >>> caps["architecture"], caps["avx2"]
    ('x86_64', True)
"""

from __future__ import annotations

import os
import platform

# torch's key -> the flag Linux lists in /proc/cpuinfo (same name where absent)
_X86_FLAGS = {
    "sse3": "pni", "fma3": "fma", "lzcnt": "abm", "bmi": "bmi1", "sha": "sha_ni",
    "avx512_f": "avx512f", "avx512_cd": "avx512cd", "avx512_dq": "avx512dq",
    "avx512_bw": "avx512bw", "avx512_vl": "avx512vl", "avx512_ifma": "avx512ifma",
    "avx512_vbmi": "avx512vbmi", "avx512_4vnniw": "avx512_4vnniw",
    "avx512_4fmaps": "avx512_4fmaps",
}
_X86_KEYS = ("sse", "sse2", "sse3", "ssse3", "sse4_1", "sse4_2", "sse4a", "avx", "avx2",
             "fma3", "fma4", "f16c", "popcnt", "lzcnt", "bmi", "bmi2", "aes", "sha", "clflush",
             "clflushopt", "clwb", "avx512_f", "avx512_cd", "avx512_dq", "avx512_bw",
             "avx512_vl", "avx512_ifma", "avx512_vbmi", "avx512_vbmi2", "avx512_vnni",
             "avx512_bitalg", "avx512_vpopcntdq", "avx512_bf16", "avx512_fp16",
             "avx512_4vnniw", "avx512_4fmaps", "avx512_vp2intersect", "avx_vnni",
             "avx_vnni_int8", "avx_vnni_int16", "avx_ne_convert", "amx_bf16", "amx_tile",
             "amx_int8", "amx_fp16", "avx10_1", "avx10_2")


def _cpuinfo() -> list[dict]:
    """One dict per logical processor of /proc/cpuinfo (empty where there is none)."""
    try:
        with open("/proc/cpuinfo") as fh:
            text = fh.read()
    except OSError:
        return []
    blocks = []
    for block in text.strip().split("\n\n"):
        entry = {}
        for line in block.splitlines():
            key, _, value = line.partition(":")
            entry[key.strip()] = value.strip()
        blocks.append(entry)
    return blocks


def _cache_sizes() -> dict:
    """The first core's L1 data and L2 cache sizes in bytes, from /sys."""
    sizes = {}
    root = "/sys/devices/system/cpu/cpu0/cache"
    for index in sorted(os.listdir(root)) if os.path.isdir(root) else ():
        try:
            with open(f"{root}/{index}/level") as lv, open(f"{root}/{index}/type") as ty, \
                    open(f"{root}/{index}/size") as sz:
                level, kind, size = lv.read().strip(), ty.read().strip(), sz.read().strip()
        except OSError:
            continue
        scale = {"K": 1 << 10, "M": 1 << 20}.get(size[-1:], 1)
        value = int(size.rstrip("KM")) * scale
        if level == "1" and kind == "Data":
            sizes["l1d_cache_size"] = value
        elif level == "2":
            sizes["l2_cache_size"] = value
    return sizes


def get_capabilities() -> dict:
    """The CPU's features by torch's names (see the module docstring).

    Example:
        >>> ember.cpu.get_capabilities()["num_logical_cores"] >= 1
        True
    """
    processors = _cpuinfo()
    caps: dict = {"architecture": platform.machine(),
                  "num_logical_cores": len(processors) or os.cpu_count() or 1}
    if processors:
        first = processors[0]
        caps["cpu_name"] = first.get("model name", first.get("Hardware", ""))
        sockets = {p.get("physical id", "0") for p in processors}
        cores = {(p.get("physical id", "0"), p.get("core id", p.get("processor")))
                 for p in processors}
        caps["num_sockets"], caps["num_physical_cores"] = len(sockets), len(cores)
        flags = set(first.get("flags", "").split())
        if flags:
            caps.update({key: _X86_FLAGS.get(key, key) in flags for key in _X86_KEYS})
    caps.update(_cache_sizes())
    return caps
