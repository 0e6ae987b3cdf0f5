"""The vault's plumbing: the open connection, its lock, one atomic write, reads.

`VaultBase` holds what every part of the `Vault` shares (the connection, the data key's
cipher, the key slots, the audit trail) and the few primitives they build on: `_write`
(one atomic block), `_exec`, `_read`, `transaction`, and the checks that a partner or run
exists. The data key and its cipher are made on first use (`_data_key`, `_cipher`): opening
the vault only checks the key slot, and `cryptography` loads with the first token that is
encrypted, decrypted or looked up (issue 13, memory). The parts themselves live beside it:
`credentials` (tokens), `keyslots` (how the vault unlocks), `backup` (export and import);
`store` assembles them into `Vault`.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from app.vault.errors import VaultError, from_sqlite
from app.vault.files import VaultLock, tighten_file_modes
from app.vault.keys import KeySlot

if TYPE_CHECKING:
    from app.vault.audit import AuditTrail
    from app.vault.crypto import TokenCipher
    from app.vault.sqlitedb import SqliteDatabase as Database

# "NL-ABC", "nl abc", "NL*ABC", "NLABC"; "#12" or "12" is an id.
REF = re.compile(r"([A-Za-z]{2})\s*[-*/:. ]\s*([^\s]{1,16})|([A-Za-z]{2})([A-Za-z0-9]{3})")
ID_REF = re.compile(r"#?\s*(\d{1,18})")
_RUN_ID = re.compile(r"[0-9a-f]{1,32}")


def ref_detail(ref: object) -> str:
    """`ref` as shown in a message, unless it may be something pasted by mistake."""
    text = str(ref).strip()
    if ID_REF.fullmatch(text) or REF.fullmatch(text):
        return text
    return "(unrecognised reference)"


def run_detail(run_id: object) -> str:
    text = str(run_id).strip()
    return text if _RUN_ID.fullmatch(text) else "(unrecognised run id)"


class VaultBase:
    """The shared state and write/read primitives of an open vault (see the module doc)."""

    _path: Path
    _db: Database | None
    _lock: VaultLock
    _key: bytes | None  # the data key, once unwrapped
    _unwrap: Callable[[], bytes] | None  # how to unwrap it, until then
    _token_cipher: TokenCipher | None
    _vault_id: str
    _slots: dict[str, KeySlot]
    _created_now: bool
    audit: AuditTrail

    def close(self) -> None:
        """Close the database and release the lock; safe to call twice."""
        db, self._db = self._db, None
        if db is None:
            return
        try:
            db.close()
        finally:
            self._lock.release()
            self._data_key = b""
            tighten_file_modes(self._path)

    def _key_later(self, data_key: bytes | Callable[[], bytes]) -> None:
        """Hold the data key, or how to unwrap it on first use."""
        if callable(data_key):
            self._key, self._unwrap = None, data_key
        else:
            self._key, self._unwrap = data_key, None
        self._token_cipher = None

    @property
    def _data_key(self) -> bytes:
        """The data key, unwrapped on first use (a corrupt slot raises VaultError here)."""
        key = self._key
        if key is None:
            unwrap = self._unwrap
            key = unwrap() if unwrap is not None else b""
            self._key, self._unwrap = key, None
        return key

    @_data_key.setter
    def _data_key(self, key: bytes) -> None:
        self._key, self._unwrap, self._token_cipher = key, None, None

    @property
    def _cipher(self) -> TokenCipher:
        """The token cipher under the data key, made on first use (loads `cryptography`)."""
        cipher = self._token_cipher
        if cipher is None:
            from app.vault.crypto import TokenCipher

            cipher = self._token_cipher = TokenCipher(self._data_key)
        return cipher

    @_cipher.setter
    def _cipher(self, cipher: TokenCipher) -> None:
        self._token_cipher = cipher

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._db is None else "open"
        return f"Vault({str(self._path)!r}, {state})"

    @property
    def path(self) -> Path:
        return self._path

    @property
    def location(self) -> str:
        """Where the vault lives, for labels: the file, or the team vault's URL (no password)."""
        return str(self._path)

    def watch(self, on_change: Callable[[int | None], None]) -> Callable[[], None]:
        """Colleagues' changes (team vault). A personal vault has no colleagues: no-op."""
        return lambda: None

    @property
    def vault_id(self) -> str:
        return self._vault_id

    @property
    def schema_version(self) -> int:
        row = self._read("SELECT MAX(version) FROM schema_version")
        return int(row[0][0])

    @property
    def closed(self) -> bool:
        return self._db is None

    # --- plumbing ----------------------------------------------------------------------

    @property
    def _database(self) -> Database:
        if self._db is None:
            raise RuntimeError("the vault is closed")
        return self._db

    def _write(self, durable: bool = True) -> contextlib.AbstractContextManager[None]:
        """One atomic write. `durable=False` (outermost only) commits without fsync: safe
        against a killed process (WAL), not against power loss; for run positions and
        transcripts, never for tokens. Each fsync costs 0.3-2 ms here.

        Inside an open SQLite transaction a vault call's write joins it without a savepoint
        (a handshake's commits nest ~30 calls; each savepoint is two more statements): its
        failure propagates, and the outer transaction owns the rollback. Nobody catches a
        vault call's failure inside a transaction and carries on; to do so, wrap the call in
        its own `transaction()`, which stays a savepoint."""
        db = self._database
        if db.dialect == "sqlite" and db.conn.in_transaction:
            return _JOINED  # a plain object, not a generator: ~30 such joins a handshake
        return _own_write(db, durable)

    # `_exec` and `_read` test `_db` themselves (as `_database` does): ~100 calls a handshake

    def _exec(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        db = self._db
        if db is None:
            raise RuntimeError("the vault is closed")
        return db.execute(sql, params)

    def _read(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        db = self._db
        if db is None:
            raise RuntimeError("the vault is closed")
        try:
            return db.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise from_sqlite(exc) from exc

    @contextlib.contextmanager
    def transaction(self, durable: bool = True) -> Iterator[Self]:
        """All vault writes inside commit together or not at all (nests as savepoints:
        an inner block that fails rolls back alone, and the outer one may carry on).

        `durable=False` skips the fsync at commit (see `_write`): for bookkeeping that a
        power cut may lose without losing a token.
        """
        db = self._database
        if not db.conn.in_transaction:
            with self._write(durable):
                yield self
            return
        try:
            with db.atomic():
                yield self
        except sqlite3.Error as exc:
            raise from_sqlite(exc) from exc

    def _refs_checked_first(self) -> bool:
        """Whether a row's partner and run must be checked before writing it. SQLite refuses
        a missing one itself (foreign_keys=ON), so there the check runs only after it did,
        to say which (one SELECT fewer per row: a handshake writes ~10 such rows);
        PostgreSQL checks first (a failed statement aborts its whole transaction)."""
        return self._database.dialect != "sqlite"

    def _require_partner(self, partner_id: int) -> None:
        if not self._read("SELECT 1 FROM partners WHERE id = ?", (partner_id,)):
            raise VaultError("vault.peer_unknown", ref_detail(partner_id))

    def _require_run(self, run_id: str) -> None:
        if not self._read("SELECT 1 FROM runs WHERE id = ?", (run_id,)):
            raise VaultError("vault.run_unknown", run_detail(run_id))


class _Joined:
    """A vault write inside the open SQLite transaction: it joins it; a SQLite failure
    becomes the vault's error, as in an own write (see `VaultBase._write`)."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(exc, sqlite3.Error):
            raise from_sqlite(exc) from exc


_JOINED = _Joined()


@contextlib.contextmanager
def _own_write(db: Database, durable: bool) -> Iterator[None]:
    """A write's own transaction at its durability level (`VaultBase._write`)."""
    try:
        with db.atomic(durable):  # the PRAGMA synchronous level only when it changes
            yield
    except sqlite3.Error as exc:
        raise from_sqlite(exc) from exc
