"""ember.version: the version ember reports, the CUDA version read lazily from CuPy, and
the fields ember has no backend or build stamp for."""

import importlib.util
import subprocess
import sys

import ember


def test_version_module_holds_embers_version():
    assert ember.version.__version__ == ember.__version__ == "0.1.0"
    assert ember.version.debug is False
    assert ember.version.git_version == "Unknown"
    assert (ember.version.hip, ember.version.rocm, ember.version.xpu) == (None, None, None)
    assert set(ember.version.__all__) == {"__version__", "debug", "cuda", "git_version", "hip",
                                          "rocm", "xpu"}


def test_cuda_version_comes_from_cupy_when_present():
    cuda = ember.version.cuda
    if importlib.util.find_spec("cupy") is None:
        assert cuda is None
        return
    import cupy
    number = cupy.cuda.runtime.runtimeGetVersion()
    assert cuda == f"{number // 1000}.{number % 1000 // 10}"


def test_importing_ember_does_not_import_cupy_for_the_version():
    code = ("import sys, ember; assert ember.version.__version__; "
            "print('cupy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_star_import_gives_every_field():
    namespace: dict = {}
    exec("from ember.version import *", namespace)
    assert namespace["__version__"] == ember.__version__
    assert namespace["cuda"] == ember.version.cuda
