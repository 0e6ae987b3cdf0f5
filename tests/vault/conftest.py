"""Fixtures for the vault tests: real SQLite files under tmp_path, a pinned keyring.

Every test runs with keyring's fail backend (no OS keyring) and without
OCPI_ONBOARD_PASSPHRASE, unless it installs a `MemoryKeyring` itself, so results do not
depend on the machine's desktop keyring or environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from app.vault import PASSPHRASE_ENV
from tests.vault.vault_helpers import MemoryKeyring


@pytest.fixture(autouse=True)
def pinned_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    """The shared `vault` fixture's file, one level down: these tests make files of their
    own beside it."""
    return tmp_path / "data" / "vault.db"
