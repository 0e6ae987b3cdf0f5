"""Drift around `check`: accepting it (or upgrading to a newer mutual version).

`manage.check` GETs versions and details with TOKEN_C; `baseline.assess` turns what it saw
into a snapshot and the drift list of the contract; `check_partner` adds --accept-drift: a
newer mutual version is taken by a guided upgrade (a credentials PUT at that version, then
a re-fetch, which re-baselines), any other drift by storing what was seen as the baseline.
"""

from __future__ import annotations

from typing import Any

from app.engine.baseline import accept
from app.engine.context import EngineContext
from app.engine.drift import DriftItem, newer_mutual_version
from app.engine.manage import check_served, rotate
from app.engine.results import RunResult


async def check_partner(
    engine: EngineContext, ref: int | str, accept_drift: bool = False
) -> RunResult:
    """`check PEER [--accept-drift]`: liveness and drift; accepting takes a newer mutual
    version by a guided upgrade (PUT at that version, re-fetch), other drift as it is."""
    result = await check_served(engine, ref)
    drift: list[DriftItem] = list(result.extra.get("drift") or [])
    if not accept_drift or not result.ok or not drift or result.partner_id is None:
        return result
    newer = newer_mutual_version(drift, result.ocpi_version, tuple(engine.versions))
    if newer is not None:
        upgraded = await rotate(engine, result.partner_id, version=newer)
        if not upgraded.ok:
            upgraded.extra.update(_empty_extra(result))
            return upgraded
        again = await check_served(engine, result.partner_id)  # the rotation re-baselines
        again.extra["accepted_drift"] = drift
        again.extra["upgraded_to"] = upgraded.ocpi_version
        return again
    accepted = accept(engine.vault, result.partner_id)
    result.extra["accepted_drift"] = accepted
    result.extra["drift"] = []
    return result


def _empty_extra(result: RunResult) -> dict[str, Any]:
    return {
        "drift": result.extra.get("drift", []),
        "token_age_days": result.extra.get("token_age_days"),
        "tls_expires_days": result.extra.get("tls_expires_days"),
    }


async def check_all(engine: EngineContext, accept_drift: bool = False) -> list[RunResult]:
    """`check --all`: every registered partner, one after the other (one request in flight
    per partner), each with its own run and result."""
    results = []
    for partner in engine.vault.partners(status="registered"):
        assert partner.id is not None
        results.append(await check_partner(engine, partner.id, accept_drift))
    return results
