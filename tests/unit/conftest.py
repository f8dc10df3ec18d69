"""Fixtures shared by the module tests and the proxy tests."""

import pytest


@pytest.fixture
def plugins_dir(tmp_path):
    """An empty scheduler plugin directory."""
    path = tmp_path / 'plugins'
    path.mkdir()
    return path
