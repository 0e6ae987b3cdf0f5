"""`vault migrate --to URL`: copy a personal vault into a team vault, then prove the copy.

Everything moves in one transaction of the target (all or nothing): partners (new ids in
the team vault, which other members may already fill), their runs (same run ids) and
transcripts, every token (decrypted with the source key and encrypted under the team key
with its new row as associated data), the audit trail (appended to the team chain with its
original who/when/what, then one "import" event), and any table another module registered
in `TRANSFER_HOOKS`. Then counts and the fingerprint of every token are compared, source
against target; a mismatch raises before the commit.

A partner whose CC-PID is already live in the team vault is refused (vault.partner_exists):
two members must not bring two registrations of the same partner.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.vault.errors import VaultError
from app.vault.profiles import copy_profiles
from app.vault.records import (
    CREDENTIAL_COLUMNS,
    Direction,
    RunKind,
    RunOutcome,
    TokenState,
    credential_from_row,
    dumps,
)
from app.vault.snapshots import copy_snapshots
from app.vault.store import Vault

# Other modules' tables: hook(source, target, partner_ids old->new) -> rows copied, inside
# the target's transaction; the name is what the report calls it.
TRANSFER_HOOKS: dict[str, Callable[[Vault, Vault, dict[int, int]], int]] = {
    "profiles": copy_profiles,
    "snapshots": copy_snapshots,
}


@dataclass
class TransferReport:
    """What was copied, counted in the source and in the target after the copy."""

    counts: dict[str, int] = field(default_factory=dict)
    fingerprints: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"copied": dict(self.counts), "fingerprints_verified": self.fingerprints}


def migrate_vault(source: Vault, target: Vault) -> TransferReport:
    """Copy `source` into `target` (see the module doc). VaultError vault.partner_exists,
    vault.tampered (a source token fails its check), vault.corrupt (the copy differs)."""
    if source is target or source.vault_id == target.vault_id:
        raise ValueError("a vault cannot be migrated into itself")
    report = TransferReport()
    with target.transaction():
        before_tokens = _count(target, "credentials")
        ids = _partners(source, target)
        runs = _runs(source, target, ids)
        transcript = _transcript(source, target)
        expected = _tokens(source, target, ids)
        audit = _audit(source, target, ids)
        report.counts = {
            "partners": len(ids),
            "runs": runs,
            "transcript": transcript,
            "tokens": len(expected),
            "audit": audit,
        }
        for name, hook in TRANSFER_HOOKS.items():
            report.counts[name] = hook(source, target, ids)
        target.audit.record("import", fingerprint=f"from vault {source.vault_id[:8]}")
        copied = _count(target, "credentials") - before_tokens
        if copied != len(expected):
            raise VaultError("vault.corrupt", "token count differs after the copy")
        for new_id, fp in expected.items():
            if target.credential(new_id).fingerprint != fp or (
                target.reveal(new_id).fingerprint != fp
            ):
                raise VaultError("vault.corrupt", f"token {fp} differs after the copy")
        report.fingerprints = len(expected)
    return report


def _count(vault: Vault, table: str) -> int:
    return int(vault._read(f"SELECT COUNT(*) FROM {table}")[0][0])


def _partners(source: Vault, target: Vault) -> dict[int, int]:
    ids: dict[int, int] = {}
    for rec in sorted(source.partners(), key=lambda p: p.id or 0):
        assert rec.id is not None
        stored = target.save_partner(dataclasses.replace(rec, id=None))
        assert stored.id is not None
        target._exec(  # keep the source's dates: the copy is not a change
            "UPDATE partners SET updated = ?, last_checked = ? WHERE id = ?",
            (rec.updated or stored.updated, rec.last_checked, stored.id),
        )
        ids[rec.id] = stored.id
    return ids


def _runs(source: Vault, target: Vault, ids: dict[int, int]) -> int:
    runs = source.runs()
    for run in runs:
        target._exec(
            "INSERT INTO runs (id, kind, partner_id, state, outcome, diagnosis, data,"
            " created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run.id,
                RunKind(run.kind).value,
                None if run.partner_id is None else ids.get(run.partner_id),
                run.state,
                RunOutcome(run.outcome).value,
                None if run.diagnosis is None else dumps(run.diagnosis),
                dumps(run.data or {}),
                run.created,
                run.updated,
            ),
        )
    return len(runs)


def _transcript(source: Vault, target: Vault) -> int:
    rows = source._read("SELECT run_id, created, entry FROM transcript ORDER BY id")
    for run_id, created, entry in rows:
        json.loads(entry)  # a damaged entry stops the copy here, not in a colleague's view
        target._exec(
            "INSERT INTO transcript (run_id, created, entry) VALUES (?, ?, ?)",
            (run_id, created, entry),
        )
    return len(rows)


def _tokens(source: Vault, target: Vault, ids: dict[int, int]) -> dict[int, str]:
    """Copy every token; returns new credential id -> expected fingerprint."""
    expected: dict[int, str] = {}
    rows = source._read(f"SELECT {CREDENTIAL_COLUMNS} FROM credentials ORDER BY id")
    for record in map(credential_from_row, rows):
        value = source.reveal(record.id)
        new_id = target._insert_token(
            None,
            ids[record.partner_id],
            record.role,
            Direction(record.direction),
            TokenState(record.state),
            value.reveal(),
            record.created,
            record.last_used,
            record.revoked,
            record.run_id,
        )
        expected[new_id] = record.fingerprint
    return expected


def _audit(source: Vault, target: Vault, ids: dict[int, int]) -> int:
    """The source's trail, appended to the team chain with its original who and what."""
    events = source.audit.events()
    for event in events:
        target.audit.record(
            event.action,
            partner_id=None if event.partner_id is None else ids.get(event.partner_id),
            fingerprint=event.fingerprint,
            run_id=event.run_id,
            actor=event.actor,
            peer=event.peer,
            at=event.at,
        )
    return len(events)
