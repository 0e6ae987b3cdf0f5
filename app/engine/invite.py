"""Invitation as Receiver: issue TOKEN_A, serve, let the partner register, store the result.

The partner POSTs to our endpoint with TOKEN_A; ReceiverService fetches their versions and
details with their TOKEN_B and awaits the engine's hooks (app/engine/receiver_hooks.py),
which store everything before the answer carrying TOKEN_C leaves.
"""

from __future__ import annotations

import asyncio

from app.core.diagnosis import diagnose, fail
from app.core.events import Level, StepDone, StepStarted
from app.core.tokens import Secret, TokenRole, generate_token
from app.engine.context import EngineContext, peer_key
from app.engine.results import Invitation, RunResult
from app.vault import Direction, PartnerRecord, TokenState


async def invite(engine: EngineContext, token_a: Secret | None = None) -> Invitation:
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
    recorder = engine.recorder(run.id, key, [token], kind="invite", partner_id=partner.id)
    engine.receiver.invite(key, token)
    recorder.emit(
        StepStarted(
            f"Invited a partner: TOKEN_A {token.fingerprint}, our versions URL {engine.our_versions_url}",
            step="invited",
        )
    )
    # stored now: the recorder buffers entries until a state change, and an invitation has
    # none until the partner registers, so the log pane showed this line while the run's
    # transcript (selected later, exported) had none
    recorder.flush()
    return Invitation(run.id, partner.id, engine.our_versions_url, token)


async def wait_for_registration(
    engine: EngineContext, invitation: Invitation, timeout: float | None
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
        recorder = engine.recorder_for(key)
        if recorder:
            recorder.emit(StepDone(diagnosis.message, Level.ERROR, step="invited"))
        engine.release(key)  # the run ended: its last lines stored with it
        return engine.finished(
            RunResult(
                "failed",
                invitation.run_id,
                kind="invite",
                partner_id=invitation.partner_id,
                diagnosis=diagnosis,
            )
        )
    finally:
        engine.invite_waiters.pop(key, None)
    partner = vault.partner(invitation.partner_id)
    inbound = engine.inbound_record(partner)  # its fingerprint: nothing to decrypt
    session = engine.receiver.sessions.get(key)
    recorder = engine.recorder_for(key)
    warnings = list(session.warnings) if session is not None else []
    if recorder is not None:
        warnings = [recorder.transcript.redactor.diagnosis(w) for w in warnings]
    engine.release(key)
    result = RunResult(
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
        token_c_fingerprint=inbound.fingerprint if inbound else None,
        mutual_discovery="complete",
        warnings=warnings,
    )
    return engine.finished(result)
