"""Rows that did not end well: abandon, forget, what they offer; a sandbox that is gone.

Real sandbox partners on loopback, a real vault file; no GUI.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.core.diagnosis import OnboardingError
from app.core.tokens import TokenRole
from app.engine.health import FAILING, UNKNOWN, WARNING, partners_health
from app.engine.results import RunResult
from app.engine.rows import abandon_run, forget, live_twin, offers
from app.sandbox import Fault
from app.vault import TokenState, Vault
from tests.engine.conftest import started_engine
from tests.support.aio import run


def test_a_discovery_left_open_is_cancelled_and_offers_retry_with_its_unspent_token(
    vault: Vault,
) -> None:
    async def scenario() -> tuple[int, str]:
        async with started_engine(vault) as engine:
            url, token_a = await engine.start_sandbox()
            reg = engine.registration(url, token_a)
            await reg.discover()
            await reg.aclose()
            assert reg.partner_id is not None and reg.run_id is not None
            return reg.partner_id, reg.run_id

    partner_id, run_id = run(scenario())
    assert vault.run(run_id).outcome == "running"  # the bug: a closed wizard left it so
    ended = abandon_run(vault, run_id)
    assert ended.outcome == "cancelled"
    partner = vault.partner(partner_id)
    verdict = partners_health(vault, [partner])[partner_id]
    assert "run.cancelled" in verdict.codes() and verdict.level == FAILING  # sandbox gone too
    offered = offers(vault, partner)
    assert offered.retry and offered.forget and offered.resume_run is None
    assert offered.token_a is not None and offered.token_a.state == TokenState.PENDING
    assert offered.versions_url and not offered.token_a_spent


def test_after_the_post_the_token_a_is_spent_and_never_offered(vault: Vault) -> None:
    async def scenario() -> int:
        async with started_engine(vault) as engine:
            url, token_a = await engine.start_sandbox(fault=Fault.OCPI_2001.value)
            result = await engine.register(url, token_a)
            assert result.status == "failed" and result.partner_id is not None
            return result.partner_id

    partner_id = run(scenario())
    offered = offers(vault, vault.partner(partner_id))
    assert offered.retry and offered.token_a is None
    assert offered.token_a_spent.startswith("A·")


def test_forget_retires_the_tokens_and_is_in_the_history_and_the_audit(vault: Vault) -> None:
    async def scenario() -> int:
        async with started_engine(vault) as engine:
            url, token_a = await engine.start_sandbox(fault=Fault.HTML_500.value)
            result = await engine.register(url, token_a)
            assert result.partner_id is not None
            return result.partner_id

    partner_id = run(scenario())
    live = [c for c in vault.tokens(partner_id) if c.state in ("pending", "active")]
    assert live, "a failed row still holds its TOKEN_A"
    record = forget(vault, partner_id)
    assert record.state == "forgotten" and record.outcome == "succeeded"
    assert all(c.state not in ("pending", "active") for c in vault.tokens(partner_id))
    assert record.data["retired"] == [c.fingerprint for c in live]
    verdict = partners_health(vault, [vault.partner(partner_id)])[partner_id]
    assert verdict.codes() == ["row.forgotten"] and verdict.level == UNKNOWN
    actions = [e.action for e in vault.audit.events(partner_id=partner_id)]
    assert "forget" in actions and "unregister" not in actions
    assert not offers(vault, vault.partner(partner_id)).forget
    with pytest.raises(ValueError, match="only a failed or unfinished row"):
        registered = run(_registered(vault))
        forget(vault, registered)


async def _registered(vault: Vault) -> int:
    async with started_engine(vault) as engine:
        url, token_a = await engine.start_sandbox()
        result = await engine.register(url, token_a)
        assert result.partner_id is not None
        return result.partner_id


def test_an_invitation_nobody_answered_ends_and_says_so(vault: Vault) -> None:
    async def scenario() -> tuple[int, str]:
        async with started_engine(vault) as engine:
            invitation = await engine.invite()
            return invitation.partner_id, invitation.run_id

    partner_id, run_id = run(scenario())
    assert abandon_run(vault, run_id).outcome == "cancelled"
    partner = vault.partner(partner_id)
    assert partner.status == "failed"
    a = vault.tokens(partner_id, role=TokenRole.A)
    assert [c.state for c in a] == [TokenState.REVOKED]
    verdict = partners_health(vault, [partner])[partner_id]
    assert verdict.level == FAILING and verdict.worst is not None
    assert "cancelled" in verdict.worst.message.lower()


def test_an_invitation_that_timed_out_keeps_its_lines(vault: Vault) -> None:
    """Its first line and its timeout are in its transcript (they stayed in the recorder's
    buffer: an invitation has no state change before the partner registers)."""

    async def scenario() -> tuple[list[dict[str, Any]], RunResult]:
        async with started_engine(vault) as engine:
            invitation = await engine.invite()
            result = await engine.wait_for_registration(invitation, timeout=0.01)
            # read while the engine runs on (as the app's does): closing it stores the rest
            return vault.transcript(invitation.run_id), result

    stored, result = run(scenario())
    assert result.status == "failed" and result.diagnosis is not None
    said = [str(entry.get("message")) for entry in stored]
    assert said[0].startswith("Invited a partner"), said
    assert any(result.diagnosis.message in line for line in said), said


def test_a_gone_sandbox_is_named_by_check_and_unregister_ends_it_locally(vault: Vault) -> None:
    partner_id = run(_registered(vault))

    async def later() -> tuple[str, str, list[str]]:
        async with started_engine(vault) as engine:  # a new session: the sandbox is gone
            with pytest.raises(OnboardingError) as refused:
                await engine.check(partner_id)
            result = await engine.unregister(partner_id)
            return refused.value.diagnosis.code, result.status, [w.code for w in result.warnings]

    code, status, warnings = run(later())
    assert code == "sandbox.not_running"
    assert status == "unregistered" and warnings == ["sandbox.not_running"]
    assert all(c.state not in ("pending", "active") for c in vault.tokens(partner_id))


def test_live_twin_finds_the_working_registration_a_new_one_would_replace(vault: Vault) -> None:
    partner_id = run(_registered(vault))
    partner = vault.partner(partner_id)
    assert live_twin(vault, "", "nl", "sbx") == partner
    assert live_twin(vault, partner.versions_url + "/") == partner
    assert live_twin(vault, "https://elsewhere.example/ocpi/versions") is None
    assert live_twin(vault, "", "DE", "XXX") is None


def test_no_callback_then_check_keeps_the_discovery_warning(vault: Vault) -> None:
    async def scenario() -> str:
        async with started_engine(vault) as engine:
            url, token_a = await engine.start_sandbox(fault=Fault.NO_CALLBACK.value)
            result = await engine.register(url, token_a)
            await engine.check(result.partner_id)  # type: ignore[arg-type]
            partner = vault.partner(result.partner_id)  # type: ignore[arg-type]
            verdict = partners_health(vault, [partner], engine.running_sandboxes())
            return verdict[partner.id].level  # type: ignore[index]

    assert run(scenario()) == WARNING
