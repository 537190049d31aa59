"""cffi builder for ``embertext._C`` (out-of-line API mode).

setuptools runs it through ``cffi_modules`` in ``setup.py``. The cdef is the public header
``csrc/include/embertext.h`` read verbatim; the Unicode tables are generated here from
``unicodedata`` (``csrc/tools/gen_unicode.py``) and compiled into the module's own C file,
so nothing generated lives in the source tree.
"""

import importlib.util
import os

from cffi import FFI

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.normpath(os.path.join(_HERE, "..", ".."))
_CSRC = os.path.join(_ROOT, "csrc")
_SOURCES = ["table.c", "unicode.c", "pretokenize.c", "bpe.c", "wordpiece.c"]


def _rel(path: str) -> str:
    # setuptools wants source paths relative to the project (setup.py) directory
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path


def _unicode_tables() -> str:
    spec = importlib.util.spec_from_file_location(
        "_embertext_gen_unicode", os.path.join(_CSRC, "tools", "gen_unicode.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate()


def _cdef() -> str:
    with open(os.path.join(_CSRC, "include", "embertext.h"), encoding="utf-8") as f:
        return f.read()


ffibuilder = FFI()
ffibuilder.cdef(_cdef())
ffibuilder.set_source(
    "embertext._C",
    '#include <stddef.h>\n#include <stdint.h>\n#include "embertext.h"\n' + _unicode_tables(),
    sources=[_rel(os.path.join(_CSRC, name)) for name in _SOURCES],
    include_dirs=[_rel(os.path.join(_CSRC, "include")), _rel(_CSRC)],
    extra_compile_args=["-O3", "-std=c99"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
