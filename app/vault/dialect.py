"""The one place where the vault's SQLite SQL becomes PostgreSQL SQL.

The vault writes SQL once, in SQLite's dialect (qmark and :named parameters, INTEGER /
BLOB, ``INTEGER PRIMARY KEY`` that fills itself, ``x''``, LIKE that ignores ASCII case,
``LIMIT -1``, an implicit ``rowid``). The migration chain in `schema` and every query in
`store` and its sibling modules run unchanged on PostgreSQL through these rules, so a table
another module adds in a new migration works on the team vault without PG-specific code.

What is translated (outside string literals):
- parameters: ``?`` -> ``%s``, ``:name`` -> ``%(name)s``; a literal ``%`` -> ``%%``
- ``x'ab'`` -> ``'\\xab'::bytea``; ``LIKE`` -> ``ILIKE``; ``LIMIT p`` -> ``LIMIT NULLIF(p, -1)``
- ``INSERT OR IGNORE`` -> ``INSERT ... ON CONFLICT DO NOTHING``; ``IFNULL`` -> ``COALESCE``
- DDL: INTEGER -> BIGINT, BLOB -> BYTEA, REAL -> DOUBLE PRECISION; ``x INTEGER PRIMARY
  KEY [AUTOINCREMENT]`` gets a sequence and a trigger that fills NULL like SQLite does (and
  follows explicit ids); a table without an integer key gets a ``rowid BIGSERIAL`` column,
  SQLite's implicit insertion order; PRAGMAs are dropped.
Not translated: sqlite-utils' table helpers (``db[table].insert``), SQLite functions with no
PG twin (``json_extract``, ``datetime``). Use plain SQL in migrations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LIMIT = re.compile(r"\bLIMIT\s+(%s|%\(\w+\)s)", re.IGNORECASE)
_LIKE = re.compile(r"(?<![A-Za-z_])LIKE\b", re.IGNORECASE)
_IFNULL = re.compile(r"\bIFNULL\s*\(", re.IGNORECASE)
_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_INSERT_TABLE = re.compile(r"^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+\"?(\w+)\"?", re.IGNORECASE)
_CREATE_TABLE = re.compile(
    r"^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?\"?(\w+)\"?\s*\(", re.IGNORECASE
)
_INT_PK = re.compile(r"\b(\w+)\s+INTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b", re.IGNORECASE)
_TYPES = (
    (re.compile(r"\bINTEGER\b", re.IGNORECASE), "BIGINT"),
    (re.compile(r"\bBLOB\b", re.IGNORECASE), "BYTEA"),
    (re.compile(r"\bREAL\b", re.IGNORECASE), "DOUBLE PRECISION"),
    (re.compile(r"\s+COLLATE\s+NOCASE\b", re.IGNORECASE), ""),
    (re.compile(r"\)\s*WITHOUT\s+ROWID\s*$", re.IGNORECASE), ")"),
)
FILL_TRIGGER_PREFIX = "fill_"


@dataclass(frozen=True)
class PgStatement:
    """One translated statement; `table` is the INSERT target (for RETURNING its key)."""

    sql: str
    insert_into: str | None = None


def _split_literals(sql: str) -> list[tuple[bool, str]]:
    """(is_literal, text) pieces; single-quoted strings (with '' escapes) and
    double-quoted identifiers are literals."""
    parts: list[tuple[bool, str]] = []
    i, start, n = 0, 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            if start < i:
                parts.append((False, sql[start:i]))
            j = i + 1
            while j < n:
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            parts.append((True, sql[i : j + 1]))
            i = start = j + 1
            continue
        i += 1
    if start < n:
        parts.append((False, sql[start:]))
    return parts


def _code(text: str, with_params: bool) -> str:
    """Translate a piece of SQL that holds no literal."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "?" and with_params:
            out.append("%s")
        elif ch == ":" and with_params and i + 1 < n and text[i + 1] == ":":
            out.append("::")
            i += 1
        elif ch == ":" and with_params and (m := _IDENT.match(text, i + 1)):
            out.append(f"%({m.group()})s")
            i = m.end() - 1
        elif ch == "%" and with_params:
            out.append("%%")
        else:
            out.append(ch)
        i += 1
    code = "".join(out)
    code = _LIKE.sub("ILIKE", code)
    return _IFNULL.sub("COALESCE(", code)


