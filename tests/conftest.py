"""Shared fixtures: examples from the spec, canary tokens, vault factories."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("OCPI_ONBOARD_PASSPHRASE", None)

EXAMPLES = Path(__file__).resolve().parent / "data" / "ocpi-examples"
TEST_PASSPHRASE = "correct horse battery staple"


def example(version: str, name: str) -> Any:
    return json.loads((EXAMPLES / version / name).read_text("utf-8"))


@pytest.fixture(autouse=True)
def _isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the real user's data or config dirs, or an OS keyring."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("OCPI_ONBOARD_PASSPHRASE", raising=False)


@pytest.fixture(scope="session")
def pg_cluster() -> Any:
    """A throwaway PostgreSQL cluster for the session (tests/support/pg.py); skips with the
    reason when the server binaries are missing, fails instead under CI."""
    from tests.support.pg import MISSING, PgCluster, bin_dir, unavailable

    binaries = bin_dir()
    if binaries is None:
        unavailable(MISSING)
        return
    cluster = PgCluster(binaries)
    try:
        cluster.start()
    except (RuntimeError, OSError) as exc:
        cluster.stop()
        unavailable(f"could not start a PostgreSQL cluster: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: Any) -> str:
    """The URL of a fresh, empty database on the test cluster."""
    return str(pg_cluster.database())
