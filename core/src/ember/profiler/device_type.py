"""The kinds of device a profiler event can belong to, with torch.profiler.DeviceType's
names and values (ember itself produces only CPU and CUDA events).

Example:
    >>> ember.profiler.DeviceType.CUDA.value
    1
"""

from enum import IntEnum


class DeviceType(IntEnum):
    CPU = 0
    CUDA = 1
    MKLDNN = 2
    OPENGL = 3
    OPENCL = 4
    IDEEP = 5
    HIP = 6
    FPGA = 7
    MAIA = 8
    XLA = 9
    Vulkan = 10
    Metal = 11
    XPU = 12
    MPS = 13
    MTIA = 19
    Meta = 14
    HPU = 15
    VE = 16
    Lazy = 17
    IPU = 18
    PrivateUse1 = 20
