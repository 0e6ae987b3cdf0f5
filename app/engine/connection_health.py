"""What verify, check, drift, token age and certificate expiry add to a partner's health.

`app.engine.health` judges the registration (TOKEN_C refused, discovery incomplete); this
module adds the findings of the connection's later life through its `extra` hook, so the
partners list, the detail view and `peers --json` keep one verdict. Reminders are findings
too: a token older than the rotation interval (the spec advises renewing monthly), a
certificate expiring within 21 days, drift nobody accepted yet, a failing verify check.

Reads the vault in a few batched queries (no per-partner query for a list). Qt-free.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.core.ages import certificate_expiry, days
from app.engine.health import FAILING, WARNING, Finding
from app.vault import Direction, PartnerRecord, TokenState, Vault
from app.vault.records import RUN_COLUMNS, RunRecord, run_from_row
from app.vault.snapshots import Snapshots

ROTATION_DAYS = 30  # OCPI 2.3.0 credentials, "Updating": renew the tokens at least monthly
CERT_WARN_DAYS = 21
VERIFY_MARK = '"op":"verify"'  # run data is stored as compact JSON (records.dumps)
# A verify's run is stored with VERIFY_MARK as it starts and its report as it ends: the
# facts come from the newest verify that stored a report. (The running one read as "No
# verify run yet", so an open report emptied and refilled each verify: issue 13, and false.)
REPORT_MARK = '"report":'


@dataclass(frozen=True)
class ConnectionFacts:
    """One partner's connection facts, for the list's columns and the findings."""

    last_verified: str | None = None
    verify_report: dict[str, Any] | None = None
    verify_run_id: str | None = None
    token_age_days: int | None = None
    tls_expires_days: int | None = None
    open_drift: list[dict[str, Any]] = field(default_factory=list)


def _days_since(iso: str, now: datetime) -> int | None:
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0, (now - moment).days)


def _newest_runs(vault: Vault, ids: list[int], *markers: str) -> dict[int, RunRecord]:
    """Each partner's newest check-kind run whose data carries every one of `markers`."""
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    likes = " AND data LIKE ?" * len(markers)
    rows = vault._read(
        f"SELECT {RUN_COLUMNS} FROM runs WHERE rowid IN (SELECT MAX(rowid) FROM runs"
        f" WHERE kind = 'check' AND partner_id IN ({marks}){likes}"
        " GROUP BY partner_id)",
        [*ids, *(f"%{marker}%" for marker in markers)],
    )
    found: dict[int, RunRecord] = {}
    for row in rows:
        run = run_from_row(row)
        if run.partner_id is not None:
            found[run.partner_id] = run
    return found


FEW = 20  # up to this many partners, per-partner token queries beat one over every partner


def connection_facts(
    vault: Vault, partners: Iterable[PartnerRecord], now: datetime | None = None
) -> dict[int, ConnectionFacts]:
    now = now or datetime.now(UTC)
    ids = sorted({p.id for p in partners if p.id is not None})
    out: dict[int, ConnectionFacts] = {}
    for chunk in [ids[i : i + 400] for i in range(0, len(ids), 400)]:
        verifies = _newest_runs(vault, chunk, VERIFY_MARK, REPORT_MARK)
        tls_runs = _newest_runs(vault, chunk, '"tls_expires_days":')
        drifts = Snapshots(vault).open_drifts(chunk)
        for pid in chunk:
            verify = verifies.get(pid)
            report = verify.data.get("report") if verify is not None else None
            tls_run = tls_runs.get(pid)
            tls_days = None
            if tls_run is not None and isinstance(tls_run.data.get("tls_expires_days"), int):
                since = _days_since(tls_run.updated, now) or 0
                tls_days = int(tls_run.data["tls_expires_days"]) - since
            out[pid] = ConnectionFacts(
                last_verified=verify.updated if verify is not None else None,
                verify_report=report if isinstance(report, dict) else None,
                verify_run_id=verify.id if verify is not None else None,
                tls_expires_days=tls_days,
                open_drift=drifts.get(pid, []),
            )
    ages: dict[int, int] = {}
    # A few partners (a run touched them): their own tokens; many: one query over all.
    if len(ids) <= FEW:
        creds = [
            c
            for pid in ids
            for c in vault.tokens(pid, direction=Direction.OUTBOUND, state=TokenState.ACTIVE)
        ]
    else:
        creds = vault.tokens(None, direction=Direction.OUTBOUND, state=TokenState.ACTIVE)
    for cred in creds:
        if cred.partner_id in out and cred.role is not None and cred.role.value != "A":
            age = _days_since(cred.created, now)
            if age is not None:
                ages[cred.partner_id] = age  # oldest first: the newest active one wins
    for pid, age in ages.items():
        facts = out[pid]
        out[pid] = ConnectionFacts(
            facts.last_verified,
            facts.verify_report,
            facts.verify_run_id,
            age,
            facts.tls_expires_days,
            facts.open_drift,
        )
    return out


