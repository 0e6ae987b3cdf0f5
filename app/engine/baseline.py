"""A partner's baseline: the snapshot taken at registration and at each check, the drift
against it, accepting it, and the age of the token we present (rotation reminders).

Vault work only (no HTTP): `manage.check` calls `assess`, the registrations call
`snapshot_registration`, `drift_check` calls `accept`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from app.core.ocpi import canonical_version
from app.engine.drift import DriftItem, compare
from app.vault import Direction, PartnerRecord, TokenState, Vault
from app.vault.snapshots import Observation, Snapshots


def observation_of(partner: PartnerRecord, versions: list[str] | None) -> Observation:
    """What we know of a partner now: its stored endpoints, roles and version, plus the
    versions it listed (None when not fetched)."""
    return Observation(
        versions=sorted({canonical_version(v) or v for v in versions or []}),
        version=partner.ocpi_version,
        endpoints=[
            {
                "identifier": str(e.get("identifier", "")),
                "role": e.get("role"),
                "url": str(e.get("url", "")),
            }
            for e in partner.endpoints
        ],
        roles=[
            {
                "role": r.get("role"),
                "country_code": r.get("country_code"),
                "party_id": r.get("party_id"),
            }
            for r in partner.roles
        ],
        hub_party_id=partner.hub_party_id,
    )


def snapshot_registration(
    vault: Vault,
    partner_id: int,
    versions: list[str] | None,
    partner: PartnerRecord | None = None,
) -> None:
    """The baseline every later check compares with (called when a partner registers);
    `partner`: the row as just saved, if the caller has it (else it is read)."""
    if partner is None or partner.id != partner_id:
        partner = vault.partner(partner_id)
    Snapshots(vault).record(
        partner_id, "registration", observation_of(partner, versions), baseline=True
    )


def _rotated_since(vault: Vault, partner_id: int, since: str) -> bool:
    return any(
        r.kind == "rotate" and r.outcome == "succeeded" and r.updated >= since
        for r in vault.runs(partner_id)
    )


def assess(
    vault: Vault, partner: PartnerRecord, versions: list[str] | None, run_id: str
) -> list[DriftItem]:
    """Record this check's snapshot; return the drift against the baseline. No baseline yet
    (a partner registered before snapshots existed) or a rotation since: this becomes it."""
    assert partner.id is not None
    store = Snapshots(vault)
    observed = observation_of(partner, versions)
    base = store.baseline(partner.id)
    if base is None or _rotated_since(vault, partner.id, base.taken):
        source = "check" if base is None else "rotation"
        store.record(partner.id, source, observed, baseline=True, run_id=run_id)
        return []
    before = base.observation
    if not before.versions:  # a baseline without a versions list: no version drift
        observed_cmp = Observation(**{**observed.__dict__, "versions": []})
    else:
        observed_cmp = observed
    drift = compare(before, observed_cmp)
    store.record(partner.id, "check", observed, baseline=not drift, drift=drift, run_id=run_id)
    return drift


def accept(vault: Vault, partner_id: int) -> list[DriftItem]:
    """Make the newest check's view the baseline; returns the drift so accepted."""
    store = Snapshots(vault)
    latest = store.latest(partner_id)
    if latest is None or latest.baseline:
        return []
    store.record(
        partner_id,
        "accepted",
        latest.observation,
        baseline=True,
        drift=latest.drift,
        run_id=latest.run_id,
    )
    return latest.drift


def token_age_days(vault: Vault, partner_id: int, now: datetime | None = None) -> int | None:
    """Days since the token we present to the partner was stored (rotation reminders)."""
    active = [
        c
        for c in vault.tokens(partner_id, direction=Direction.OUTBOUND, state=TokenState.ACTIVE)
        if c.role is not None and c.role.value != "A"
    ]
    if not active:
        return None
    created = _parse(active[-1].created)
    if created is None:
        return None
    return max(0, ((now or datetime.now(UTC)) - created).days)


def _parse(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
