"""Runs found mid-way after a crash: state their position, then resume or clean up.

Position rules (each run was written before its side effect):
- register before credentials_posted: the POST never left. Resume = register again with the
  stored TOKEN_A (still unspent); clean-up = revoke TOKEN_B, keep TOKEN_A pending.
- register at credentials_posted: the POST may have reached the partner. Resume probes
  TOKEN_A with a GET: alive -> the partner did not register us, register again; dead -> we
  were registered but TOKEN_C was never stored: clean-up marks TOKEN_A consumed and TOKEN_B
  revoked and says to ask the partner for a new TOKEN_A.
- register at registered: TOKEN_C is stored; resume = check, clean-up = mark succeeded.
- rotate before put_sent: clean-up revokes the new token; the old pair is untouched.
- rotate at put_sent: the partner may have switched. Resume = check with the old token.
- invite: resume = serve TOKEN_A again; clean-up = revoke TOKEN_A.
"""

from __future__ import annotations

from dataclasses import replace

from app.core.diagnosis import OnboardingError, diagnose, fail
from app.core.handshake import Request
from app.core.http import OcpiHttp, make_client
from app.core.judging import Response, judge_in_context
from app.core.runner import EncodingChoice, send_with_encoding
from app.core.tokens import Secret, TokenRole
from app.core.transcript import Transcript
from app.engine.context import EngineContext, peer_key
from app.engine.manage import check_served, unregister
from app.engine.register import Registration
from app.engine.results import RunResult
from app.vault import Direction, RunRecord, TokenState

PRE_POST = ("new", "versions_fetched", "details_fetched", "token_b_stored")


def describe(run: RunRecord) -> str:
    """One line a person understands: where the run stopped and what that means."""
    meaning = {
        "new": "nothing was sent yet with TOKEN_A",
        "versions_fetched": "the partner's versions were read; nothing was registered",
        "details_fetched": "the partner's details were read; nothing was registered",
        "token_b_stored": "TOKEN_B was stored but our credentials were not sent",
        "credentials_posted": "our credentials were sent; the partner's answer never arrived",
        "registered": "TOKEN_C is stored; only the verification is missing",
        "token_stored": "a new token was stored but the update was not sent",
        "put_sent": "the update was sent; the partner's answer never arrived",
        "delete_sent": "the unregister request was sent; the answer never arrived",
        "invited": "a TOKEN_A was issued and is waiting for the partner",
        "deleted": "the hub accepted our DELETE; the new registration did not finish",
        "registering": "the hub accepted our DELETE; the new registration did not finish",
    }.get(run.state, "stopped")
    return f"{run.kind} run {run.id[:8]} stopped at '{run.state}': {meaning}."


async def recover(engine: EngineContext, run_id: str, action: str) -> RunResult:
    if action not in ("resume", "cleanup"):
        raise fail("internal", f"unknown recovery action {action}")
    vault = engine.vault
    run = vault.run(run_id)
    partner_id = run.partner_id
    if run.kind == "register":
        return await _recover_register(engine, run, action)
    if run.kind == "rotate" and run.data.get("path") == "delete-register":
        return _recover_reregister(engine, run)
    if run.kind == "rotate" and partner_id is not None:
        return await _recover_rotate(engine, run, action, partner_id)
    if run.kind == "invite" and partner_id is not None:
        if action == "cleanup":
            with vault.transaction():
                for cred in vault.tokens(partner_id, role=TokenRole.A):
                    if cred.state in (TokenState.ACTIVE, TokenState.PENDING):
                        vault.set_token_state(cred.id, TokenState.REVOKED)
                vault.update_run(run.id, outcome="cancelled")
            engine.receiver.forget(peer_key(partner_id))
            return _done(run, "cleaned")
        await engine.start()
        return _done(run, "waiting")
    if run.kind in ("check", "unregister") and partner_id is not None:
        vault.update_run(run.id, outcome="interrupted")
        if action == "resume":
            return await (
                check_served(engine, partner_id)
                if run.kind == "check"
                else unregister(engine, partner_id)
            )
        return _done(run, "cleaned")
    vault.update_run(run.id, outcome="interrupted")
    return _done(run, "cleaned")


def _recover_reregister(engine: EngineContext, run: RunRecord) -> RunResult:
    """A rotation by DELETE + register stopped mid-way: before the DELETE's answer nothing
    is known; after it, only a fresh TOKEN_A from the hub brings the connection back. The
    old credentials stay stored (retired); the run says what to ask for."""
    partner = engine.vault.partner(run.partner_id) if run.partner_id is not None else None
    ref = partner.ref if partner is not None else "PEER"
    url = partner.versions_url if partner is not None else "its versions URL"
    diagnosis = diagnose(
        "reg.reregister_failed", "the run was interrupted.", peer=ref, versions_url=url
    )
    engine.vault.update_run(run.id, outcome="interrupted", diagnosis=diagnosis.to_dict())
    return RunResult(
        "failed", run.id, kind=run.kind, partner_id=run.partner_id, diagnosis=diagnosis
    )


