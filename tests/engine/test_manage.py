"""Rotate (PUT), check and unregister (DELETE) against the sandbox; invite as Receiver."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from app.core.diagnosis import OnboardingError
from app.core.tokens import Secret, TokenRole, generate_token
from app.engine import Engine, Identity
from app.sandbox import SandboxPartner
from app.vault import Direction, TokenState, Vault
from tests.conftest import TEST_PASSPHRASE
from tests.engine.conftest import FAST, started_engine
from tests.support.aio import run

if TYPE_CHECKING:
    import httpx


def _active(vault: Vault, partner_id: int) -> dict[tuple[TokenRole, Direction], str]:
    return {
        (c.role, c.direction): c.fingerprint
        for c in vault.tokens(partner_id, state=TokenState.ACTIVE)
    }


def test_rotate_check_unregister_cycle(vault: Vault) -> None:
    async def scenario() -> None:
        token_a = Secret(generate_token(), TokenRole.A)
        async with SandboxPartner(token_a, versions=("2.2.1",), http_settings=FAST) as sandbox:
            async with started_engine(vault) as engine:
                registered = await engine.register(sandbox.versions_url, token_a)
                assert registered.status == "registered"
                pid = registered.partner_id
                assert pid is not None
                before = _active(vault, pid)

                checked = await engine.check("NL-SBX")
                assert checked.status == "ok", checked.diagnosis
                assert vault.partner(pid).last_checked

                rotated = await engine.rotate("nl-sbx")
                assert rotated.status == "rotated", rotated.diagnosis
                after = _active(vault, pid)
                assert (
                    after[(TokenRole.C, Direction.OUTBOUND)]
                    != before[(TokenRole.C, Direction.OUTBOUND)]
                )
                assert (
                    after[(TokenRole.B, Direction.INBOUND)]
                    != before[(TokenRole.B, Direction.INBOUND)]
                )
                assert rotated.token_c_fingerprint == after[(TokenRole.C, Direction.OUTBOUND)]
                superseded = [c.fingerprint for c in vault.tokens(pid, state=TokenState.SUPERSEDED)]
                assert before[(TokenRole.C, Direction.OUTBOUND)] in superseded
                # the partner re-fetched our endpoints with the new TOKEN_B during the PUT
                put_run = vault.transcript(rotated.run_id)
                inbound = [e for e in put_run if e.get("direction") == "inbound"]
                assert inbound and all(
                    e["token"] == after[(TokenRole.B, Direction.INBOUND)] for e in inbound
                )
                # the new pair works
                assert (await engine.check(pid)).status == "ok"

                gone = await engine.unregister(pid)
                assert gone.status == "unregistered", gone.diagnosis
                assert not vault.tokens(pid, state=TokenState.ACTIVE)
                assert vault.partner(pid).status == "unregistered"
                assert sandbox.session().status == "unregistered"  # type: ignore[union-attr]

    run(scenario())


def test_check_of_unknown_partner_is_diagnosed(vault: Vault) -> None:
    async def scenario() -> str:
        async with started_engine(vault) as engine:
            try:
                await engine.check("XX-NOP")
            except Exception as exc:  # VaultError
                return exc.diagnosis.code  # type: ignore[attr-defined]
        return "none"

    assert run(scenario()) == "vault.peer_unknown"


def test_unregister_when_partner_forgot_us_cleans_up_with_warning(vault: Vault) -> None:
    async def scenario() -> None:
        token_a = Secret(generate_token(), TokenRole.A)
        async with SandboxPartner(token_a, versions=("2.2.1",), http_settings=FAST) as sandbox:
            async with started_engine(vault) as engine:
                result = await engine.register(sandbox.versions_url, token_a)
                sandbox.receiver.forget("sandbox-sender")  # the partner drops us
                gone = await engine.unregister(result.partner_id)  # type: ignore[arg-type]
                assert gone.status == "unregistered"
                assert [w.code for w in gone.warnings] == ["reg.not_registered"]
                with pytest.raises(OnboardingError) as info:
                    await engine.rotate(result.partner_id)  # type: ignore[arg-type]
                assert info.value.diagnosis.code == "vault.no_token_c"

    run(scenario())


def test_invite_as_receiver_with_our_own_sender(tmp_path: Path) -> None:
    """Both roles of our engine, two vaults: one invites, the other registers."""

    async def scenario() -> None:
        with (
            Vault.open(
                tmp_path / "receiver.db", passphrase=TEST_PASSPHRASE, use_keyring=False
            ) as rv,
            Vault.open(tmp_path / "sender.db", passphrase=TEST_PASSPHRASE, use_keyring=False) as sv,
        ):
            async with (
                started_engine(rv, Identity("NL", "RCV", ("CPO",), "Receiver BV")) as receiver,
                started_engine(sv, Identity("BE", "SND", ("EMSP",), "Sender NV")) as sender,
            ):
                invitation = await receiver.invite()
                assert invitation.token_a.fingerprint.startswith("A·")
                result = await sender.register(invitation.versions_url, invitation.token_a)
                assert result.status == "registered", result.diagnosis
                assert result.mutual_discovery == "complete"
                waited = await receiver.wait_for_registration(invitation, 5)
                assert waited.status == "registered"
                assert waited.peer == {"country_code": "BE", "party_id": "SND", "roles": ["EMSP"]}
                partner = rv.partner("BE-SND")
                assert partner.our_role == "receiver" and partner.status == "registered"
                active = _active(rv, partner.id)  # type: ignore[arg-type]
                assert set(active) == {
                    (TokenRole.B, Direction.OUTBOUND),
                    (TokenRole.C, Direction.INBOUND),
                }
                a = [c for c in rv.tokens(partner.id, role=TokenRole.A)]  # type: ignore[arg-type]
                assert a and a[0].state == TokenState.CONSUMED
                # TOKEN_A is dead on our endpoint; TOKEN_C (theirs from us) works
                assert (await sender.check("NL-RCV")).status == "ok"
                # the receiver side can check the sender too, with TOKEN_B
                assert (await receiver.check("BE-SND")).status == "ok"
                # and either side can rotate
                assert (await sender.rotate("NL-RCV")).status == "rotated"
                assert (await sender.check("NL-RCV")).status == "ok"
                assert (await receiver.rotate("BE-SND")).status == "rotated"
                assert (await receiver.check("BE-SND")).status == "ok"
                assert (await sender.check("NL-RCV")).status == "ok"
                # a second POST with the old TOKEN_A is refused
                with pytest.raises(OnboardingError) as info:
                    await sender.register(
                        invitation.versions_url, Secret(invitation.token_a.reveal())
                    )
                assert info.value.diagnosis.code == "token.a_reused"
                # a fresh vault that never saw it: the receiver itself refuses the dead TOKEN_A
                with Vault.open(
                    tmp_path / "other.db", passphrase=TEST_PASSPHRASE, use_keyring=False
                ) as ov:
                    async with started_engine(ov) as other:
                        again = await other.register(
                            invitation.versions_url, Secret(invitation.token_a.reveal())
                        )
                assert again.status == "failed"
                assert again.diagnosis is not None and again.diagnosis.code == "token.a_rejected"
                text = json.dumps(rv.transcript(invitation.run_id))
                assert invitation.token_a.reveal() not in text

    run(scenario(), timeout=90)


def test_invite_times_out_with_diagnosis(vault: Vault) -> None:
    async def scenario() -> str:
        async with started_engine(vault) as engine:
            invitation = await engine.invite()
            result = await engine.wait_for_registration(invitation, 0.2)
            assert result.status == "failed"
            return result.diagnosis.code  # type: ignore[union-attr]

    assert run(scenario()) == "reg.invite_timeout"


def test_our_receiver_falls_back_to_plain_token_for_a_partner_that_never_encodes(
    vault: Vault,
) -> None:
    """A 2.2.1 Sender whose endpoint only takes the raw token (as many 2.1.1/2.2 platforms
    do): our callbacks retry the GETs in plain form and the registration completes."""
    import base64

    import httpx
    from aiohttp import web

    from app.core.ocpi import build_envelope
    from tests.support.servers import ScriptedServer

    token_b = generate_token()

    def only_raw(data_factory):  # type: ignore[no-untyped-def]
        async def handler(request: web.Request) -> web.StreamResponse:
            if request.headers.get("Authorization") != f"Token {token_b}":
                return web.json_response(build_envelope(None, 2000, "unauthorized"), status=401)
            return web.json_response(build_envelope(data_factory()))

        return handler

    async def scenario() -> None:
        async with ScriptedServer() as sender, started_engine(vault) as engine:
            sender.on(
                "GET", "/v", only_raw(lambda: [{"version": "2.2.1", "url": sender.url("/d")}])
            )
            sender.on(
                "GET",
                "/d",
                only_raw(
                    lambda: {
                        "version": "2.2.1",
                        "endpoints": [
                            {"identifier": "credentials", "role": "SENDER", "url": sender.url("/c")}
                        ],
                    }
                ),
            )
            invitation = await engine.invite()
            body = {
                "token": token_b,
                "url": sender.url("/v"),
                "roles": [
                    {
                        "role": "EMSP",
                        "party_id": "RAW",
                        "country_code": "BE",
                        "business_details": {"name": "Raw"},
                    }
                ],
            }
            header = base64.b64encode(invitation.token_a.reveal().encode()).decode()
            async with httpx.AsyncClient() as client:
                answer = await client.post(
                    invitation.versions_url.replace("/versions", "/2.2.1/credentials"),
                    json=body,
                    headers={"Authorization": f"Token {header}"},
                )
            assert answer.json()["status_code"] == 1000, answer.text
            waited = await engine.wait_for_registration(invitation, 5)
            assert waited.status == "registered"
            plain = [s for s in sender.seen if s.headers.get("Authorization") == f"Token {token_b}"]
            assert {s.path for s in plain} == {"/v", "/d"}

    run(scenario())


@asynccontextmanager
async def _restarted(vault: Vault) -> AsyncIterator[tuple[Engine, httpx.AsyncClient, int]]:
    """A partner registered by one engine (a sandbox partner on 2.2.1, still running), then
    a second engine on the same vault, as after a restart: it, a client to call its
    endpoint, and the partner's id."""
    import httpx

    token_a = Secret(generate_token(), TokenRole.A)
    async with SandboxPartner(token_a, versions=("2.2.1",), http_settings=FAST) as sandbox:
        async with started_engine(vault) as first:
            result = await first.register(sandbox.versions_url, token_a)
        assert result.partner_id is not None
        async with started_engine(vault) as second, httpx.AsyncClient() as client:
            yield second, client, result.partner_id


