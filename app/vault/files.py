"""Where the vault lives on disk and who may touch it: path, permissions, lock.

The vault file, its -wal/-shm companions and its lock are private to the user (0600 in a
0700 directory we create); a umask of 077 is held while SQLite may create files. A second
instance is refused with ``vault.in_use`` through a non-blocking lock on a sidecar
``<file>.lock``, rather than two processes writing one database. The lock file is never
deleted (deleting it would let two processes hold "the" lock on different inodes).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import platformdirs

from app.vault.errors import VaultError

APP_NAME = "ocpi-onboard"
DEFAULT_FILENAME = "vault.db"
SIDE_SUFFIXES = ("-wal", "-shm")


def default_vault_path() -> Path:
    """``<user data dir>/ocpi-onboard/vault.db`` (platformdirs)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / DEFAULT_FILENAME


def resolve_path(path: Path | str | None) -> Path:
    return default_vault_path() if path is None else Path(path).expanduser().absolute()


def side_files(path: Path) -> list[Path]:
    """The database file and the SQLite files beside it (which may not exist)."""
    return [path, *(path.with_name(path.name + s) for s in SIDE_SUFFIXES)]


def has_content(path: Path) -> bool:
    """Whether a file exists and is not empty (an empty file is a vault not yet created)."""
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def ensure_private_dir(directory: Path, *, ours: bool) -> None:
    """Create `directory` (0700) if missing; tighten it to 0700 only if it is `ours`.

    Missing parents are created as ``mkdir -p`` would (the user's umask); only the vault's
    own directory is private. A directory the user chose (their home, a shared folder) is
    never chmod-ed; the app's own data directory is.
    """
    if not directory.exists():
        directory.parent.mkdir(parents=True, exist_ok=True)
        with private_umask():
            directory.mkdir(mode=0o700, exist_ok=True)
        ours = True
    if ours and sys.platform != "win32":
        with contextlib.suppress(OSError):
            os.chmod(directory, 0o700)


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """umask 077 while SQLite may create the database, -wal and -shm files."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


@contextlib.contextmanager
def tidy_on_failure(path: Path) -> Iterator[None]:
    """On an exception, remove the -wal/-shm files that appeared meanwhile (and are empty,
    for the -wal): a refused file is left as it was found.

    Only for use under the vault lock: no other instance can be using those files.
    """
    fresh = [file for file in side_files(path)[1:] if not file.exists()]
    try:
        yield
    except BaseException:
        for file in fresh:
            with contextlib.suppress(OSError):
                if file.name.endswith("-shm") or file.stat().st_size == 0:
                    file.unlink()
        raise


def tighten_file_modes(path: Path) -> None:
    """chmod 0600 the database, -wal, -shm and lock files that exist."""
    if sys.platform == "win32":
        return
    for file in [*side_files(path), lock_path(path)]:
        with contextlib.suppress(OSError):
            if file.exists() and (file.stat().st_mode & 0o777) != 0o600:
                os.chmod(file, 0o600)


class VaultLock:
    """An exclusive, non-blocking lock on ``<file>.lock`` held while a vault is open."""

    def __init__(self, handle: IO[bytes], path: Path) -> None:
        self._handle: IO[bytes] | None = handle
        self.path = path

    @classmethod
    def acquire(cls, vault_path: Path) -> VaultLock:
        """The lock, or VaultError vault.in_use if another instance holds it."""
        path = lock_path(vault_path)
        with private_umask():
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        handle = os.fdopen(fd, "r+b", buffering=0)
        try:
            _lock(handle)
        except OSError as exc:
            handle.close()
            raise VaultError("vault.in_use") from exc
        return cls(handle, path)

    @property
    def held(self) -> bool:
        return self._handle is not None

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(OSError):
                _unlock(handle)
            handle.close()


if sys.platform == "win32":
    import msvcrt

    def _lock(handle: IO[bytes]) -> None:
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
