import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import pytest

import ember

# op_db.py is shared by the core test modules (importlib import mode adds no paths)
sys.path.insert(0, str(Path(__file__).parent))



def _emulate_cuda_on_host() -> None:
    """EMBER_TEST_HOST_CUDA=1 without a GPU: the cuda cases run on the host stand-in for
    CuPy (gpu/host_cupy.py), to debug the GPU glue code between runs on a real device."""
    spec = importlib.util.spec_from_file_location("_host_cupy",
                                                  Path(__file__).parent / "gpu" / "host_cupy.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.install(Path(tempfile.mkdtemp(prefix="host_cupy")))


if os.environ.get("EMBER_TEST_HOST_CUDA") and not ember.cuda.is_available():
    _emulate_cuda_on_host()

# cpu always; cuda only where CuPy sees a GPU, so CI lists no GPU skips for every test
DEVICES = ["cpu"] + (["cuda"] if ember.cuda.is_available() else [])


@pytest.fixture(params=DEVICES)
def device(request) -> str:
    """The device a test runs on: parametrizes the core tests over cpu and cuda."""
    return request.param


@pytest.fixture
def on_device(device):
    """Makes ``device`` the default for the test, so a module that opts in with
    ``pytestmark = pytest.mark.usefixtures("on_device")`` runs every test on each device."""
    with ember.device(device):
        yield device


@pytest.fixture(autouse=True)
def _exact_float32_convolutions():
    """Tests compare float32 results closely: TF32 convolutions (on by default, as in
    torch) stay off while they run, as torch's own test suite does."""
    tf32, ember.backends.cudnn.allow_tf32 = ember.backends.cudnn.allow_tf32, False
    yield
    ember.backends.cudnn.allow_tf32 = tf32


def pytest_collection_modifyitems(config, items):
    # a test marked cpu_only checks CPU memory itself (NumPy sharing, pinned pages...)
    items[:] = [it for it in items if not (it.get_closest_marker("cpu_only") and
                                           getattr(it, "callspec", None) and
                                           it.callspec.params.get("device") == "cuda")]
