"""Our endpoint's Receiver side, persisted: the engine's `ReceiverHooks`.

The partner POSTs to our endpoint with TOKEN_A; ReceiverService fetches their versions and
details with their TOKEN_B and awaits `registered`, which stores TOKEN_B (outbound), TOKEN_C
(inbound) and the partner, consumes TOKEN_A and finishes the run, all in one transaction,
before the answer carrying TOKEN_C leaves. A PUT (`updated`) and a DELETE (`unregistered`)
are stored the same way, before they take effect.
"""

from __future__ import annotations

from dataclasses import replace

from app.callback.receiver import PeerSession
from app.core.events import StepDone
from app.core.tokens import Secret, TokenRole
from app.core.transcript import Transcript
from app.core.vocabulary import Request
from app.engine.baseline import snapshot_registration
from app.engine.context import EngineContext, crash_point, partner_id_of
from app.engine.progress import StepKey, StepStatus
from app.vault import Direction, PartnerRecord, TokenState

FETCH_STEPS = {
    "callback_versions": StepKey.FETCH_VERSIONS,
    "callback_details": StepKey.FETCH_DETAILS,
}


class VaultReceiverHooks:
    """ReceiverHooks over the engine's vault and recorders (built once per engine)."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def transcript_for(self, session: PeerSession) -> Transcript:
        recorder = self.ctx.recorder_for(session.key)
        if recorder is None:  # a registered partner's PUT or DELETE opens a run of its own
            partner_id = partner_id_of(session.key)
            run = self.ctx.vault.start_run("invite", partner_id, state="credentials_received")
            recorder = self.ctx.recorder(run.id, session.key, kind="invite", partner_id=partner_id)
        return recorder.transcript

    def fetched(
        self, session: PeerSession, request: Request, token: str, status: int | None
    ) -> None:
        """We called the partner back with its TOKEN_B (`token`: its fingerprint) while
        answering its POST."""
        recorder = self.ctx.recorder_for(session.key)
        step = FETCH_STEPS.get(request.purpose)
        if recorder is None or step is None or session.status != "invited":
            return
        ok = status is not None and 200 <= status < 300
        recorder.step(
            StepKey.THEIR_READ, StepStatus.DONE, state="credentials_received", only_open=True
        )
        recorder.step(
            StepKey.THEIR_POST,
            StepStatus.RUNNING,
            state="credentials_received",
            detail="received; checking the partner before answering",
        )
        recorder.step(
            step,
            StepStatus.DONE if ok else StepStatus.FAILED,
            state="credentials_received",
            detail=f"with {token}: HTTP {status or 'none'}",
            tokens=(token,),
        )
        if step == StepKey.FETCH_VERSIONS and ok:
            recorder.step(StepKey.FETCH_DETAILS, StepStatus.RUNNING, state="credentials_received")

    async def registered(self, session: PeerSession, token_c: Secret, token_b: Secret) -> None:
        # the operations' helpers (httpx, pydantic) load with the first inbound call (issue 13)
        from app.engine.bookkeeping import replace_same_identity

        vault = self.ctx.vault
        partner_id = partner_id_of(session.key)
        assert session.partner is not None
        first = session.partner.roles[0]
        recorder = self.ctx.recorder_for(session.key)
        run_id = recorder.run_id if recorder else None
        if recorder:
            recorder.add_secret(token_c)
            recorder.add_secret(token_b)
        with vault.transaction():
            replace_same_identity(vault, partner_id, first.country_code, first.party_id)
            vault.add_token(
                partner_id, TokenRole.B, Direction.OUTBOUND, token_b, TokenState.ACTIVE, run_id
            )
            # an active TOKEN_C consumes the partner's TOKEN_A in this transaction (the vault)
            vault.add_token(
                partner_id, TokenRole.C, Direction.INBOUND, token_c, TokenState.ACTIVE, run_id
            )
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
            snapshot_registration(vault, partner_id, None)
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
            for key in (
                StepKey.THEIR_READ,
                StepKey.THEIR_POST,
                StepKey.FETCH_VERSIONS,
                StepKey.FETCH_DETAILS,
            ):
                recorder.step(key, StepStatus.DONE, state="registered", only_open=True)
            recorder.step(
                StepKey.TOKEN_C,
                StepStatus.DONE,
                state="registered",
                detail=token_c.fingerprint,
                tokens=(token_c.fingerprint, token_b.fingerprint),
            )
            recorder.flush()
        waiter = self.ctx.invite_waiters.get(session.key)
        if waiter is not None and not waiter.done():
            waiter.set_result(partner_id)

    async def updated(
        self, session: PeerSession, new_inbound: Secret, new_outbound: Secret
    ) -> None:
        from app.engine.roster import record_roster_change

        vault = self.ctx.vault
        partner_id = partner_id_of(session.key)
        we_registered = session.role == "sender"  # they present B to us, we present C
        in_role = TokenRole.B if we_registered else TokenRole.C
        out_role = TokenRole.C if we_registered else TokenRole.B
        record_roster_change(self.ctx, partner_id, session)
        with vault.transaction():
            for cred in vault.tokens(partner_id, state=TokenState.ACTIVE):
                if cred.role != TokenRole.A:
                    vault.set_token_state(cred.id, TokenState.SUPERSEDED)
            vault.add_token(partner_id, in_role, Direction.INBOUND, new_inbound, TokenState.ACTIVE)
            vault.add_token(
                partner_id, out_role, Direction.OUTBOUND, new_outbound, TokenState.ACTIVE
            )

    async def unregistered(self, session: PeerSession) -> None:
        from app.engine.bookkeeping import retire_live_tokens

        vault = self.ctx.vault
        partner_id = partner_id_of(session.key)
        with vault.transaction():
            retire_live_tokens(vault, partner_id, TokenState.REVOKED)
            partner = vault.partner(partner_id)
            vault.save_partner(replace(partner, status="unregistered"))
