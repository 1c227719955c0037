"""The CLI tests' shared fixtures: a fresh SQLite database per test, and its small world."""
from __future__ import annotations

import pytest

from tests.e2e import Cli, World, world


@pytest.fixture
def cli(tmp_path) -> Cli:
    return Cli(f"sqlite:///{tmp_path / 'partyflow.db'}")


@pytest.fixture
def w(cli) -> World:
    return world(cli)
