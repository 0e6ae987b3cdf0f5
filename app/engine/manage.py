"""Registered partners: rotate (PUT), unregister (DELETE) and check (GET with TOKEN_C).

Rotation keeps the old pair valid until the partner's answer is stored (ocpi/ocpi#568): the
new inbound token is stored pending and accepted by our endpoint before the PUT; the new
outbound token replaces the old one in the same transaction that supersedes the old pair.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from app.callback.tokenbook import Stage
from app.core.diagnosis import Diagnosis, OnboardingError, diagnose
from app.core.events import Event, Level, StepDone, StepStarted
from app.core.judging import choose_version
from app.core.models import parse_version_details
from app.core.ocpi import canonical_version
from app.core.rotation import UpdateHandshake
from app.core.runner import UpdateHooks, drive_update
from app.core.tokens import Secret, TokenRole, generate_token
from app.engine.baseline import assess, token_age_days
from app.engine.bookkeeping import retire_live_tokens
from app.engine.context import EngineContext, crash_point, internal_failure
from app.engine.operation import Operation, credentials_url, peer_of
from app.engine.results import RunResult
from app.vault import Direction, TokenState
from app.vault.records import now_iso

# the names verify.py, modules.py and reregister.py knew (app/engine/operation.py now)
_Op = Operation
_peer = peer_of
_credentials_url = credentials_url


async def check_served(engine: EngineContext, ref: int | str) -> RunResult:
    """`check`, refused at once (no network) for a sandbox partner whose sandbox is gone."""
    engine.refuse_gone_sandbox(ref)
    return await check(engine, ref)


async def check(engine: EngineContext, ref: int | str) -> RunResult:
    """GET versions and the negotiated version's details with the current outbound token."""
    await engine.start()
    op = Operation(engine, ref, "check")

    async def body() -> RunResult:
        op.recorder.emit(
            StepStarted(f"Check {op.partner.ref} with {op.outbound.fingerprint}", step="check")
        )
        envelope = await op.get(op.partner.versions_url, None)
        offered = _version_names(envelope.data)
        endpoints = op.partner.endpoints
        try:
            chosen, url, _offered = choose_version(envelope.data, op.partner.ocpi_version)
        except OnboardingError as exc:
            if exc.diagnosis.code != "ocpi.no_mutual_version":
                raise
            op.recorder.diagnosis(exc.diagnosis.as_warning())
        else:
            details = parse_version_details((await op.get(url, canonical_version(chosen))).data)
            endpoints = [e.model_dump() for e in details.endpoints]
        with op.vault.transaction():
            saved = op.vault.save_partner(
                replace(
                    op.partner,
                    endpoints=endpoints,
                    last_checked=now_iso(),
                    token_encoding=op.encoding.stored_value,
                )
            )
            drift = assess(op.vault, saved, offered, op.run.id)
            op.vault.mark_used(op.out_id)
            tls_days = op.http.certificate_days(op.partner.versions_url)
            op.vault.update_run(
                op.run.id,
                state="checked",
                outcome="succeeded",
                data={"drift": drift, "tls_expires_days": tls_days},
            )
        for item in drift:
            op.recorder.emit(
                Event(f"Drift: {item['what']}: {item['before']} -> {item['after']}", Level.WARNING)
            )
        op.recorder.emit(
            StepDone(
                f"{op.partner.ref} answers {op.outbound.fingerprint}: connection OK", step="check"
            )
        )
        result = op.result("ok", op.partner.ocpi_version, op.warnings + op.encoding.warnings)
        result.extra["drift"] = drift
        return result

    result = await op.guard(body)
    assert op.partner.id is not None
    result.extra.setdefault("drift", [])
    result.extra["token_age_days"] = token_age_days(op.vault, op.partner.id)
    result.extra["tls_expires_days"] = op.http.certificate_days(op.partner.versions_url)
    return result


def _version_names(data: object) -> list[str] | None:
    """The versions a partner lists (None if the answer is not a list)."""
    if not isinstance(data, list):
        return None
    return [str(v.get("version")) for v in data if isinstance(v, dict) and v.get("version")]


async def unregister(engine: EngineContext, ref: int | str) -> RunResult:
    """DELETE our credentials at the partner; both sides' tokens for it are revoked."""
    await engine.start()
    op = Operation(engine, ref, "unregister")
    url = credentials_url(op.partner)

    async def body() -> RunResult:
        if engine.sandbox_gone(op.partner):  # nobody to tell: end it here, and say so
            gone = diagnose("sandbox.not_running", op.partner.versions_url).as_warning()
            op.recorder.diagnosis(gone)
            _revoke_all(op)
            return op.result("unregistered", op.partner.ocpi_version, [gone])
        if url is None:
            raise OnboardingError(diagnose("ocpi.no_credentials_endpoint"))
        op.recorder.emit(
            StepStarted(
                f"Unregister from {op.partner.ref} with {op.outbound.fingerprint}",
                step="unregister",
            )
        )
        op.vault.update_run(op.run.id, state="delete_sent")
        crash_point("delete_sent")
        warning: Diagnosis | None = None
        try:
            await op.send(url, op.partner.ocpi_version, "DELETE", "unregister")
        except OnboardingError as exc:
            if exc.diagnosis.code != "reg.not_registered":
                raise
            warning = exc.diagnosis  # they do not know us any more: clean up our side too
            op.recorder.diagnosis(warning)
        _revoke_all(op)
        op.recorder.emit(
            StepDone(
                f"Unregistered from {op.partner.ref}; its tokens are revoked", step="unregister"
            )
        )
        warnings = op.warnings + ([warning] if warning else [])
        return op.result("unregistered", op.partner.ocpi_version, warnings)

    return await op.guard(body, cancelled_outcome="interrupted")


