"""Fixtures of the hostile matrix: a real vault file per test (tests.engine.conftest)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.vault import Vault
from tests.conftest import TEST_PASSPHRASE


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    return tmp_path / "v.db"


@pytest.fixture
def vault(vault_path: Path) -> Iterator[Vault]:
    with Vault.open(vault_path, passphrase=TEST_PASSPHRASE, use_keyring=False) as v:
        yield v
