"""Engine fixtures: a started engine factory over the shared test vault (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from app.engine import Engine, Identity
from app.vault import Vault
from tests.conftest import FAST, US

__all__ = ["FAST", "US", "started_engine"]


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
