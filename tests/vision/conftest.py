"""Shared fixtures for ember-vision tests."""

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "vision"


@pytest.fixture
def shared_vision():
    """The folder of real vision files; skips the test when it is absent."""
    if not DATA.is_dir():
        pytest.skip("../shared/data/vision is not available")
    return DATA