def findings(
    facts: ConnectionFacts,
    rotation_days: int = ROTATION_DAYS,
    cert_warn_days: int = CERT_WARN_DAYS,
) -> list[Finding]:
    """The reminders and the later-life findings of one partner, worst first."""
    found: list[Finding] = []
    if facts.tls_expires_days is not None and facts.tls_expires_days < 0:
        found.append(
            Finding(
                "tls.expired",
                FAILING,
                f"The partner's TLS certificate expired {days(-facts.tls_expires_days)} ago.",
                "Ask the partner to renew their certificate; until then every call fails.",
                "certificate expired",
            )
        )
    elif facts.tls_expires_days is not None and facts.tls_expires_days <= cert_warn_days:
        found.append(
            Finding(
                "tls.expiring",
                WARNING,
                f"The partner's {certificate_expiry(facts.tls_expires_days)}.",
                "Remind the partner to renew their certificate before it expires.",
                certificate_expiry(facts.tls_expires_days).removeprefix("TLS "),
            )
        )
    report = facts.verify_report or {}
    failing = [c for c in report.get("checks") or [] if c.get("status") == "fail"]
    warned = [c for c in report.get("checks") or [] if c.get("status") == "warn"]
    if failing:
        first = failing[0]
        found.append(
            Finding(
                "verify.failed",
                WARNING,
                f"The last verify run failed {len(failing)} check(s):"
                f" {', '.join(str(c.get('id')) for c in failing)}. {first.get('detail', '')}",
                str(first.get("fix") or "Open the verify report and follow each fix."),
                f"verify: {len(failing)} failed",
            )
        )
    if facts.open_drift:
        whats = "; ".join(str(d.get("what")) for d in facts.open_drift[:3])
        found.append(
            Finding(
                "drift.open",
                WARNING,
                f"The partner changed what it offers since the baseline: {whats}.",
                "Review the drift; accept it (Accept drift, or check --accept-drift) once the"
                " change is expected, or ask the partner about it.",
                "drift",
            )
        )
    if facts.token_age_days is not None and facts.token_age_days > rotation_days:
        found.append(
            Finding(
                "token.rotation_due",
                WARNING,
                f"The credentials token is {days(facts.token_age_days)} old (rotation interval"
                f" {days(rotation_days)}).",
                "Rotate the credentials (a PUT with new tokens); the spec advises monthly.",
                "rotation due",
            )
        )
    if warned and not failing:
        found.append(
            Finding(
                "verify.warned",
                WARNING,
                f"The last verify run warned on: {', '.join(str(c.get('id')) for c in warned)}.",
                str(warned[0].get("fix") or "Open the verify report."),
                "verify warnings",
            )
        )
    return found


def extra_findings(
    vault: Vault,
    partners: Iterable[PartnerRecord],
    rotation_days: int = ROTATION_DAYS,
) -> tuple[dict[int, ConnectionFacts], Callable[[PartnerRecord], list[Finding]]]:
    """Facts for many partners and the `extra` hook for `health.partners_health`."""
    facts = connection_facts(vault, partners)

    def extra(partner: PartnerRecord) -> list[Finding]:
        if partner.status != "registered" or partner.id not in facts:
            return []
        return findings(facts[partner.id], rotation_days)

    return facts, extra
