"""Runs and their transcripts in the vault: what each operation did, step by step.

A run is written before its first side effect and updated at every step, so a killed
process can resume or clean up (app/engine/recovery.py). Transcript entries arrive already
redacted. `RunsMixin` is one part of `Vault` (see `store`).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from app.vault.base import VaultBase, run_detail
from app.vault.errors import VaultError
from app.vault.records import (
    RUN_COLUMNS,
    RunKind,
    RunOutcome,
    RunRecord,
    dumps,
    json_or_none,
    loads_dict,
    now_iso,
    run_from_row,
)


class RunsMixin(VaultBase):
    """The runs half of the Vault API."""

    def start_run(
        self,
        kind: str,
        partner_id: int | None = None,
        state: str = "new",
        data: dict[str, Any] | None = None,
    ) -> RunRecord:
        """Record a run (outcome running) before its first side effect."""
        kind = RunKind(kind).value
        import uuid  # (and platform): loaded with the first run, not with the vault

        run_id = uuid.uuid4().hex
        now = now_iso()
        data_text = dumps(data or {})
        with self._write():
            if partner_id is not None and self._refs_checked_first():
                self._require_partner(partner_id)
            try:
                self._exec(
                    "INSERT INTO runs (id, kind, partner_id, state, outcome, diagnosis, data,"
                    " created, updated) VALUES (?, ?, ?, ?, 'running', NULL, ?, ?, ?)",
                    (run_id, kind, partner_id, state, data_text, now, now),
                )
            except sqlite3.IntegrityError:
                if partner_id is not None:
                    self._require_partner(partner_id)  # the missing partner refused it
                raise
            # the row as inserted, its data as stored (JSON), without reading it back
            stored = loads_dict(data_text) or {}
            return RunRecord(
                run_id, kind, partner_id, str(state), "running", None, stored, now, now
            )

    def update_run(
        self,
        run_id: str,
        *,
        state: str | None = None,
        outcome: str | None = None,
        diagnosis: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        partner_id: int | None = None,
        current: RunRecord | None = None,
    ) -> RunRecord:
        """Change a run; None leaves a field as is. `data` is merged (shallow) into the
        stored data, so the engine can record progress piece by piece. `current`: the run
        as stored (its kind, partner, outcome, diagnosis, data and creation; used only with
        a new `state`), from a caller that is the run's only writer and holds what it last
        wrote (a registration: one read less per step)."""
        outcome = None if outcome is None else RunOutcome(outcome).value
        with self._write():
            if current is None or current.id != run_id or state is None:
                current = self.run(run_id)
            if partner_id is not None:
                self._require_partner(partner_id)
            merged = current.data if data is None else {**current.data, **data}
            diagnosis_text = (
                dumps(diagnosis) if diagnosis is not None else json_or_none(current.diagnosis)
            )
            data_text = dumps(merged)
            # the record as written, built here rather than read back (a run changes at
            # every step of a handshake: one SELECT less per step)
            updated = RunRecord(
                run_id,
                current.kind,
                current.partner_id if partner_id is None else partner_id,
                current.state if state is None else state,
                outcome or current.outcome,
                current.diagnosis if diagnosis is None else loads_dict(diagnosis_text),
                current.data if data is None else loads_dict(data_text) or {},
                current.created,
                now_iso(),
            )
            # Only the indexed columns that change are set: setting one to its own value
            # still rewrites its index page (runs_partner, runs_outcome) in the WAL
            sets = "state = ?, diagnosis = ?, data = ?, updated = ?"
            params: list[Any] = [updated.state, diagnosis_text, data_text, updated.updated]
            if updated.outcome != current.outcome:
                sets += ", outcome = ?"
                params.append(updated.outcome)
            if updated.partner_id != current.partner_id:
                sets += ", partner_id = ?"
                params.append(updated.partner_id)
            self._exec(f"UPDATE runs SET {sets} WHERE id = ?", (*params, run_id))
            if not current.finished and updated.finished:
                self.audit.run_finished(updated)
            return updated

    def move_run(self, run_id: str, state: str) -> None:
        """Record a run's new position, nothing else: one UPDATE (a handshake moves through
        six positions; `update_run` would read, merge and rewrite the run each time)."""
        with self._write():
            cursor = self._exec(
                "UPDATE runs SET state = ?, updated = ? WHERE id = ?", (state, now_iso(), run_id)
            )
            if cursor.rowcount == 0:
                raise VaultError("vault.run_unknown", run_detail(run_id))

    def run(self, run_id: str) -> RunRecord:
        """A run by id; VaultError vault.run_unknown if there is none."""
        rows = self._read(f"SELECT {RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise VaultError("vault.run_unknown", run_detail(run_id))
        return run_from_row(rows[0])

    def runs(self, partner_id: int | None = None, unfinished_only: bool = False) -> list[RunRecord]:
        """Runs, oldest first; `unfinished_only` keeps those still marked running."""
        clauses, params = [], []
        if partner_id is not None:
            clauses.append("partner_id = ?")
            params.append(partner_id)
        if unfinished_only:
            clauses.append("outcome = 'running'")
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self._read(f"SELECT {RUN_COLUMNS} FROM runs{where} ORDER BY created, rowid", params)
        return [run_from_row(row) for row in rows]

    def append_transcript(self, run_id: str, entry: dict[str, Any]) -> None:
        """Append an (already redacted) entry to a run's transcript.

        TypeError if the entry is not plain JSON (a `Secret` inside is refused that way).
        """
        text = dumps(entry)
        with self._write():
            self._require_run(run_id)
            self._exec(
                "INSERT INTO transcript (run_id, created, entry) VALUES (?, ?, ?)",
                (run_id, now_iso(), text),
            )

    def append_transcripts(
        self, run_id: str, entries: list[dict[str, Any]], *, durable: bool = True
    ) -> None:
        """Append (already redacted) entries in one write: a run's recorder flushes the
        entries of a step together, one statement for all of them. `durable=False`: see
        `transaction` (a run's recorder: a power cut may lose entries, never a token)."""
        if not entries:
            return
        written = now_iso()  # written in one statement: one time for all of them
        rows = [(run_id, written, dumps(entry)) for entry in entries]
        with self._write(durable):
            if self._refs_checked_first():
                self._require_run(run_id)
            try:
                self._database.executemany(
                    "INSERT INTO transcript (run_id, created, entry) VALUES (?, ?, ?)", rows
                )
            except sqlite3.IntegrityError:
                self._require_run(run_id)  # the missing run refused them: say so
                raise

    def transcript(self, run_id: str) -> list[dict[str, Any]]:
        """A run's transcript entries in the order they were appended."""
        rows = self._read("SELECT entry FROM transcript WHERE run_id = ? ORDER BY id", (run_id,))
        return [json.loads(row[0]) for row in rows]

    # --- keys ----------------------------------------------------------------------------
