"""Run the real CLI (python main.py ...) in subprocesses, with an isolated environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "cli test passphrase"


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCPI_ONBOARD")}
    env.update(
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        OCPI_ONBOARD_PASSPHRASE=PASSPHRASE,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def cli(
    home: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or cli_env(home),
        cwd=ROOT,
        input=stdin,
    )


class Background:
    """A CLI process in the background whose first stdout line is awaited (a URL)."""

    def __init__(self, home: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env or cli_env(home),
            cwd=ROOT,
        )

    def first_line(self, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line:
                return line.strip()
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"process ended: {self.proc.stderr.read() if self.proc.stderr else ''}"
                )
        raise AssertionError("no first line in time")

    def stop(self) -> tuple[str, str]:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            out, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        return out, err


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines, f"no stdout; stderr: {result.stderr}"
    return json.loads(lines[-1])
