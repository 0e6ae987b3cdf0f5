"""The vault key derived while `register`/`check` import their engine (issue 13, item 2).

`register` and `check` spend ~250 ms importing the engine (aiohttp, httpx, pydantic) and
~90 ms in scrypt, one after the other. `start` begins app.vault.key_ahead's derivation for
an existing vault file right after the arguments are parsed; `take` hands the key to
`open_vault`. Anything else (no passphrase in the environment, a new file, the team vault)
leaves the ordinary open to do the work (`open_vault` derives again if the file's params
changed meanwhile).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.vault import DerivedKey
    from app.vault.key_ahead import KeyAhead

_ahead: KeyAhead | None = None


def start(path: Path | str | None) -> None:
    """Begin deriving `path`'s key if its passphrase is in the environment (else nothing)."""
    global _ahead
    from app.vault.key_ahead import start_env_key

    _ahead = start_env_key(path, existing_only=True)


def take(path: Path | str | None) -> DerivedKey | None:
    """The key derived ahead for `path` (waiting for it), once; None if there is none."""
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is None or not ahead.covers(path):
        return None
    try:
        return ahead.future.result()
    except Exception:  # the ordinary open derives again and reports what is wrong
        return None
