"""Rotation by DELETE and a new registration, for hubs that cannot rotate by PUT (GIREVE:
docs/ocpi-facts.md, "rotation"): one run, written before each side effect.

Order (a hub allows one live registration): the run is stored (`new`), then marked
`delete_sent` before the DELETE with the current TOKEN_C; once the hub accepted it the run
is `deleted` and the old partner row says `unregistered` (true: the hub no longer knows
us) while its tokens are kept, retired, until the new TOKEN_C works; then `registering`
with the fresh TOKEN_A. A registration that succeeds replaces the old row (its tokens are
superseded in the same transaction that stores the new TOKEN_C). One that fails leaves the
old row and says what to ask the hub for. A killed process finds the run at its last
state; `runs` shows it with that advice.
"""

from __future__ import annotations

from dataclasses import replace

from app.core.diagnosis import Diagnosis, OnboardingError, diagnose
from app.core.events import StepDone, StepStarted
from app.core.tokens import Secret
from app.engine.context import EngineContext, crash_point, internal_failure
from app.engine.manage import rotate
from app.engine.operation import Operation, credentials_url, peer_of
from app.engine.partner_profile import stored_profile
from app.engine.register import Registration
from app.engine.results import RunResult


async def rotate_as_profiled(
    engine: EngineContext, ref: int | str, token_a: Secret | None
) -> RunResult:
    """The partner profile's rotation: "put", or "delete-register" (also whenever a fresh
    TOKEN_A is given: the person asked for that path)."""
    await engine.start()
    partner = engine.partner(ref)
    profile = stored_profile(engine.vault, partner)
    if token_a is None and profile.rotation != "delete-register":
        return await rotate(engine, ref)
    if token_a is None:
        op = Operation(engine, ref, "rotate")
        await op.close()
        return op.failed(diagnose("reg.rotation_needs_token_a", partner.ref))
    return await delete_and_register(engine, ref, token_a)


async def delete_and_register(engine: EngineContext, ref: int | str, token_a: Secret) -> RunResult:
    op = Operation(engine, ref, "rotate")
    old = op.partner
    assert old.id is not None
    profile = op.profile
    vault = engine.vault
    url = credentials_url(old)
    versions_url = old.versions_url
    vault.update_run(op.run.id, data={"path": "delete-register", "old_partner_id": old.id})
    warnings: list[Diagnosis] = []

    async def delete() -> None:
        if url is None:
            raise OnboardingError(diagnose("ocpi.no_credentials_endpoint"))
        op.recorder.emit(
            StepStarted(
                f"Rotate {old.ref} by DELETE and a new registration: DELETE with"
                f" {op.outbound.fingerprint}",
                step="delete_sent",
            )
        )
        op.vault.update_run(op.run.id, state="delete_sent")
        crash_point("rr_delete_sent")
        try:
            await op.send(url, old.ocpi_version, "DELETE", "unregister")
        except OnboardingError as exc:
            if exc.diagnosis.code != "reg.not_registered":
                raise
            warnings.append(exc.diagnosis.as_warning())  # already gone at the hub: go on
            op.recorder.diagnosis(exc.diagnosis.as_warning())
        with vault.transaction():
            vault.save_partner(replace(old, status="unregistered"))
            vault.update_run(op.run.id, state="deleted")
        engine.receiver.forget(op.key)
        crash_point("rr_deleted")

    try:
        await delete()
    except OnboardingError as exc:  # nothing changed: the old credentials still work
        await op.close()
        return op.failed(exc.diagnosis)
    except Exception as exc:
        await op.close()
        return op.failed(internal_failure(exc).diagnosis)
    await op.close()

    op.recorder.emit(
        StepStarted(
            f"Register again with the fresh TOKEN_A {token_a.fingerprint}", step="registering"
        )
    )
    registration = Registration(engine, versions_url, token_a, profile=profile)
    try:
        result = await registration.run()
    except OnboardingError as exc:
        return _reregister_failed(op, exc.diagnosis, versions_url, None)
    finally:
        await registration.aclose()
    vault.update_run(op.run.id, state="registering", data={"register_run_id": result.run_id})
    if result.status != "registered":
        assert result.diagnosis is not None
        return _reregister_failed(op, result.diagnosis, versions_url, result.run_id)
    vault.update_run(op.run.id, state="rotated", outcome="succeeded")
    op.recorder.emit(
        StepDone(
            f"Rotated {old.ref} by DELETE and a new registration: we now present"
            f" {result.token_c_fingerprint}; {op.outbound.fingerprint} retired",
            step="rotated",
        )
    )
    op.recorder.flush()
    return RunResult(
        "rotated",
        op.run.id,
        kind="rotate",
        partner_id=result.partner_id,
        peer=result.peer or peer_of(old),
        ocpi_version=result.ocpi_version,
        token_c_fingerprint=result.token_c_fingerprint,
        mutual_discovery=result.mutual_discovery,
        warnings=warnings + list(result.warnings),
        extra={"rotation": "delete-register", "register_run_id": result.run_id},
    )


def _reregister_failed(
    op: Operation, cause: Diagnosis, versions_url: str, register_run: str | None
) -> RunResult:
    """The hub let us go but did not take us back: say exactly what to ask it for."""
    diagnosis = diagnose(
        "reg.reregister_failed",
        cause.message,
        peer=op.partner.ref,
        versions_url=versions_url,
    )
    op.vault.update_run(
        op.run.id, state="deleted", data={"register_run_id": register_run, "cause": cause.code}
    )
    result = op.failed(diagnosis)
    result.extra = {"rotation": "delete-register", "register_run_id": register_run}
    return result
