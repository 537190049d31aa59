"""cffi builder of ember._C (API mode), run by setuptools when the package installs.

The cdef is read from csrc/include/ember.h, the single list of C entry points.
Set EMBER_NATIVE=1 to compile for the building machine's CPU (-march=native);
the default build runs on any x86-64 and picks AVX2 loops at run time.
"""

import os
import re
import sys
from pathlib import Path

from cffi import FFI

CSRC = Path(__file__).resolve().parents[2] / "csrc"
# the heavy files first, so a parallel build starts them together
SOURCES = ["elementwise_float.c", "elementwise_float_v3.c", "elementwise_int.c",
           "elementwise.c", "reduce.c", "reduce_v3.c", "sort.c", "index.c", "random.c",
           "optim.c", "conv.c", "pool.c", "softmax.c", "loss.c", "norm.c", "fft.c", "linalg.c",
           "eig.c", "gemm.c", "upsample.c", "winograd.c", "rnn.c", "special.c"]


def _cdef_text() -> str:
    """ember.h without the preprocessor lines cffi's parser does not take."""
    text = (CSRC / "include" / "ember.h").read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    kept = [line for line in text.splitlines()
            if not re.match(r"\s*#\s*(ifndef|endif|include|define EMBER_H)", line)]
    return "\n".join(kept)


def _compile_args() -> list[str]:
    args = ["-O3", "-fopenmp", "-fwrapv", "-fno-math-errno", "-std=gnu11"]
    if os.environ.get("EMBER_NATIVE") == "1":
        args.append("-march=native")
    return args


ffibuilder = FFI()
ffibuilder.cdef(_cdef_text())
ffibuilder.set_source(
    "ember._C",
    '#include "include/ember.h"',
    sources=[os.path.relpath(CSRC / name) for name in SOURCES],  # setuptools wants relative paths
    include_dirs=[os.path.relpath(CSRC)],
    extra_compile_args=_compile_args(),
    extra_link_args=["-fopenmp"],
    libraries=["m"],
)

if __name__ == "__main__":
    # Development build in place: python core/src/ember/_C_build.py
    os.chdir(Path(__file__).resolve().parent.parent)
    ffibuilder.compile(verbose="-v" in sys.argv)
