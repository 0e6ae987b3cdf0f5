"""What a partner row that did not end well offers, and the vault-only ways to end it.

Why: a failed or abandoned registration used to leave a row with every action disabled and,
after a closed wizard, a run still marked running. Here, Qt-free and shared by the GUI:
- `offers`: Retry (a new registration; TOKEN_A prefilled only while it is unspent),
  Resume (the engine's recovery, for a run that stopped mid-way), Forget.
- `abandon_run`: end a run nobody will finish (a closed wizard, a cancelled invitation)
  without the network: cancelled before anything was spent, interrupted after the POST.
- `forget`: retire every token the row still holds, end its runs, and record that in the
  row's history (an "unregister" run at state "forgotten": local only, nothing is sent).
- `live_twin`: a working registration that a new onboarding would replace (asked first).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.core.tokens import TokenRole
from app.vault import CredentialRecord, Direction, PartnerRecord, RunRecord, TokenState, Vault
from app.vault.facts import latest_runs

PRE_POST = ("new", "versions_fetched", "details_fetched", "token_b_stored")
FORGOTTEN = "forgotten"


@dataclass(frozen=True)
class Offers:
    """The actions a row offers; `token_a` is set only when it may be reused."""

    retry: bool = False
    resume_run: str | None = None
    forget: bool = False
    versions_url: str = ""
    ocpi_version: str | None = None
    token_a: CredentialRecord | None = None  # unspent TOKEN_A to prefill, else None
    token_a_spent: str = ""  # fingerprint of a spent TOKEN_A (shown, never reused)


def token_a_sent(run: RunRecord | None) -> bool:
    """Whether our credentials (with TOKEN_A) left for the partner in this run."""
    if run is None or run.kind != "register":
        return False
    return bool(run.data.get("posted")) or run.state in (
        "credentials_posted",
        "registered",
        "verified",
    )


def unspent_token_a(
    vault: Vault, partner_id: int, run: RunRecord | None
) -> CredentialRecord | None:
    """The row's TOKEN_A if it was never sent with our credentials and is still pending."""
    if token_a_sent(run):
        return None
    pending = vault.tokens(
        partner_id, role=TokenRole.A, direction=Direction.OUTBOUND, state=TokenState.PENDING
    )
    return pending[-1] if pending else None


def offers(vault: Vault, partner: PartnerRecord, busy_runs: frozenset[str] = frozenset()) -> Offers:
    """What the row can do next. `busy_runs`: runs an open window is still driving."""
    if partner.id is None or partner.status not in ("pending", "failed"):
        return Offers()
    runs = vault.runs(partner.id)
    register = next((r for r in reversed(runs) if r.kind == "register"), None)
    invite = next((r for r in reversed(runs) if r.kind == "invite"), None)
    latest = register or invite
    if latest is not None and latest.id in busy_runs:
        return Offers()
    live = [
        c for c in vault.tokens(partner.id) if c.state in (TokenState.PENDING, TokenState.ACTIVE)
    ]
    resume = None
    if latest is not None and latest.outcome in ("running", "interrupted"):
        if latest.kind == "register" and latest.state not in ("registered",):
            resume = latest.id
        elif latest.kind == "invite" and latest.outcome == "running":
            resume = None  # the engine serves an open invitation again by itself
    spent = ""
    token_a = None
    if partner.our_role == "sender":
        token_a = unspent_token_a(vault, partner.id, register)
        if token_a is None:
            old = vault.tokens(partner.id, role=TokenRole.A, direction=Direction.OUTBOUND)
            spent = old[-1].fingerprint if old else ""
    versions_url = str((register.data.get("versions_url") if register else "") or "")
    return Offers(
        retry=partner.our_role == "sender" and latest is not None and latest.outcome != "running",
        resume_run=resume,
        # an ended row with nothing live (a cancelled invitation: its TOKEN_A is revoked)
        # is still removable; its advice says "forget this row" (session 23 walk)
        forget=bool(live)
        or (latest is not None and latest.outcome == "running")
        or (latest is not None and not _was_forgotten(runs)),
        versions_url=versions_url or partner.versions_url,
        ocpi_version=(register.data.get("ocpi_version") if register else None) or None,
        token_a=token_a,
        token_a_spent=spent,
    )


def _was_forgotten(runs: list[RunRecord]) -> bool:
    """The row's newest unregister is a local forget: forgetting it again would change nothing."""
    local = next((r for r in reversed(runs) if r.kind == "unregister"), None)
    return local is not None and local.state == FORGOTTEN


