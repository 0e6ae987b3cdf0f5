"""Partner snapshots: what a partner offered (versions, the registered version's endpoints,
hosts, roles) at registration and at each check, and the drift each check found.

The newest *baseline* snapshot is what checks compare with; it changes only when someone
accepts the drift (check --accept-drift, the GUI), on a rotation or an upgrade, so drift
stays reported until a person has seen it. No secrets are stored here (URLs, roles, ids).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.vault.records import now_iso

if TYPE_CHECKING:
    from app.vault.store import Vault

SOURCES = ("registration", "check", "accepted", "rotation", "upgrade")

MIGRATION_STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        partner_id INTEGER NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
        taken TEXT NOT NULL,
        source TEXT NOT NULL,
        baseline INTEGER NOT NULL DEFAULT 0,
        run_id TEXT,
        data TEXT NOT NULL,
        drift TEXT NOT NULL DEFAULT '[]')""",
    "CREATE INDEX snapshots_partner ON snapshots (partner_id, baseline, id)",
)


@dataclass(frozen=True)
class Observation:
    """What a partner offers now, as compared between snapshots."""

    versions: list[str] = field(default_factory=list)
    version: str | None = None
    endpoints: list[dict[str, Any]] = field(default_factory=list)  # identifier, role, url
    roles: list[dict[str, Any]] = field(default_factory=list)  # role, country_code, party_id
    hub_party_id: str | None = None

    @property
    def hosts(self) -> list[str]:
        from urllib.parse import urlsplit

        return sorted({urlsplit(str(e.get("url", ""))).netloc for e in self.endpoints} - {""})

    def to_json(self) -> dict[str, Any]:
        return {
            "versions": self.versions,
            "version": self.version,
            "endpoints": self.endpoints,
            "hosts": self.hosts,
            "roles": self.roles,
            "hub_party_id": self.hub_party_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Observation:
        return cls(
            versions=[str(v) for v in data.get("versions") or []],
            version=data.get("version"),
            endpoints=[dict(e) for e in data.get("endpoints") or []],
            roles=[dict(r) for r in data.get("roles") or []],
            hub_party_id=data.get("hub_party_id"),
        )


@dataclass(frozen=True)
class Snapshot:
    id: int
    partner_id: int
    taken: str
    source: str
    baseline: bool
    run_id: str | None
    observation: Observation
    drift: list[dict[str, Any]]


class Snapshots:
    """Snapshot rows of one open vault (SQL lives here and nowhere else)."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def record(
        self,
        partner_id: int,
        source: str,
        observation: Observation,
        *,
        baseline: bool,
        drift: list[dict[str, Any]] | None = None,
        run_id: str | None = None,
    ) -> Snapshot:
        if source not in SOURCES:
            raise ValueError(f"unknown snapshot source {source!r}")
        taken = now_iso()
        data = _ENCODE(observation.to_json())
        drift_text = _ENCODE(drift or [])
        with self._vault._write():
            cursor = self._vault._exec(
                "INSERT INTO snapshots (partner_id, taken, source, baseline, run_id, data, drift)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (partner_id, taken, source, 1 if baseline else 0, run_id, data, drift_text),
            )
        return Snapshot(
            int(cursor.lastrowid or 0),
            partner_id,
            taken,
            source,
            baseline,
            run_id,
            observation,
            list(drift or []),
        )

    def baseline(self, partner_id: int) -> Snapshot | None:
        rows = self._select("WHERE partner_id = ? AND baseline = 1", (partner_id,), 1)
        return rows[0] if rows else None

    def latest(self, partner_id: int) -> Snapshot | None:
        rows = self._select("WHERE partner_id = ?", (partner_id,), 1)
        return rows[0] if rows else None

    def history(self, partner_id: int, limit: int = 50) -> list[Snapshot]:
        """Newest first."""
        return self._select("WHERE partner_id = ?", (partner_id,), limit)

    def open_drift(self, partner_id: int) -> list[dict[str, Any]]:
        """Drift found by the newest check and not accepted since (empty if none)."""
        latest = self.latest(partner_id)
        if latest is None or latest.baseline:
            return []
        return latest.drift

    def open_drifts(self, partner_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        """`open_drift` of many partners with one query (the partners list reads 200 or
        2,000 at start-up, issue 13); partners without open drift are left out."""
        if not partner_ids:
            return {}
        marks = ", ".join("?" * len(partner_ids))
        newest = self._select(
            f"WHERE id IN (SELECT MAX(id) FROM snapshots WHERE partner_id IN ({marks})"
            " GROUP BY partner_id)",
            tuple(partner_ids),
            len(partner_ids),
        )
        return {snap.partner_id: snap.drift for snap in newest if not snap.baseline and snap.drift}

    def _select(self, where: str, params: tuple[Any, ...], limit: int) -> list[Snapshot]:
        rows = self._vault._read(
            "SELECT id, partner_id, taken, source, baseline, run_id, data, drift FROM snapshots "
            f"{where} ORDER BY id DESC LIMIT {int(limit)}",
            params,
        )
        out = []
        for row in rows:
            try:
                observation = Observation.from_json(json.loads(row[6]))
                drift = json.loads(row[7])
            except (ValueError, TypeError, AttributeError):
                observation, drift = Observation(), []
            out.append(
                Snapshot(
                    int(row[0]),
                    int(row[1]),
                    str(row[2]),
                    str(row[3]),
                    bool(row[4]),
                    row[5],
                    observation,
                    drift if isinstance(drift, list) else [],
                )
            )
        return out


def copy_snapshots(source: Vault, target: Vault, ids: dict[int, int]) -> int:
    """`vault migrate --to URL`: the snapshots go along under the partners' new ids, so a
    migrated partner keeps its baseline and its drift history (no re-baselining by surprise)."""
    rows = source._read(
        "SELECT partner_id, taken, source, baseline, run_id, data, drift FROM snapshots ORDER BY id"
    )
    copied = 0
    with target._write():
        for partner_id, taken, kind, baseline, run_id, data, drift in rows:
            new_id = ids.get(int(partner_id))
            if new_id is None:
                continue
            target._exec(
                "INSERT INTO snapshots (partner_id, taken, source, baseline, run_id, data, drift)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (new_id, taken, kind, baseline, run_id, data, drift),
            )
            copied += 1
    return copied


# json.dumps(value, ensure_ascii=False), the encoder made once (json.dumps with an argument
# makes one per call)
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
