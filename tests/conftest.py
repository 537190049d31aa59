"""Shared test configuration: the `device` fixture runs device-parametrized tests on the
CPU always and on CUDA when ember can use a GPU."""

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _devices():
    import ember
    return ["cpu"] + (["cuda"] if ember.cuda.is_available() else [])


@pytest.fixture(params=_devices())
def device(request):
    return request.param


@pytest.fixture
def shared_data():
    if not SHARED_DATA.is_dir():
        pytest.skip("needs ../shared/data (real files provided beside the repository)")
    return SHARED_DATA
