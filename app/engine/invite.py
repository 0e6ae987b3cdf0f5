"""Invitation as Receiver: issue TOKEN_A, serve, let the partner register, store the result.

The partner POSTs to our endpoint with TOKEN_A; ReceiverService fetches their versions and
details with their TOKEN_B and calls our hook, which stores TOKEN_B (outbound), TOKEN_C
(inbound) and the partner, consumes TOKEN_A and finishes the run, all in one transaction,
before the answer carrying TOKEN_C leaves.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from app.callback.receiver import PeerSession
from app.core.diagnosis import diagnose, fail
from app.core.events import Level, StepDone, StepStarted
from app.core.tokens import Secret, TokenRole, generate_token
from app.engine.bookkeeping import replace_same_identity, retire_live_tokens
from app.engine.engine import Engine, crash_point, peer_key
from app.engine.results import Invitation, RunResult
from app.engine.roster import record_roster_change
from app.vault import Direction, PartnerRecord, TokenState


def _partner_id(session: PeerSession) -> int:
    return int(session.key.split(":", 1)[1])


def attach_receiver_hooks(engine: Engine) -> None:
    """Wire ReceiverService's hooks to the vault (called once when the engine starts)."""
    receiver = engine.receiver

    def transcript_for(session: PeerSession):  # type: ignore[no-untyped-def]
        recorder = engine._recorders.get(session.key)
        if recorder is None:
            run = engine.vault.start_run(
                "invite", _partner_id(session), state="credentials_received"
            )
            recorder = engine.recorder(run.id, session.key)
        return recorder.transcript

    async def on_registered(session: PeerSession, token_c: Secret, token_b: Secret) -> None:
        vault = engine.vault
        partner_id = _partner_id(session)
        assert session.partner is not None
        first = session.partner.roles[0]
        recorder = engine._recorders.get(session.key)
        run_id = recorder.run_id if recorder else None
        if recorder:
            recorder.add_secret(token_c)
            recorder.add_secret(token_b)
        with vault.transaction():
            replace_same_identity(vault, partner_id, first.country_code, first.party_id)
            vault.add_token(
                partner_id, TokenRole.B, Direction.OUTBOUND, token_b, TokenState.ACTIVE, run_id
            )
            vault.add_token(
                partner_id, TokenRole.C, Direction.INBOUND, token_c, TokenState.ACTIVE, run_id
            )
            for cred in vault.tokens(partner_id, role=TokenRole.A):
                if cred.state in (TokenState.ACTIVE, TokenState.PENDING):
                    vault.set_token_state(cred.id, TokenState.CONSUMED)
            vault.save_partner(
                PartnerRecord(
                    id=partner_id,
                    country_code=first.country_code,
                    party_id=first.party_id,
                    business_name=first.business_details.name,
                    roles=[r.model_dump(exclude_none=True) for r in session.partner.roles],
                    versions_url=session.partner.url,
                    ocpi_version=session.version,
                    endpoints=[
                        e.model_dump()
                        for e in (session.details.endpoints if session.details else [])
                    ],
                    our_role="receiver",
                    status="registered",
                    token_encoding="auto",
                    hub_party_id=session.partner.hub_party_id,
                )
            )
            if run_id:
                vault.update_run(
                    run_id,
                    state="registered",
                    outcome="succeeded",
                    data={"mutual_discovery": "complete"},
                )
        crash_point("invite_registered")
        if recorder:
            for warning in session.warnings:
                recorder.diagnosis(recorder.transcript.redactor.diagnosis(warning))
            recorder.emit(
                StepDone(
                    f"{first.country_code}-{first.party_id} registered with us on OCPI {session.version};"
                    f" we issued TOKEN_C {token_c.fingerprint}",
                    step="registered",
                )
            )
            recorder.flush()
        waiter = engine.invite_waiters.get(session.key)
        if waiter is not None and not waiter.done():
            waiter.set_result(partner_id)

    async def on_updated(session: PeerSession, new_inbound: Secret, new_outbound: Secret) -> None:
        vault = engine.vault
        partner_id = _partner_id(session)
        we_registered = session.role == "sender"  # they present B to us, we present C
        in_role = TokenRole.B if we_registered else TokenRole.C
        out_role = TokenRole.C if we_registered else TokenRole.B
        record_roster_change(engine, partner_id, session)
        with vault.transaction():
            for cred in vault.tokens(partner_id, state=TokenState.ACTIVE):
                if cred.role != TokenRole.A:
                    vault.set_token_state(cred.id, TokenState.SUPERSEDED)
            vault.add_token(partner_id, in_role, Direction.INBOUND, new_inbound, TokenState.ACTIVE)
            vault.add_token(
                partner_id, out_role, Direction.OUTBOUND, new_outbound, TokenState.ACTIVE
            )

    async def on_unregistered(session: PeerSession) -> None:
        vault = engine.vault
        partner_id = _partner_id(session)
        with vault.transaction():
            retire_live_tokens(vault, partner_id, TokenState.REVOKED)
            partner = vault.partner(partner_id)
            vault.save_partner(replace(partner, status="unregistered"))

    receiver.transcript_for = transcript_for
    receiver.on_registered = on_registered
    receiver.on_updated = on_updated
    receiver.on_unregistered = on_unregistered