def _revoke_all(op: Operation) -> None:
    assert op.partner.id is not None
    with op.vault.transaction():
        retire_live_tokens(op.vault, op.partner.id, TokenState.REVOKED)
        op.vault.save_partner(replace(op.partner, status="unregistered"))
        op.vault.update_run(op.run.id, state="unregistered", outcome="succeeded")
    op.engine.receiver.forget(op.key)


async def rotate(engine: EngineContext, ref: int | str, version: str | None = None) -> RunResult:
    """PUT our credentials with a new inbound token; store the partner's new token.

    `version`: PUT at this OCPI version instead of the registered one (the guided upgrade
    of OCPI credentials "Updating to a newer version")."""
    await engine.start()
    op = Operation(engine, ref, "rotate")
    partner_id = op.partner.id
    assert partner_id is not None
    if op.inbound is None:
        await op.close()
        return op.failed(diagnose("vault.no_token_c", op.partner.ref))
    in_role = op.inbound.role or (TokenRole.B if op.partner.our_role == "sender" else TokenRole.C)
    machine = UpdateHandshake(
        op.partner.versions_url,
        op.outbound,
        op.inbound,
        engine.us,
        preferred_version=version or op.partner.ocpi_version,
    )
    new_cred: list[int] = []

    async def issue_token(m: UpdateHandshake) -> Secret:
        token = Secret(generate_token(), in_role)
        op.recorder.add_secret(token)
        with op.vault.transaction():
            cred = op.vault.add_token(
                partner_id, in_role, Direction.INBOUND, token, TokenState.PENDING, op.run.id
            )
            op.vault.update_run(op.run.id, state="token_stored")
        new_cred.append(cred.id)
        engine.tokens.grant(token, op.key, Stage.REGISTERED, m.ocpi_version)
        crash_point("token_stored")
        return token

    async def before_put(m: UpdateHandshake) -> None:
        op.vault.update_run(op.run.id, state="put_sent")
        crash_point("put_sent")

    async def updated(m: UpdateHandshake) -> None:
        assert m.new_outbound is not None and m.new_inbound is not None and m.partner is not None
        op.recorder.add_secret(m.new_outbound)
        with op.vault.transaction():
            op.vault.add_token(
                partner_id,
                op.outbound.role or TokenRole.C,
                Direction.OUTBOUND,
                m.new_outbound,
                TokenState.ACTIVE,
                op.run.id,
            )
            op.vault.set_token_state(op.out_id, TokenState.SUPERSEDED)
            if op.in_id is not None:
                op.vault.set_token_state(op.in_id, TokenState.SUPERSEDED)
            op.vault.set_token_state(new_cred[0], TokenState.ACTIVE)
            op.vault.save_partner(
                replace(
                    op.partner,
                    ocpi_version=m.ocpi_version,
                    versions_url=m.partner.url,
                    token_encoding=op.encoding.stored_value,
                )
            )
            op.vault.update_run(op.run.id, state="updated", outcome="succeeded")
        engine.tokens.revoke(op.inbound)  # type: ignore[arg-type]
        engine.tokens.forget_outbound(op.outbound)
        engine.tokens.remember_outbound(m.new_outbound, op.key)
        session = engine.receiver.sessions.get(op.key)
        if session is not None:
            session.our_token = m.new_inbound
            session.their_token = m.new_outbound
        crash_point("updated")

    try:
        op.recorder.emit(StepStarted(f"Rotate credentials with {op.partner.ref}", step="rotate"))
        await drive_update(
            machine, op.http, UpdateHooks(issue_token, before_put, updated), op.encoding
        )
        assert machine.new_outbound is not None and machine.new_inbound is not None
        warnings = [
            op.recorder.transcript.redactor.diagnosis(w)
            for w in machine.warnings + op.encoding.warnings
        ]
        for warning in warnings:
            op.recorder.diagnosis(warning)
        op.recorder.emit(
            StepDone(
                f"Rotated: we now present {machine.new_outbound.fingerprint} and accept {machine.new_inbound.fingerprint};"
                f" {op.outbound.fingerprint} and {op.inbound.fingerprint} retired",
                step="rotate",
            )
        )
        return RunResult(
            "rotated",
            op.run.id,
            kind="rotate",
            partner_id=op.partner.id,
            peer=peer_of(op.partner),
            ocpi_version=machine.ocpi_version,
            token_c_fingerprint=machine.new_outbound.fingerprint,
            mutual_discovery="complete" if op.engine.embedded else "unknown",
            warnings=warnings,
        )
    except (OnboardingError, asyncio.CancelledError, Exception) as exc:
        if isinstance(exc, OnboardingError):
            diagnosis = exc.diagnosis
        elif isinstance(exc, asyncio.CancelledError):
            diagnosis = diagnose("reg.cancelled")
        else:
            diagnosis = internal_failure(exc).diagnosis
        sent = (
            machine.state.value in ("put_sent", "failed")
            and any(r.kind == "rotate" for r in [op.vault.run(op.run.id)])
            and op.vault.run(op.run.id).state == "put_sent"
        )
        unknown = sent and diagnosis.code in ("net.post_timeout", "net.reset", "reg.cancelled")
        if new_cred and not unknown:
            op.vault.set_token_state(new_cred[0], TokenState.REVOKED)
            if machine.new_inbound is not None:
                engine.tokens.revoke(machine.new_inbound)
        result = op.failed(diagnosis, "interrupted" if unknown else "failed")
        if isinstance(exc, asyncio.CancelledError):
            raise
        return result
    finally:
        await op.close()
