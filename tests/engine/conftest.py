"""Engine fixtures: a real vault file per test, our identity, a started engine factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from app.core.http import HttpSettings
from app.engine import Engine, Identity
from app.vault import Vault
from tests.conftest import TEST_PASSPHRASE

US = Identity("DE", "ONB", ("EMSP",), "Onboard Test GmbH")
FAST = HttpSettings(request_timeout=5.0, write_timeout=10.0, connect_timeout=2.0)


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    return tmp_path / "vault.db"


@pytest.fixture
def vault(vault_path: Path) -> Iterator[Vault]:
    with Vault.open(vault_path, passphrase=TEST_PASSPHRASE, use_keyring=False) as v:
        yield v


@asynccontextmanager
async def started_engine(
    vault: Vault, identity: Identity = US, **kwargs: Any
) -> AsyncIterator[Engine]:
    kwargs.setdefault("http", FAST)
    engine = Engine(vault, identity, **kwargs)
    await engine.start()
    try:
        yield engine
    finally:
        await engine.aclose()
