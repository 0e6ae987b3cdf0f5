"""Shared fixtures: examples from the spec, isolated user dirs, the one test vault, our
test identity and fast HTTP settings (engine tests) or user settings (GUI tests)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.http import HttpSettings
from app.engine.results import Identity
from app.settings import Settings
from app.vault import Vault

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("OCPI_ONBOARD_PASSPHRASE", None)

EXAMPLES = Path(__file__).resolve().parent / "data" / "ocpi-examples"
TEST_PASSPHRASE = "correct horse battery staple"
# Who we are in the tests, and timeouts short enough that a hung peer fails a test quickly
# but long enough for a loaded machine.
US = Identity("DE", "ONB", ("EMSP",), "Onboard Test GmbH")
FAST = HttpSettings(request_timeout=5.0, write_timeout=10.0, connect_timeout=2.0)


_SESSIONS: list[pytest.Session] = []


def pytest_sessionstart(session: pytest.Session) -> None:
    _SESSIONS.append(session)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """A session that loaded Qt ends with its exit status without finalizing
    (tests/qt_teardown.py says why)."""
    from tests.qt_teardown import leave_with

    if _SESSIONS:
        leave_with(int(_SESSIONS[-1].exitstatus))


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


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    return tmp_path / "vault.db"


@pytest.fixture
def vault(vault_path: Path) -> Iterator[Vault]:
    """A real vault file per test, passphrase slot only (no OS keyring)."""
    with Vault.open(vault_path, passphrase=TEST_PASSPHRASE, use_keyring=False) as opened:
        yield opened


@pytest.fixture
def identity() -> Identity:
    return US


@pytest.fixture
def settings() -> Settings:
    """The user's settings a GUI test starts with: our test identity as a CPO (the role the
    wizard's sandbox partners pair with) and fast timeouts."""
    return Settings(
        country_code=US.country_code,
        party_id=US.party_id,
        roles=["CPO"],
        business_name=US.business_name,
        request_timeout=FAST.request_timeout,
        post_timeout=15.0,
    )


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