async def invite(engine: Engine, token_a: Secret | None = None) -> Invitation:
    """Issue a TOKEN_A (stored encrypted, accepted by our endpoint) for a new partner."""
    await engine.start()
    if not engine.embedded:
        raise fail("reg.preflight_failed", "inviting needs the embedded endpoint")
    engine.identity.validate()
    token = (token_a or Secret(generate_token())).with_role(TokenRole.A)
    vault = engine.vault
    with vault.transaction():
        partner = vault.save_partner(
            PartnerRecord(
                id=None, country_code="", party_id="", our_role="receiver", status="pending"
            )
        )
        assert partner.id is not None
        vault.add_token(partner.id, TokenRole.A, Direction.INBOUND, token, TokenState.ACTIVE)
        run = vault.start_run(
            "invite", partner.id, state="invited", data={"versions_url": engine.our_versions_url}
        )
    key = peer_key(partner.id)
    recorder = engine.recorder(run.id, key, [token])
    engine.receiver.invite(key, token)
    recorder.emit(
        StepStarted(
            f"Invited a partner: TOKEN_A {token.fingerprint}, our versions URL {engine.our_versions_url}",
            step="invited",
        )
    )
    return Invitation(run.id, partner.id, engine.our_versions_url, token)


async def wait_for_registration(
    engine: Engine, invitation: Invitation, timeout: float | None
) -> RunResult:
    key = peer_key(invitation.partner_id)
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[int] = loop.create_future()
    engine.invite_waiters[key] = waiter
    vault = engine.vault
    try:
        if vault.partner(invitation.partner_id).status != "registered":
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
    except TimeoutError:
        diagnosis = diagnose("reg.invite_timeout", f"{timeout:.0f} s" if timeout else "the wait")
        vault.update_run(invitation.run_id, outcome="failed", diagnosis=diagnosis.to_dict())
        recorder = engine._recorders.get(key)
        if recorder:
            recorder.emit(StepDone(diagnosis.message, Level.ERROR, step="invited"))
        return RunResult(
            "failed",
            invitation.run_id,
            kind="invite",
            partner_id=invitation.partner_id,
            diagnosis=diagnosis,
        )
    finally:
        engine.invite_waiters.pop(key, None)
    partner = vault.partner(invitation.partner_id)
    inbound = engine.inbound_token(partner)
    session = engine.receiver.sessions.get(key)
    recorder = engine._recorders.get(key)
    warnings = list(session.warnings) if session is not None else []
    if recorder is not None:
        warnings = [recorder.transcript.redactor.diagnosis(w) for w in warnings]
    engine.release(key)
    return RunResult(
        "registered",
        invitation.run_id,
        kind="invite",
        partner_id=partner.id,
        peer={
            "country_code": partner.country_code,
            "party_id": partner.party_id,
            "roles": [r.get("role") for r in partner.roles if r.get("role")],
        },
        ocpi_version=partner.ocpi_version,
        token_c_fingerprint=inbound[1].fingerprint if inbound else None,
        mutual_discovery="complete",
        warnings=warnings,
    )