async def register(
    engine: EngineContext, versions_url: str, token_a: Secret, ocpi_version: str | None
) -> RunResult:
    """Register again with the stored, unspent TOKEN_A (resuming a run stopped before the
    partner took it)."""
    return await Registration(engine, versions_url, token_a, ocpi_version=ocpi_version).run()


def _done(run: RunRecord, status: str) -> RunResult:
    return RunResult(status, run.id, kind=run.kind, partner_id=run.partner_id)


async def _recover_register(engine: EngineContext, run: RunRecord, action: str) -> RunResult:
    vault = engine.vault
    assert run.partner_id is not None
    partner_id = run.partner_id
    token_a_creds = vault.tokens(partner_id, role=TokenRole.A, direction=Direction.OUTBOUND)
    if run.state == "registered":
        vault.update_run(run.id, outcome="succeeded")
        if action == "resume":
            return await check_served(engine, partner_id)
        return _done(run, "cleaned")

    def revoke_pending_b() -> None:
        for cred in vault.tokens(partner_id, role=TokenRole.B, state=TokenState.PENDING):
            vault.set_token_state(cred.id, TokenState.REVOKED)

    if run.state in PRE_POST:
        with vault.transaction():
            revoke_pending_b()
            vault.update_run(run.id, outcome="cancelled")
        if action == "cleanup" or not token_a_creds:
            return _done(run, "cleaned")
        token_a = vault.reveal(token_a_creds[-1].id).with_role(TokenRole.A)
        return await register(
            engine,
            vault.partner(partner_id).versions_url,
            token_a,
            ocpi_version=run.data.get("ocpi_version"),
        )
    # credentials_posted: outcome unknown; probe TOKEN_A
    alive = False
    if token_a_creds:
        token_a = vault.reveal(token_a_creds[-1].id).with_role(TokenRole.A)
        partner = vault.partner(partner_id)
        transcript = Transcript(run.id)
        transcript.add_secret(token_a)
        async with make_client(engine.http_settings) as client:
            http = OcpiHttp(client, transcript, engine.http_settings)
            try:
                result = await send_with_encoding(
                    http,
                    Request("probe", "GET", partner.versions_url, TokenRole.A),
                    token_a,
                    EncodingChoice(),
                )
                judge_in_context(
                    Response(result.status, result.body, result.content_type), "versions_a"
                )
                alive = True
            except OnboardingError:
                alive = False
        for entry in transcript.entries:
            vault.append_transcript(run.id, entry)
    if alive and action == "resume":
        with vault.transaction():
            revoke_pending_b()
            vault.update_run(run.id, outcome="cancelled")
        return await register(
            engine,
            vault.partner(partner_id).versions_url,
            token_a,
            ocpi_version=run.data.get("ocpi_version"),
        )
    with vault.transaction():
        revoke_pending_b()
        if not alive:
            for cred in token_a_creds:
                if cred.state in (TokenState.PENDING, TokenState.ACTIVE):
                    vault.set_token_state(cred.id, TokenState.CONSUMED)
        diagnosis = diagnose("reg.unknown_outcome") if not alive else None
        vault.update_run(
            run.id,
            outcome="interrupted" if not alive else "cancelled",
            diagnosis=diagnosis.to_dict() if diagnosis else None,
        )
        partner = vault.partner(partner_id)
        if partner.status == "pending" and not alive:
            vault.save_partner(replace(partner, status="failed"))
    outcome = _done(run, "cleaned" if alive else "failed")
    if not alive:
        outcome.diagnosis = fail("token.a_spent_by_partner").diagnosis
    return outcome


async def _recover_rotate(
    engine: EngineContext, run: RunRecord, action: str, partner_id: int
) -> RunResult:
    """Before put_sent the old pair is untouched: revoke the new token. At put_sent the
    partner may have switched: check with the old token decides."""
    vault = engine.vault
    pending = vault.tokens(partner_id, direction=Direction.INBOUND, state=TokenState.PENDING)
    if run.state != "put_sent" or action == "cleanup":
        with vault.transaction():
            for cred in pending:
                vault.set_token_state(cred.id, TokenState.REVOKED)
            vault.update_run(run.id, outcome="cancelled")
        if action == "resume":
            return await check_served(engine, partner_id)
        return _done(run, "cleaned")
    vault.update_run(
        run.id, outcome="interrupted", diagnosis=diagnose("reg.unknown_outcome").to_dict()
    )
    checked = await check_served(engine, partner_id)
    with vault.transaction():
        if checked.ok:  # the partner still takes the old token: the PUT never applied
            for cred in pending:
                vault.set_token_state(cred.id, TokenState.REVOKED)
        else:  # the partner switched to our new token; theirs for us was lost
            for cred in pending:
                vault.set_token_state(cred.id, TokenState.ACTIVE)
    return checked
