"""The vault key from OCPI_ONBOARD_PASSPHRASE, derived on its own thread ahead of the open.

Why (issue 13): scrypt takes ~100 ms and frees the GIL, while the window's modules (GUI)
or the engine's imports (CLI `register`/`check`) take longer. Started first, the key is
ready when the vault is opened. Only a vault file unlocked from the environment takes this
path; without the variable, for a team vault, or when the file's parameters cannot be read,
nothing starts and the ordinary open meets that case as it always did. A key derived ahead
is a head start, never a different answer.

This module loads only what reading the file's scrypt params and deriving need (`kdf`,
`schema`, `keys`, `files`: the standard library's scrypt, no `cryptography`, not the
Vault), so the GUI starts it before Qt loads.
"""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from app.vault.files import default_vault_path, resolve_path
from app.vault.kdf import DerivedKey, derive_key
from app.vault.keys import env_passphrase
from app.vault.pgdb import is_database_url
from app.vault.schema import passphrase_params


def _vault_file(path: Path | str | None) -> Path:
    return Path(path).expanduser() if path is not None else default_vault_path()


@dataclass(frozen=True)
class KeyAhead:
    """A derivation under way for one vault file and one passphrase."""

    path: Path
    passphrase: str
    future: Future[DerivedKey]

    def covers(self, path: Path | str | None) -> bool:
        """Whether this key was started for the vault file `path` names."""
        return not is_database_url(path) and _vault_file(path) == self.path

    def matches(self, path: Path | str | None, passphrase: str) -> bool:
        return self.covers(path) and passphrase == self.passphrase


# OCPI_ONBOARD_KEY_TRACE=1: one stderr line per derivation started, saying who started it
# (the packaged app's tests count them; never the passphrase or the key).
TRACE_ENV = "OCPI_ONBOARD_KEY_TRACE"

# The derivation a launch started before anything else loaded (start_launch_key), waiting
# for run_gui to take it (take_or_start). Held only until then.
_launch: KeyAhead | None = None


def start_launch_key(path: Path | str | None) -> None:
    """Start the GUI launch's key now, for `take_or_start` to hand to the window.

    Why: in the package, PyInstaller's PySide6 runtime hook imports QtCore before main.py
    runs (~200 ms); packaging/rthook_early_key.py runs before it and calls this, so scrypt
    runs alongside Qt's import too (issue 13, target 1).
    """
    global _launch
    _launch = start_env_key(path, origin="launch")


def take_or_start(path: Path | str | None) -> KeyAhead | None:
    """The launch's derivation if it was started for `path` and the environment's current
    passphrase (taken once), else a new one as `start_env_key` starts it."""
    global _launch
    ahead, _launch = _launch, None
    passphrase = env_passphrase()
    if ahead is not None and passphrase and ahead.matches(path, passphrase):
        return ahead
    return start_env_key(path)


def start_env_key(
    path: Path | str | None, *, existing_only: bool = False, origin: str = "open"
) -> KeyAhead | None:
    """Start deriving the key for `path` from the environment's passphrase, if there is one.

    `existing_only`: start nothing for a file without a passphrase slot yet (the CLI lets
    the ordinary open create it). `origin` names the caller in the trace line only.
    Derivation errors reach whoever takes the future.
    """
    passphrase = env_passphrase()
    if not passphrase or is_database_url(path):
        return None
    try:  # here, on this thread: it reads the file under a private umask (process-wide)
        target = _vault_file(path)
        params = passphrase_params(resolve_path(target))
    except Exception:  # the ordinary open meets the same error where it always did
        return None
    if params is None and existing_only:
        return None
    future: Future[DerivedKey] = Future()

    def derive() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(derive_key(passphrase, params))
        except BaseException as exc:  # handed to whoever awaits the key
            future.set_exception(exc)

    if os.environ.get(TRACE_ENV) and sys.stderr is not None:  # None: a windowed exe
        print(f"vault-key: derivation started ({origin})", file=sys.stderr, flush=True)
    threading.Thread(target=derive, name="vault-key", daemon=True).start()
    return KeyAhead(target, passphrase, future)
