import sys
from pathlib import Path

import pytest

import ember

# op_db.py is shared by the core test modules (importlib import mode adds no paths)
sys.path.insert(0, str(Path(__file__).parent))

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


def pytest_collection_modifyitems(config, items):
    # a test marked cpu_only checks CPU memory itself (NumPy sharing, pinned pages...)
    items[:] = [it for it in items if not (it.get_closest_marker("cpu_only") and
                                           getattr(it, "callspec", None) and
                                           it.callspec.params.get("device") == "cuda")]
