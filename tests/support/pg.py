"""A throwaway PostgreSQL cluster for the team-vault tests: initdb + pg_ctl on a temp dir.

Debian's `postgresql` package (installed by scripts/setup.sh) provides the binaries under
/usr/lib/postgresql/<version>/bin. The server listens on a unix socket in its own data dir
only (no TCP). PostgreSQL refuses to run as root, so under root the cluster belongs to
`nobody` (runuser); as any other user it is simply ours. Each test gets a fresh database.
When the binaries are missing the tests say so and skip, except under CI (env `CI` set),
where they fail: CI must not skip the team vault.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

RUN_AS = "nobody"
MISSING = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's `postgresql`"
    " package (bash scripts/setup.sh does)"
)


def bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin with initdb and pg_ctl, else one on PATH."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0,
    )
    for directory in reversed(candidates):
        if (Path(directory) / "initdb").exists() and (Path(directory) / "pg_ctl").exists():
            return Path(directory)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def unavailable(reason: str) -> None:
    """Skip with `reason`, or fail under CI (where the team vault must be tested)."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: team-vault tests may not be skipped)")
    pytest.skip(reason)


class PgCluster:
    """One running cluster; `database()` makes a fresh database and returns its URL."""

    def __init__(self, binaries: Path) -> None:
        self.bin = binaries
        self.root = Path(tempfile.mkdtemp(prefix="ocpi-pg-"))
        self.data = self.root / "data"
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", RUN_AS, "--", *command]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=self.root, check=False
        )

    def start(self) -> None:
        if self.as_root:
            os.chown(self.root, *_ids(RUN_AS))
        done = self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip()[-400:]}")
        options = f"-k {self.data} -c listen_addresses='' -c fsync=off -c max_connections=60"
        done = self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )
        if done.returncode != 0:
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {done.stderr.strip()} {log[-400:]}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql:///{database}?host={self.data}&user=postgres"

    def database(self) -> str:
        """A new, empty database: its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}".encode())
        return self.url(name)

    def dump(self, url: str) -> str:
        """`pg_dump` of a database (plain SQL text), as a person with the server would."""
        name = url.split("?")[0].rsplit("/", 1)[1]
        done = subprocess.run(
            [str(self.bin / "pg_dump"), "-h", str(self.data), "-U", "postgres", name],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


def _ids(user: str) -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid
