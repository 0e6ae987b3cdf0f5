"""Reads for partner health: each partner's latest run of each kind, in one query.

Why a module of its own: `peers list` and the partners list compute health for every
partner; one run query per partner would be N queries. This reads only the newest run
per (partner, kind), which is all the health rules look at.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.vault.records import RUN_COLUMNS, RunRecord, run_from_row
from app.vault.store import Vault

LatestRuns = dict[str, RunRecord]
"""kind ("register", "invite", "rotate", "check", "unregister") -> the newest run of it."""


def latest_runs(vault: Vault, partner_ids: Iterable[int] | None = None) -> dict[int, LatestRuns]:
    """Partner id -> its newest run of each kind (runs without a partner are left out)."""
    where = "partner_id IS NOT NULL"
    params: list[int] = []
    if partner_ids is not None:
        ids = sorted(set(partner_ids))
        if not ids:
            return {}
        if len(ids) <= 500:
            where = f"partner_id IN ({', '.join('?' * len(ids))})"
            params = ids
    sql = (
        f"SELECT {RUN_COLUMNS} FROM runs WHERE rowid IN ("
        f"SELECT MAX(rowid) FROM runs WHERE {where} GROUP BY partner_id, kind)"
    )
    found: dict[int, LatestRuns] = {}
    for row in vault._read(sql, params):
        run = run_from_row(row)
        assert run.partner_id is not None
        found.setdefault(run.partner_id, {})[run.kind] = run
    return found


__all__ = ["LatestRuns", "latest_runs"]
