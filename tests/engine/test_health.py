"""Partner health: the two traps (TOKEN_C refused, mutual discovery incomplete) never look ok.

Registrations run against the real sandbox partner on loopback into a real vault file; the
verdict comes from `app.engine.health`, the one place the CLI and the GUI ask.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.engine.health import (
    FAILING,
    OK,
    UNKNOWN,
    WARNING,
    Finding,
    assess,
    partners_health,
)
from app.sandbox import Fault
from app.vault import Vault
from app.vault.facts import latest_runs
from tests.engine.conftest import started_engine
from tests.support.aio import run


async def _sandbox_registration(vault: Vault, fault: Fault, *, check: bool = False) -> dict:  # type: ignore[type-arg]
    """Register with an engine-started sandbox; health while it runs and after it stopped."""
    async with started_engine(vault) as engine:
        url, token_a = await engine.start_sandbox(fault=fault.value)
        result = await engine.register(url, token_a)
        assert result.status == "registered", result.diagnosis
        if check:
            await engine.check(result.partner_id)
        partner = vault.partner(result.partner_id)
        live = partners_health(vault, [partner], engine.running_sandboxes())[partner.id]
    after = partners_health(vault, [vault.partner(result.partner_id)])[partner.id]
    return {"result": result, "live": live, "after": after, "partner": partner}


@pytest.mark.parametrize(
    ("fault", "level", "code"),
    [
        (Fault.NONE, OK, None),
        (Fault.UNAUTHORIZED_AFTER, FAILING, "token.c_rejected"),
        (Fault.NO_CALLBACK, WARNING, "reg.discovery_incomplete"),
        (Fault.PLAIN_TOKEN, OK, None),
    ],
)
def test_health_after_a_sandbox_registration(
    vault: Vault, fault: Fault, level: str, code: str | None
) -> None:
    seen = run(_sandbox_registration(vault, fault))
    live = seen["live"]
    assert live.level == level, live
    assert live.sandbox is True
    if code is None:
        assert live.findings == ()
    else:
        assert live.codes()[0] == code
        worst = live.worst
        assert worst is not None and worst.message and worst.hint and worst.label
    # the sandbox lived in that engine: afterwards nothing answers there, and it says so
    # the run's history names the problem, while the registration itself stands
    recorded = vault.run(seen["result"].run_id)
    assert recorded.outcome == "succeeded"
    assert (recorded.diagnosis or {}).get("code") == code
    after = seen["after"]
    assert after.level == FAILING
    assert "sandbox.not_running" in after.codes()
    if code is not None:
        assert code in after.codes()


def test_refused_token_c_stays_failing_after_a_failed_check(vault: Vault) -> None:
    seen = run(_sandbox_registration(vault, Fault.UNAUTHORIZED_AFTER, check=True))
    assert seen["live"].level == FAILING
    assert seen["live"].codes() == ["token.c_rejected"]


def test_a_successful_check_confirms_an_unverified_registration(vault: Vault) -> None:
    async def scenario() -> tuple[str, str]:
        async with started_engine(vault) as engine:
            url, token_a = await engine.start_sandbox()
            result = await engine.register(url, token_a, verify=False)
            partner = vault.partner(result.partner_id)
            running = engine.running_sandboxes()
            before = partners_health(vault, [partner], running)[partner.id]
            await engine.check(partner.id)
            after = partners_health(vault, [vault.partner(partner.id)], running)[partner.id]
            assert before.codes() == ["reg.not_verified"]
            return before.level, after.level

    assert run(scenario()) == (UNKNOWN, OK)


def test_old_runs_without_a_recorded_verification_are_judged_from_their_warnings(
    vault: Vault,
) -> None:
    seen = run(_sandbox_registration(vault, Fault.UNAUTHORIZED_AFTER))
    partner = seen["partner"]
    runs = latest_runs(vault, [partner.id])[partner.id]
    register = runs["register"]
    data = {k: v for k, v in register.data.items() if k != "verify"}
    old = {**runs, "register": replace(register, data=data)}
    verdict = assess(partner, old)
    assert verdict.level == FAILING and verdict.codes() == ["token.c_rejected"]


def test_failed_pending_and_ended_rows(vault: Vault) -> None:
    async def scenario() -> None:
        async with started_engine(vault) as engine:
            url, token_a = await engine.start_sandbox(fault=Fault.OCPI_2001.value)
            result = await engine.register(url, token_a)
            assert result.status == "failed"
            failed = vault.partner(result.partner_id)
            verdict = partners_health(vault, [failed], engine.running_sandboxes())[failed.id]
            assert failed.status == "failed" and verdict.level == FAILING
            assert verdict.worst is not None and verdict.worst.code == result.diagnosis.code  # type: ignore[union-attr]

            invitation = await engine.invite()
            waiting = vault.partner(invitation.partner_id)
            verdict = partners_health(vault, [waiting])[waiting.id]
            assert verdict.level == UNKNOWN and verdict.codes() == ["invite.waiting"]

    run(scenario())


def test_extra_findings_are_the_hook_for_later_checks(vault: Vault) -> None:
    seen = run(_sandbox_registration(vault, Fault.NONE))
    partner = seen["partner"]
    drift = Finding(
        "check.drift", WARNING, "The partner's endpoints changed.", "Accept it.", "drift"
    )
    verdicts = partners_health(
        vault, [partner], [partner.versions_url], extra=lambda p: [drift] if p.id else []
    )
    assert verdicts[partner.id].level == WARNING
    assert verdicts[partner.id].codes() == ["check.drift"]
    assert verdicts[partner.id].warnings_json()[0] == {
        "code": "check.drift",
        "message": "The partner's endpoints changed.",
        "hint": "Accept it.",
        "level": "warning",
    }


def test_a_refused_token_c_counts_as_the_partners_last_check(vault: Vault) -> None:
    """The registration's check with TOKEN_C ran and was refused: the partner was checked
    (its detail said "never checked" beside "TOKEN_C refused"); a passed one likewise."""
    for fault in (Fault.UNAUTHORIZED_AFTER, Fault.NONE):
        seen = run(_sandbox_registration(vault, fault))
        assert seen["partner"].last_checked, fault
