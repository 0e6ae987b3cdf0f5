"""The few sqlite-utils `Database` members the vault uses, over a plain sqlite3 connection.

sqlite-utils is a fine library, but importing it pulls click, dateutil, pluggy and its
recipes (~60-100 ms before the first byte of a CLI command, and ~10 MiB in the package),
while the vault calls only ``execute``, ``executemany``, ``atomic``, ``conn``, ``enable_wal``,
``table_exists`` and ``close``. `SqliteDatabase` keeps their exact semantics (a write
outside a transaction commits at once; nested ``atomic()`` blocks are savepoints; a failed
statement never leaves an implicit transaction open), so `PgDatabase` and this class stay
interchangeable behind the vault.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = ["SqliteDatabase"]

_CONTROL = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"})


def _first_keyword(sql: str) -> str:
    text = sql.lstrip()
    while text.startswith("--") or text.startswith("/*"):
        if text.startswith("--"):
            text = text.split("\n", 1)[1].lstrip() if "\n" in text else ""
        else:
            text = text.split("*/", 1)[1].lstrip() if "*/" in text else ""
    return text.split(None, 1)[0].upper().rstrip(";") if text else ""


class SqliteDatabase:
    """A sqlite3 connection behind the sqlite-utils surface the vault relies on."""

    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._depth = 0  # open savepoints (nested `atomic` blocks)
        # PRAGMA synchronous = NORMAL in effect (the vault opens its connection FULL). Set
        # only when it changes: a handshake's seven commits switch level twice, not 14 times
        self.relaxed = False

    def synchronous(self, durable: bool) -> None:
        """The level the next commit runs at: FULL (fsync at commit) when `durable`, else
        NORMAL (a killed process keeps the commit; a power cut may lose it). Outside a
        transaction only (SQLite applies it at the next commit)."""
        if self.relaxed == durable:  # relaxed and durable wanted, or full and relaxed wanted
            self.conn.execute(
                "PRAGMA synchronous = FULL" if durable else "PRAGMA synchronous = NORMAL"
            )
            self.relaxed = not durable

    def execute(
        self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None
    ) -> sqlite3.Cursor:
        """Run one statement; a write outside a transaction is committed at once."""
        conn = self.conn
        was_in_transaction = conn.in_transaction
        if self.relaxed and not was_in_transaction:
            self.synchronous(True)  # a write outside a transaction commits durably, as ever
        try:
            cursor = conn.execute(sql) if parameters is None else conn.execute(sql, parameters)
        except Exception:
            if not was_in_transaction and conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if (
            not was_in_transaction
            and conn.in_transaction
            and cursor.description is None
            and _first_keyword(sql) not in _CONTROL
        ):
            conn.execute("COMMIT")
        return cursor

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One write statement for many parameter rows (prepared once, stepped in C), in
        one transaction: the open one, else its own."""
        if self.conn.in_transaction:
            self.conn.executemany(sql, rows)
            return
        with self.atomic():
            self.conn.executemany(sql, rows)

    @contextlib.contextmanager
    def atomic(self, durable: bool = True) -> Iterator[SqliteDatabase]:
        """A transaction; nested blocks are savepoints. `durable` (outermost only): see
        `synchronous`."""
        conn = self.conn
        if conn.in_transaction:
            # named by depth, not at random: the same few statements each time, so they stay
            # in sqlite3's statement cache (random names evicted every cached statement)
            self._depth += 1
            savepoint = f"vault_sp{self._depth}"
            try:
                conn.execute(f"SAVEPOINT {savepoint}")
                try:
                    yield self
                except BaseException:
                    if conn.in_transaction:  # a RAISE(ROLLBACK) may have ended it already
                        conn.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
                        conn.execute(f"RELEASE SAVEPOINT {savepoint}")
                    raise
                else:
                    conn.execute(f"RELEASE SAVEPOINT {savepoint}")
            finally:
                self._depth -= 1
            return
        self.synchronous(durable)
        conn.execute("BEGIN")
        try:
            yield self
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            try:
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def enable_wal(self) -> None:
        """journal_mode=wal (outside any transaction, as SQLite requires)."""
        if self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            level = self.conn.isolation_level
            self.conn.isolation_level = None
            try:
                self.conn.execute("PRAGMA journal_mode=wal")
            finally:
                self.conn.isolation_level = level

    def table_exists(self, table: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        return row is not None

    def close(self) -> None:
        self.conn.close()
