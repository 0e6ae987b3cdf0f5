"""The vault's one exception type and the mapping from SQLite failures to stable codes.

Callers (engine, CLI, GUI) only ever see `VaultError`, an `OnboardingError` whose diagnosis
code is ``vault.*``: a full disk, a damaged file or a second instance each get a message a
person can act on instead of a bare ``sqlite3.OperationalError``. Messages are built from
codes and row ids only, never from token values.
"""

from __future__ import annotations

import sqlite3

from app.core.diagnosis import OnboardingError, diagnose


class VaultError(OnboardingError):
    """A vault failure with a stable ``vault.*`` code in ``.diagnosis.code``."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(diagnose(code, detail))

    @property
    def code(self) -> str:
        return self.diagnosis.code


_FULL = {"SQLITE_FULL"}
_CORRUPT = {"SQLITE_CORRUPT", "SQLITE_NOTADB"}
_BUSY = {"SQLITE_BUSY", "SQLITE_LOCKED"}


def from_sqlite(exc: sqlite3.Error) -> VaultError:
    """The `VaultError` for a SQLite failure (its text names no value, only the failure)."""
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    base = name.split("_", 2)
    primary = "_".join(base[:2]) if len(base) >= 2 else name
    text = str(exc).lower()
    if primary in _FULL or "database or disk is full" in text:
        return VaultError("vault.disk_full", "the disk is full")
    if primary in _CORRUPT or "malformed" in text or "not a database" in text:
        return VaultError("vault.corrupt", str(exc))
    if primary in _BUSY or "database is locked" in text:
        return VaultError("vault.in_use")
    return VaultError("vault.io_error", name or type(exc).__name__)
