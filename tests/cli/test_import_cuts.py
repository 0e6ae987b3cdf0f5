"""Guards for the start-up import cuts (issue 13): each command loads only what it needs.

Not timed: every test runs a real command (or import) in a fresh interpreter and asserts
which heavy modules it left out of sys.modules. Speed itself is measured on demand by
benchmarks/cli_process.py and benchmarks/startup.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app.vault import Vault

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "import cuts passphrase"

PROBE = """
import json, sys
sys.argv = ["ocpi-onboard", *json.loads(sys.argv[1])]
{body}
print("MODULES=" + json.dumps(sorted(sys.modules)))
"""


def _modules(
    body: str, args: list[str] | None = None, env: dict[str, str] | None = None
) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(body=body), json.dumps(args or [])],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("MODULES="))
    return set(json.loads(line[len("MODULES=") :]))


def _loaded(modules: set[str], *names: str) -> list[str]:
    return [
        name for name in names if name in modules or any(m.startswith(name + ".") for m in modules)
    ]


def test_cli_parser_loads_no_http_no_models_no_qt() -> None:
    modules = _modules("import app.cli; app.cli.build_parser()")
    assert (
        _loaded(modules, "aiohttp", "httpx", "pydantic", "sqlite_utils", "keyring", "PySide6") == []
    )


def test_peers_list_needs_no_http_stack(tmp_path: Path) -> None:
    """A real `peers list --json` over a real vault: no HTTP client or server, no models."""
    vault = tmp_path / "vault.db"
    env = {"OCPI_ONBOARD_PASSPHRASE": PASSPHRASE}
    body = "from app.cli import main\ncode = main(sys.argv[1:])\nassert code == 0, code\n"
    Vault.open(vault, PASSPHRASE, use_keyring=False).close()
    modules = _modules(body, ["peers", "list", "--json", "--vault", str(vault)], env)
    assert "app.vault.store" in modules  # it did open the vault
    assert _loaded(modules, "aiohttp", "httpx", "pydantic", "sqlite_utils", "keyring") == []
    # ... nor an event loop (its handler never awaits: app.cli.LOOPLESS), nor the team vault
    assert _loaded(modules, "asyncio", "ssl", "app.vault.team", "psycopg") == []


def test_calling_out_never_imports_the_server_side() -> None:
    """The engine and `check` load aiohttp's server only when an endpoint is started."""
    modules = _modules("import app.engine.engine, app.engine.drift_check, app.cli.check_cmd")
    assert _loaded(modules, "aiohttp", "app.callback.server", "app.sandbox") == []


def test_vault_loads_without_sqlite_utils_or_keyring() -> None:
    modules = _modules("import app.vault")
    assert _loaded(modules, "sqlite_utils", "keyring", "httpx", "pydantic") == []


def test_models_are_built_on_first_use() -> None:
    modules = _modules(
        "from app.core import models\n"
        "assert not models.Credentials.__pydantic_complete__\n"
        "models.parse_versions([{'version': '2.2.1', 'url': 'https://x.example/2.2.1'}])\n"
        "assert models.Version.__pydantic_complete__\n"
        "assert not models.Credentials.__pydantic_complete__\n"
    )
    assert "app.core.models" in modules
