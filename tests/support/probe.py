"""Scripts run in a fresh interpreter from the repository's root, and what they report.

What a cold process loads, or does before its first paint, cannot be seen from inside the
test session (its modules are loaded already). A probe script prints one line
`RESULT=<json>`; `run_probe` runs it and hands back that JSON (`probe` and `reported`
when the test reads the rest of its output too). The app's start needs its
own data, config and cache folders and a vault there: `app_env` and `fill_app_vault`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def probe(
    script: str, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `script` with `args` (this environment unless `env`), its output captured. A
    probe that fails shows the end of its stderr."""
    proc = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def reported(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The JSON of the probe's RESULT= line."""
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT="))
    result: dict[str, Any] = json.loads(line[len("RESULT=") :])
    return result


def run_probe(
    script: str, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> dict[str, Any]:
    """`probe`, then what it reported."""
    return reported(probe(script, *args, env=env, timeout=timeout))


def without_passphrase() -> dict[str, str]:
    """This environment without OCPI_ONBOARD_PASSPHRASE: the probe opens the vault with
    the passphrase it is given, nothing else."""
    return {k: v for k, v in os.environ.items() if k != "OCPI_ONBOARD_PASSPHRASE"}


def app_env(tmp_path: Path, passphrase: str) -> dict[str, str]:
    """The app started offscreen, without its splash or a keyring, unlocked from
    OCPI_ONBOARD_PASSPHRASE, with its data, config and cache folders under `tmp_path`."""
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "OCPI_ONBOARD_NO_SPLASH": "1",
        "OCPI_ONBOARD_PASSPHRASE": passphrase,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }


def fill_app_vault(env: Mapping[str, str], passphrase: str, body: str) -> None:
    """Create the app's vault where a start with `env` looks for it and run `body` with it
    open as `vault` (in a fresh interpreter: the default path follows env's folders)."""
    script = (
        "import sys\n"
        "from app.vault import Vault, default_vault_path\n"
        "path = default_vault_path()\n"
        "path.parent.mkdir(parents=True, exist_ok=True)\n"
        "with Vault.open(path, sys.argv[1], use_keyring=False) as vault:\n"
        + textwrap.indent(textwrap.dedent(body), "    ")
    )
    subprocess.run(
        [sys.executable, "-c", script, passphrase],
        cwd=ROOT,
        env=dict(env),
        check=True,
        timeout=120,
    )