def cancelled_hint(kind: str) -> str:
    """What a cancelled run's row can do next: an invitation has no Retry (a receiver row)."""
    if kind == "invite":
        return "Send a new invitation (Invite partner) when ready, or forget this row."
    return "Retry when ready, or forget this row."


def abandon_run(vault: Vault, run_id: str) -> RunRecord:
    """End a run that nobody will finish, without the network.

    Before the POST nothing was spent: TOKEN_B is revoked, the run cancelled (TOKEN_A stays
    pending for a retry). After the POST the partner may have acted: the run is marked
    interrupted and keeps every token (Resume probes TOKEN_A). An invitation nobody answered:
    its TOKEN_A is revoked and the row says the invitation ended.
    """
    run = vault.run(run_id)
    if run.outcome != "running":
        return run
    partner_id = run.partner_id
    with vault.transaction():
        if run.kind == "register" and partner_id is not None and run.state not in PRE_POST:
            if run.state == "registered":  # TOKEN_C is stored: only the verification is missing
                return vault.update_run(run.id, outcome="succeeded")
            return vault.update_run(
                run.id,
                outcome="interrupted",
                diagnosis={
                    "code": "reg.unknown_outcome",
                    "message": "The wizard was closed after our credentials were sent;"
                    " whether the partner acted on them is unknown.",
                    "hint": "Resume to find out (TOKEN_A is probed), or forget this row.",
                },
            )
        if partner_id is not None:
            roles = (TokenRole.B,) if run.kind == "register" else (TokenRole.A,)
            for cred in vault.tokens(partner_id):
                if cred.role in roles and cred.state in (TokenState.PENDING, TokenState.ACTIVE):
                    vault.set_token_state(cred.id, TokenState.REVOKED)
            partner = vault.partner(partner_id)
            if run.kind == "invite" and partner.status == "pending":
                vault.save_partner(replace(partner, status="failed"))
        return vault.update_run(
            run.id,
            outcome="cancelled",
            diagnosis={
                "code": "reg.cancelled",
                "message": "Cancelled before it completed"
                + (": the invitation's TOKEN_A is revoked." if run.kind == "invite" else "."),
                "hint": cancelled_hint(run.kind),
            },
        )


def forget(vault: Vault, partner_id: int) -> RunRecord:
    """Retire every token the row still holds, end its runs, and record it in its history."""
    partner = vault.partner(partner_id)
    if partner.status not in ("pending", "failed"):
        raise ValueError(f"only a failed or unfinished row can be forgotten, not {partner.status}")
    retired: list[str] = []
    with vault.transaction():
        for run in vault.runs(partner_id, unfinished_only=True):
            vault.update_run(run.id, outcome="cancelled")
        for cred in vault.tokens(partner_id):
            if cred.state in (TokenState.PENDING, TokenState.ACTIVE):
                vault.set_token_state(cred.id, TokenState.REVOKED)
                vault.audit.record_token("forget", cred)
                retired.append(cred.fingerprint)
        if partner.status == "pending":
            vault.save_partner(replace(partner, status="failed"))
        if not retired:
            vault.audit.record("forget", partner_id=partner_id)
        record = vault.start_run(
            "unregister",
            partner_id,
            state=FORGOTTEN,
            data={"local": True, "retired": retired},
        )
        vault.append_transcript(
            record.id,
            {
                "type": "event",
                "kind": "StepDone",
                "level": "info",
                "message": "Forgotten here: "
                + (", ".join(retired) + " retired" if retired else "no live token left")
                + "; nothing was sent to the partner.",
                "fields": {"step": FORGOTTEN},
            },
        )
        return vault.update_run(record.id, outcome="succeeded")


def live_twin(
    vault: Vault, versions_url: str, country_code: str = "", party_id: str = ""
) -> PartnerRecord | None:
    """A registered partner that onboarding `versions_url` (or that identity) would replace."""
    if country_code and party_id:
        found = vault.find_partner(country_code, party_id)
        if found is not None and found.status == "registered":
            return found
    wanted = versions_url.strip().rstrip("/")
    if not wanted:
        return None
    registered = vault.partners(status="registered")
    facts = latest_runs(vault, [p.id for p in registered if p.id is not None])
    for partner in registered:
        register = facts.get(partner.id or 0, {}).get("register")
        given = str(register.data.get("versions_url") or "") if register is not None else ""
        if wanted in (partner.versions_url.strip().rstrip("/"), given.strip().rstrip("/")):
            return partner
    return None


__all__ = [
    "FORGOTTEN",
    "Offers",
    "abandon_run",
    "forget",
    "live_twin",
    "offers",
    "token_a_sent",
    "unspent_token_a",
]
