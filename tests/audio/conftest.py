"""Fixtures for ember-audio tests (helpers live in audioutil.py)."""

import ember
import pytest


@pytest.fixture(autouse=True)
def _seed():
    ember.manual_seed(0)
