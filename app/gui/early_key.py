"""The vault key from OCPI_ONBOARD_PASSPHRASE, derived while the window's modules load.

Why: scrypt takes ~100 ms. Started only after the GUI's modules (the window, the
controller, qasync) had loaded, the main window waited for it (issue 13). Started as soon
as the splash is up, on its own thread (scrypt frees the GIL), it is ready when the window
is. Only a vault file unlocked from the environment takes this path; the keyring, the
passphrase prompt and the team vault open as before in app.gui.unlock, and a key that does
not open the vault is answered there exactly as a typed wrong passphrase would be.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from app.vault import DerivedKey, Vault, default_vault_path, derive_key, is_database_url
from app.vault.keys import env_passphrase


@dataclass(frozen=True)
class EarlyKey:
    """A derivation under way for one vault file and one passphrase."""

    path: Path
    passphrase: str
    future: Future[DerivedKey]

    def matches(self, path: Path | str | None, passphrase: str) -> bool:
        return isinstance(path, Path) and path == self.path and passphrase == self.passphrase


def start_env_key(path: Path | str | None) -> EarlyKey | None:
    """Start deriving the key for `path` from the environment's passphrase, if there is one.

    None (and nothing started) for a team vault, without the variable, or when the vault's
    parameters cannot be read: the ordinary unlock then meets that case as it always did.
    """
    passphrase = env_passphrase()
    if not passphrase or is_database_url(path):
        return None
    try:  # here, on this thread: it reads the file under a private umask (process-wide)
        target = Path(path).expanduser() if path is not None else default_vault_path()
        params = Vault.kdf_params(target)
    except Exception:  # the ordinary unlock meets the same error where it always did
        return None
    future: Future[DerivedKey] = Future()

    def derive() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(derive_key(passphrase, params))
        except BaseException as exc:  # handed to whoever awaits the key
            future.set_exception(exc)

    threading.Thread(target=derive, name="vault-key", daemon=True).start()
    return EarlyKey(target, passphrase, future)
