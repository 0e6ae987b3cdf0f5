"""SqliteDatabase keeps the sqlite-utils semantics the vault was written against."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.vault.sqlitedb import SqliteDatabase


def _db(path: Path) -> SqliteDatabase:
    db = SqliteDatabase(sqlite3.connect(path))
    db.enable_wal()
    db.execute("CREATE TABLE t (v INTEGER UNIQUE)")
    return db


def _values(path: Path) -> list[int]:
    """What another connection sees: only committed rows."""
    with sqlite3.connect(path) as other:
        return [row[0] for row in other.execute("SELECT v FROM t ORDER BY v")]


def test_a_write_outside_a_transaction_is_committed_at_once(tmp_path: Path) -> None:
    db = _db(tmp_path / "a.db")
    db.execute("INSERT INTO t (v) VALUES (?)", (1,))
    assert not db.conn.in_transaction
    assert _values(tmp_path / "a.db") == [1]
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_failed_statement_leaves_no_transaction_open(tmp_path: Path) -> None:
    db = _db(tmp_path / "b.db")
    db.execute("INSERT INTO t (v) VALUES (1)")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO t (v) VALUES (1)")
    assert not db.conn.in_transaction
    db.execute("INSERT INTO t (v) VALUES (2)")
    assert _values(tmp_path / "b.db") == [1, 2]


def test_nested_atomic_blocks_are_savepoints(tmp_path: Path) -> None:
    db = _db(tmp_path / "c.db")
    with db.atomic():
        db.execute("INSERT INTO t (v) VALUES (1)")
        with pytest.raises(sqlite3.IntegrityError), db.atomic():
            db.execute("INSERT INTO t (v) VALUES (2)")
            db.execute("INSERT INTO t (v) VALUES (1)")  # fails: only the inner block goes
        assert _values(tmp_path / "c.db") == []  # nothing committed before the outer end
    assert _values(tmp_path / "c.db") == [1]


def test_an_error_rolls_the_whole_outer_block_back(tmp_path: Path) -> None:
    db = _db(tmp_path / "d.db")
    with pytest.raises(RuntimeError), db.atomic():
        db.execute("INSERT INTO t (v) VALUES (1)")
        raise RuntimeError("stop")
    assert not db.conn.in_transaction
    assert _values(tmp_path / "d.db") == []
    assert db.table_exists("t") and not db.table_exists("nope")