async def _call_us(engine: Engine, client: httpx.AsyncClient, token: str) -> httpx.Response:
    """Our versions endpoint, called with `token` as a partner would."""
    import base64

    header = "Token " + base64.b64encode(token.encode()).decode()
    return await client.get(engine.our_versions_url, headers={"Authorization": header})


def test_registered_partners_can_call_us_after_a_restart(vault: Vault) -> None:
    """A new engine on the same vault accepts each registered partner's token again, and
    names a token we present (TOKEN_C) when a partner calls us with it."""

    async def scenario() -> None:
        async with _restarted(vault) as (second, client, pid):
            active = {c.role: c for c in vault.tokens(pid, state=TokenState.ACTIVE)}
            token_b = vault.reveal(active[TokenRole.B].id).reveal()
            token_c = vault.reveal(active[TokenRole.C].id).reveal()
            ok = await _call_us(second, client, token_b)
            assert ok.status_code == 200 and ok.json()["status_code"] == 1000
            wrong = await _call_us(second, client, token_c)
            assert wrong.status_code == 401
            assert second.server is not None
            assert second.server.calls[-1].token == active[TokenRole.C].fingerprint

    run(scenario())


def test_a_rotation_first_thing_after_a_restart_leaves_only_the_new_token_valid(
    vault: Vault,
) -> None:
    """The restored book (registered partners' tokens, restored on first need: issue 13)
    is in place before a rotation's first step, so the rotation replaces it instead of
    being overwritten by it: the partner's calls during the PUT and after use the new
    TOKEN_B; the old one is refused."""

    async def scenario() -> None:
        async with _restarted(vault) as (second, client, pid):
            old_b = vault.reveal(_inbound(vault, pid)).reveal()
            assert second.tokens.pending  # nothing restored yet
            rotated = await second.rotate(pid)
            assert rotated.status == "rotated", rotated.diagnosis
            new_b = vault.reveal(_inbound(vault, pid)).reveal()
            assert new_b != old_b
            ok = await _call_us(second, client, new_b)
            assert ok.status_code == 200 and ok.json()["status_code"] == 1000
            old = await _call_us(second, client, old_b)
            assert old.status_code == 401

    run(scenario())


def _inbound(vault: Vault, partner_id: int) -> int:
    (cred,) = [
        c
        for c in vault.tokens(partner_id, direction=Direction.INBOUND, state=TokenState.ACTIVE)
        if c.role != TokenRole.A
    ]
    return cred.id
