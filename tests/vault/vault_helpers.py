"""Shared helpers for the vault tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import keyring.errors
from keyring.backend import KeyringBackend

from app.vault import PartnerRecord
from tests.conftest import TEST_PASSPHRASE

PASSPHRASE = TEST_PASSPHRASE


class MemoryKeyring(KeyringBackend):
    """A real-looking keyring backend that keeps secrets in a dict (tests only)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


def partner(cc: str = "NL", pid: str = "ABC", **fields: object) -> PartnerRecord:
    return PartnerRecord(None, cc, pid, **fields)  # type: ignore[arg-type]


def file_digests(path: Path) -> dict[str, str]:
    """sha256 of the database and its -wal: the files whose content must not change."""
    digests = {}
    for file in (path, path.with_name(path.name + "-wal")):
        if file.exists():
            digests[file.name] = hashlib.sha256(file.read_bytes()).hexdigest()
    return digests
