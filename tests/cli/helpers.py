"""Run the real CLI (python main.py ...) in subprocesses, with an isolated environment."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable
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
        self._err: list[str] = []
        self._err_changed = threading.Condition()
        self._err_reader: threading.Thread | None = None

    def wait_stderr(self, wanted: Callable[[str], bool], timeout: float = 30) -> str:
        """The first stderr line (so far or to come) for which `wanted` holds; AssertionError
        if none comes within `timeout` (the process may keep running)."""
        if self._err_reader is None:
            self._err_reader = threading.Thread(target=self._read_stderr, daemon=True)
            self._err_reader.start()
        deadline = time.monotonic() + timeout
        with self._err_changed:
            while True:
                found = next((line for line in self._err if wanted(line)), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no such stderr line in {timeout} s: {self._err}")
                self._err_changed.wait(left)

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._err_changed:
                self._err.append(line)
                self._err_changed.notify_all()

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
        if self._err_reader is not None:  # stderr went to wait_stderr's reader
            self._err_reader.join(10)
            with self._err_changed:
                err = "".join(self._err)
        return out, err or ""


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines, f"no stdout; stderr: {result.stderr}"
    return json.loads(lines[-1])


def token_a_file(home: Path, value: str | None = None, name: str | None = None) -> tuple[Path, str]:
    """A TOKEN_A file as a person saves one (a newline at the end): a fresh random token
    unless `value` is given. Returns the file and the token."""
    value = secrets.token_urlsafe(32) if value is None else value
    path = home / (name or f"token-{secrets.token_hex(3)}")
    path.write_text(value + "\n")
    return path, value


def start_sandbox(home: Path, token_file: Path, *args: str) -> Background:
    """`sandbox` on a free loopback port, accepting the TOKEN_A in `token_file`."""
    return Background(home, "sandbox", "--port", "0", "--token-a-file", str(token_file), *args)


def register(
    home: Path,
    vault: str,
    url: str,
    token_file: Path,
    identity: list[str],
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`register --json` into `vault` with the partner at `url` (no assertion made here)."""
    return cli(
        home,
        *("register", "--vault", vault, "--versions-url", url),
        *("--token-a-file", str(token_file), *identity, "--json"),
        env=env,
    )
