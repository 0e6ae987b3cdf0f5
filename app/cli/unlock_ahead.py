"""The vault's scrypt in a thread while a command imports its engine (issue 13, item 2).

`register` and `check` spend ~250 ms importing the engine (aiohttp, httpx, pydantic) and
~90 ms in scrypt, one after the other. scrypt releases the GIL, so when the passphrase comes
from OCPI_ONBOARD_PASSPHRASE and the vault file already has a passphrase slot, `start`
derives its key in a daemon thread and `take` hands it to `open_vault`. Anything else (no
passphrase in the environment, a new file, the team vault) leaves the ordinary open to do
the work: a key derived ahead is a head start, never a different answer (`open_vault`
derives again if the file's params changed meanwhile).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.vault import DerivedKey


class _Ahead:
    """One derivation under way for one vault path."""

    def __init__(self, path: Path | str | None, passphrase: str, params: Any) -> None:
        self.path = path
        self.key: DerivedKey | None = None
        self._thread = threading.Thread(
            target=self._derive, args=(passphrase, params), name="unlock-ahead", daemon=True
        )
        self._thread.start()

    def _derive(self, passphrase: str, params: Any) -> None:
        from app.vault import derive_key

        try:
            self.key = derive_key(passphrase, params)
        except Exception:  # the ordinary open derives again and reports what is wrong
            self.key = None

    def result(self) -> DerivedKey | None:
        self._thread.join()
        return self.key


_ahead: _Ahead | None = None


def start(path: Path | str | None) -> None:
    """Begin deriving `path`'s key if its passphrase is in the environment (else nothing)."""
    global _ahead
    from app.vault import Vault, is_database_url
    from app.vault.keys import env_passphrase

    passphrase = env_passphrase()
    if passphrase is None or is_database_url(path):
        return
    try:
        params = Vault.kdf_params(path)  # read in this thread: it sets a private umask
    except Exception:  # unreadable or not a vault: the ordinary open says so
        return
    if params is not None:
        _ahead = _Ahead(path, passphrase, params)


def take(path: Path | str | None) -> DerivedKey | None:
    """The key derived ahead for `path` (waiting for it), once; None if there is none."""
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is None or ahead.path != path:
        return None
    return ahead.result()
