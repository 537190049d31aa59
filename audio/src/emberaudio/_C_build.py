"""cffi builder for ``emberaudio._C`` (out-of-line API mode).

setuptools runs it through ``cffi_modules`` in ``setup.py``; the cdef is the public header
``csrc/include/emberaudio.h`` read verbatim.
"""

import os

from cffi import FFI

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.normpath(os.path.join(_HERE, "..", ".."))
_CSRC = os.path.join(_ROOT, "csrc")
_SOURCES = ["lfilter.c", "resample.c", "stft.c"]


def _rel(path: str) -> str:
    # setuptools wants source paths relative to the project (setup.py) directory
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path


def _cdef() -> str:
    with open(os.path.join(_CSRC, "include", "emberaudio.h"), encoding="utf-8") as f:
        return f.read()


ffibuilder = FFI()
ffibuilder.cdef(_cdef())
ffibuilder.set_source(
    "emberaudio._C",
    '#include <stdint.h>\n#include "emberaudio.h"\n',
    sources=[_rel(os.path.join(_CSRC, name)) for name in _SOURCES],
    include_dirs=[_rel(os.path.join(_CSRC, "include"))],
    # OpenMP shares long rows (channels, batch items) among threads; GNU C (not ISO c99)
    # lets the x86-64-v3 clones contract a * b + c into one FMA (see csrc/lfilter.c, stft.c)
    extra_compile_args=["-O3", "-std=gnu99", "-fopenmp"],
    extra_link_args=["-fopenmp"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
