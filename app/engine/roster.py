"""An inbound credentials PUT from a partner (a hub's roster change): store what it says
and show what changed.

Hubs change the roster behind one connection: ENAPI sends a credentials PUT for each new
roaming agreement and lists the reachable parties in `roles` (docs/ocpi-facts.md,
"Partners after TOKEN_C"). Our endpoint accepts the PUT (ReceiverService.put); this
stores the new roles, hub_party_id, versions URL and endpoints on the partner, and records
the differences in the run that the PUT opened, as a warning the log pane and the partner
view show.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.callback.receiver import PeerSession
from app.core.diagnosis import diagnose
from app.core.events import StepDone
from app.core.models import Credentials
from app.engine.context import EngineContext
from app.vault import PartnerRecord, Vault

ROSTER_RUN_DATA = "roster_changes"


def _role_names(roles: list[dict[str, Any]]) -> set[str]:
    return {
        f"{r.get('role') or '?'} {r.get('country_code', '')}-{r.get('party_id', '')}" for r in roles
    }


def what_changed(
    old: PartnerRecord, new: Credentials, endpoints: list[dict[str, Any]]
) -> list[str]:
    """Plain lines: roles added or removed, hub identity, versions URL, endpoints."""
    new_roles = [r.model_dump(exclude_none=True) for r in new.roles]
    before, after = _role_names(old.roles), _role_names(new_roles)
    changes = [f"role added: {name}" for name in sorted(after - before)]
    changes += [f"role removed: {name}" for name in sorted(before - after)]
    if (old.hub_party_id or None) != (new.hub_party_id or None):
        changes.append(
            f"hub_party_id: {old.hub_party_id or 'none'} -> {new.hub_party_id or 'none'}"
        )
    if old.versions_url and old.versions_url != new.url:
        changes.append(f"versions URL: {old.versions_url} -> {new.url}")
    if endpoints and old.endpoints:
        was = {(e.get("identifier"), e.get("role"), e.get("url")) for e in old.endpoints}
        now = {(e.get("identifier"), e.get("role"), e.get("url")) for e in endpoints}
        if was != now:
            changes.append(f"endpoints: {len(now - was)} new or moved, {len(was - now)} gone")
    return changes


def record_roster_change(engine: EngineContext, partner_id: int, session: PeerSession) -> list[str]:
    """Store the PUT's credentials on the partner and record what changed (in the caller's
    flow, before the answer leaves)."""
    new = session.incoming
    if new is None:
        return []
    vault = engine.vault
    old = vault.partner(partner_id)
    endpoints = (
        [e.model_dump() for e in session.incoming_details.endpoints]
        if (session.incoming_details)
        else []
    )
    changes = what_changed(old, new, endpoints)
    vault.save_partner(
        replace(
            old,
            roles=[r.model_dump(exclude_none=True) for r in new.roles],
            hub_party_id=new.hub_party_id,
            versions_url=new.url,
            endpoints=endpoints or old.endpoints,
        )
    )
    recorder = engine.recorder_for(session.key)
    if recorder is not None:
        summary = "; ".join(changes) if changes else "nothing but the tokens"
        warning = diagnose("partner.roster_changed", summary)
        recorder.diagnosis(recorder.transcript.redactor.diagnosis(warning))
        vault.update_run(
            recorder.run_id,
            state="updated",
            outcome="succeeded",
            data={ROSTER_RUN_DATA: changes, "inbound": "PUT"},
        )
        recorder.emit(StepDone(f"{old.ref} updated its credentials: {summary}", step="updated"))
    return changes


def last_roster_change(vault: Vault, partner_id: int) -> list[str] | None:
    """The most recent 'what changed' of an inbound PUT, for the partner view."""
    for run in reversed(vault.runs(partner_id)):
        changes = (run.data or {}).get(ROSTER_RUN_DATA)
        if changes is not None:
            return list(changes)
    return None