def _literal(text: str, prev_code: str, with_params: bool) -> tuple[str, str]:
    """(code before, literal) with ``x'..'`` blobs rewritten as bytea literals."""
    if text.startswith("'") and re.search(r"(?<![A-Za-z0-9_])[xX]$", prev_code):
        hex_digits = text[1:-1]
        return prev_code[:-1], f"'\\x{hex_digits}'::bytea"
    if with_params:
        text = text.replace("%", "%%")
    return prev_code, text


def translate(sql: str, with_params: bool = True) -> PgStatement | None:
    """A DML/query statement for psycopg; None for what PostgreSQL has no use for (PRAGMA)."""
    stripped = sql.strip()
    if re.match(r"PRAGMA\b", stripped, re.IGNORECASE):
        return None
    pieces: list[str] = []
    for is_literal, text in _split_literals(stripped):
        if is_literal:
            code = pieces.pop() if pieces else ""
            code, lit = _literal(text, code, with_params)
            pieces += [code, lit]
        else:
            pieces.append(_code(text, with_params))
    out = "".join(pieces)
    out = _LIMIT.sub(r"LIMIT NULLIF(\1, -1)", out)
    if _OR_IGNORE.match(out):
        out = re.sub(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO", "INSERT INTO", out, flags=re.I)
        out += " ON CONFLICT DO NOTHING"
    table = _INSERT_TABLE.match(out)
    return PgStatement(out, table.group(1).lower() if table else None)


def is_ddl(sql: str) -> bool:
    return bool(re.match(r"\s*(CREATE|ALTER|DROP)\b", sql, re.IGNORECASE))


def translate_ddl(sql: str) -> list[str]:
    """PostgreSQL statements for one SQLite DDL statement (a table may need a trigger)."""
    stripped = sql.strip()
    if not stripped or re.match(r"PRAGMA\b", stripped, re.IGNORECASE):
        return []
    code = stripped
    table_match = _CREATE_TABLE.match(code)
    key = _INT_PK.search(code) if table_match else None
    pieces: list[str] = []
    for is_literal, text in _split_literals(code):
        if is_literal:
            code_before = pieces.pop() if pieces else ""
            before, lit = _literal(text, code_before, with_params=False)
            pieces += [before, lit]
            continue
        text = _INT_PK.sub(lambda m: f"{m.group(1)} INTEGER PRIMARY KEY", text)
        for pattern, replacement in _TYPES:
            text = pattern.sub(replacement, text)
        pieces.append(text)
    out = "".join(pieces)
    if table_match is None:
        return [out]
    table = table_match.group(1).lower()
    if key is None:
        close = out.rstrip().rfind(")")
        return [out[:close] + ",\n        rowid BIGSERIAL" + out[close:]]
    return [out, *fill_trigger(table, key.group(1).lower())]


def fill_trigger(table: str, column: str) -> list[str]:
    """A sequence and a BEFORE INSERT trigger: NULL -> next id; an explicit id moves the
    sequence past it (an import keeps its ids and later inserts do not collide)."""
    seq = f"{table}_{column}_fill"
    return [
        f"CREATE SEQUENCE IF NOT EXISTS {seq}",
        f"""CREATE OR REPLACE FUNCTION {seq}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.{column} IS NULL THEN
    NEW.{column} := nextval('{seq}');
  ELSE
    PERFORM setval('{seq}', GREATEST(NEW.{column}, (SELECT last_value FROM {seq})));
  END IF;
  RETURN NEW;
END $$""",
        f"CREATE TRIGGER {FILL_TRIGGER_PREFIX}{column} BEFORE INSERT ON {table}"
        f" FOR EACH ROW EXECUTE FUNCTION {seq}()",
    ]
