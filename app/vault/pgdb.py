"""A PostgreSQL connection that the vault can use where it uses a sqlite-utils Database.

`PgDatabase` offers the few members the vault calls (``execute``, ``atomic``,
``conn.execute``, ``conn.in_transaction``, ``close``) over psycopg 3, translating each
statement with `dialect`; so `store`, `schema` and their siblings need no second copy of
their SQL. Autocommit outside ``atomic()``; nested ``atomic()`` blocks are savepoints, as
in sqlite-utils. Every driver error becomes a `VaultError` whose text names the failure
class only, never a value (a unique-key message would quote the row).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from app.vault.dialect import FILL_TRIGGER_PREFIX, is_ddl, translate, translate_ddl
from app.vault.errors import VaultError

URL_SCHEMES = ("postgresql://", "postgres://")
NOTIFY_CHANNEL = "ocpi_onboard"


def is_database_url(location: object) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL: the team vault."""
    return isinstance(location, str) and location.strip().lower().startswith(URL_SCHEMES)


def redact_url(url: str) -> str:
    """The URL without its password, for labels and messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://(unparsable URL)"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def vault_error(exc: BaseException) -> VaultError:
    """The `VaultError` for a psycopg error: conflicts, lost server, full disk, the rest."""
    import psycopg
    from psycopg import errors as pg

    if isinstance(exc, pg.UniqueViolation | pg.SerializationFailure | pg.DeadlockDetected):
        return VaultError("vault.conflict")
    if isinstance(exc, pg.LockNotAvailable | pg.QueryCanceled):
        return VaultError("vault.conflict")
    if isinstance(exc, pg.DiskFull):
        return VaultError("vault.disk_full", "the database server's disk is full")
    if isinstance(exc, psycopg.OperationalError) and not isinstance(exc, pg.DatabaseError):
        return VaultError("vault.unreachable", "connection lost")
    if isinstance(exc, psycopg.OperationalError):
        return VaultError("vault.unreachable", type(exc).__name__)
    return VaultError("vault.io_error", type(exc).__name__)


class PgCursor:
    """What a statement returns: rows, rowcount and (for an INSERT) the new row's key."""

    def __init__(self, rows: list[Any], rowcount: int, lastrowid: int | None = None) -> None:
        self._rows = rows
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None


class PgDatabase:
    """A psycopg connection behind the sqlite-utils members the vault uses."""

    dialect = "postgresql"

    def __init__(self, conn: Any) -> None:
        self._pg = conn
        self._depth = 0
        self._keys: dict[str, str] | None = None

    @classmethod
    def connect(cls, url: str) -> PgDatabase:
        """Connect (autocommit; transactions come from `atomic`). VaultError vault.unreachable."""
        import psycopg

        try:
            conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            reason = re.sub(r"password[^ ,]*", "password", reason)
            raise VaultError("vault.unreachable", f"{redact_url(url)}: {reason[:160]}") from None
        return cls(conn)

    # --- the sqlite-utils surface ---------------------------------------------------------

    @property
    def conn(self) -> PgDatabase:
        return self

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    @contextlib.contextmanager
    def atomic(self, durable: bool = True) -> Iterator[PgDatabase]:
        """A transaction (nested: a savepoint). `durable` is the SQLite side's commit level;
        a PostgreSQL commit's durability is the server's."""
        import psycopg

        try:
            with self._pg.transaction():
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
        except psycopg.Error as exc:
            raise vault_error(exc) from None

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> PgCursor:
        import psycopg

        try:
            if is_ddl(sql):
                for statement in translate_ddl(sql):
                    self._pg.execute(statement.encode())
                self._keys = None
                return PgCursor([], -1)
            with_params = bool(params)
            stmt = translate(sql, with_params)
            if stmt is None:
                return PgCursor([], -1)
            query = stmt.sql
            key = self._key_of(stmt.insert_into) if stmt.insert_into else None
            if key and "RETURNING" not in query.upper():
                query += f" RETURNING {key}"
            cursor = self._pg.execute(query.encode(), params if with_params else None)
            rows = cursor.fetchall() if cursor.description is not None else []
            lastrowid = None
            if key and rows:
                lastrowid = int(rows[-1][0])
                rows = []
            return PgCursor(rows, cursor.rowcount, lastrowid)
        except psycopg.Error as exc:
            raise vault_error(exc) from None

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """`execute` for each parameter row, in one transaction (the SQLite side's call)."""
        with self.atomic():
            for row in rows:
                self.execute(sql, row)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._pg.close()

    # --- PostgreSQL only ---------------------------------------------------------------------

    def _key_of(self, table: str) -> str | None:
        """The self-filling integer key of `table` (from the dialect's fill triggers)."""
        if self._keys is None:
            cursor = self._pg.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t"
                " JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE c.relnamespace = current_schema()::regnamespace"
                " AND t.tgname LIKE %s",
                (FILL_TRIGGER_PREFIX + "%",),
            )
            self._keys = {
                str(rel): str(name)[len(FILL_TRIGGER_PREFIX) :] for rel, name in cursor.fetchall()
            }
        return self._keys.get(table)

    def table_exists(self, table: str) -> bool:
        row = self._pg.execute("SELECT to_regclass(%s)", (table,)).fetchone()
        return row is not None and row[0] is not None

    def advisory_lock(self, key: int) -> None:
        """A session lock (creation and migration of the schema: one member at a time)."""
        self._pg.execute("SELECT pg_advisory_lock(%s)", (key,))

    def advisory_unlock(self, key: int) -> None:
        with contextlib.suppress(Exception):
            self._pg.execute("SELECT pg_advisory_unlock(%s)", (key,))

    def notify(self, payload: str) -> None:
        """Tell listening colleagues that something changed (sent at commit)."""
        self.execute("SELECT pg_notify(?, ?)", (NOTIFY_CHANNEL, payload))
