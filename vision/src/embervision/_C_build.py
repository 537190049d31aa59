"""cffi builder for ``embervision._C`` (out-of-line API mode).

setuptools runs it through ``cffi_modules`` in ``setup.py``; the cdef is the public header
``csrc/include/embervision.h`` read verbatim.
"""

import os

from cffi import FFI

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.normpath(os.path.join(_HERE, "..", ".."))
_CSRC = os.path.join(_ROOT, "csrc")
_SOURCES = ["nms.c", "roi_align.c", "convert.c"]


def _rel(path: str) -> str:
    # setuptools wants source paths relative to the project (setup.py) directory
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path


def _cdef() -> str:
    with open(os.path.join(_CSRC, "include", "embervision.h"), encoding="utf-8") as f:
        return f.read()


ffibuilder = FFI()
ffibuilder.cdef(_cdef())
ffibuilder.set_source(
    "embervision._C",
    '#include <stdint.h>\n#include "embervision.h"\n',
    sources=[_rel(os.path.join(_CSRC, name)) for name in _SOURCES],
    include_dirs=[_rel(os.path.join(_CSRC, "include"))],
    # no contraction into fused multiply-adds: the IoU must round as torchvision's does
    # OpenMP splits the large images of convert.c over threads
    extra_compile_args=["-O3", "-std=c99", "-ffp-contract=off", "-fopenmp"],
    extra_link_args=["-fopenmp"],
    libraries=["m"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
