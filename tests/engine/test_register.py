"""Sender registration against our own Receiver (the sandbox) on real loopback HTTP."""

from __future__ import annotations

import base64
import json

import pytest

from app.core.diagnosis import OnboardingError
from app.core.tokens import Secret, TokenRole, generate_token
from app.sandbox import Fault, SandboxPartner
from app.vault import Direction, TokenState, Vault
from tests.engine.conftest import FAST, started_engine
from tests.support.aio import run


def _token_a() -> Secret:
    return Secret(generate_token(), TokenRole.A)


async def _register(
    vault: Vault, version: str | None = None, fault: Fault = Fault.NONE, **kw: object
):  # type: ignore[no-untyped-def]
    token_a = _token_a()
    versions = (version,) if version else ("2.1.1", "2.2.1", "2.3.0")
    async with SandboxPartner(
        token_a, versions=versions, fault=fault, http_settings=FAST, slow_seconds=0.2
    ) as sandbox:
        async with started_engine(vault) as engine:
            result = await engine.register(sandbox.versions_url, token_a, **kw)  # type: ignore[arg-type]
            return result, sandbox, token_a


@pytest.mark.parametrize("version", ["2.1.1", "2.2.1", "2.3.0"])
def test_sender_registers_with_our_receiver(vault: Vault, version: str) -> None:
    result, sandbox, token_a = run(_register(vault, version))
    assert result.status == "registered", result.diagnosis
    assert result.ocpi_version == version
    assert result.mutual_discovery == "complete"
    assert result.peer == {
        "country_code": "NL",
        "party_id": "SBX",
        "roles": ["CPO"] if version != "2.1.1" else [],
    }
    assert result.token_c_fingerprint and result.token_c_fingerprint.startswith("C·")
    partner = vault.partner("NL-SBX")
    assert partner.status == "registered" and partner.ocpi_version == version
    creds = {(c.role, c.direction): c for c in vault.tokens(partner.id)}
    assert creds[(TokenRole.A, Direction.OUTBOUND)].state == TokenState.CONSUMED
    assert creds[(TokenRole.B, Direction.INBOUND)].state == TokenState.ACTIVE
    assert creds[(TokenRole.C, Direction.OUTBOUND)].state == TokenState.ACTIVE
    assert vault.reveal(creds[(TokenRole.C, Direction.OUTBOUND)].id) == sandbox.session().our_token  # type: ignore[union-attr]
    # the sandbox saw our TOKEN_B on its callbacks, in the encoding of the version
    assert sandbox.session().their_token == vault.reveal(creds[(TokenRole.B, Direction.INBOUND)].id)  # type: ignore[union-attr]
    run_record = vault.run(result.run_id)
    assert run_record.state == "verified" and run_record.outcome == "succeeded"
    entries = vault.transcript(result.run_id)
    inbound = [e for e in entries if e.get("type") == "exchange" and e["direction"] == "inbound"]
    assert {e["url"].rsplit("/", 1)[-1] for e in inbound} >= {"versions", version}
    assert token_a.reveal() not in json.dumps(entries)


def test_outbound_headers_follow_the_version(vault: Vault) -> None:
    """2.2+: Base64 token, X-Request-ID and X-Correlation-ID; 2.1.1: raw token."""
    for version, b64 in (("2.1.1", False), ("2.3.0", True)):
        result, _sandbox, _token = run(_register(vault, version))
        assert result.status == "registered"
        posts = [e for e in vault.transcript(result.run_id) if e.get("method") == "POST"]
        header = posts[0]["request"]["headers"]["Authorization"]
        assert header.endswith("(base64)" if b64 else "(plain)")
        if b64:
            assert "X-Request-ID" in posts[0]["request"]["headers"]
            assert "X-Correlation-ID" in posts[0]["request"]["headers"]
        assert "OCPI-from-country-code" not in posts[0]["request"]["headers"]


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        (Fault.TOKEN_C_EQUALS_B, "failed", "token.c_equals_b"),
        (Fault.HTML_500, "failed", "ocpi.html_page"),
        (Fault.MALFORMED_JSON, "failed", "ocpi.not_json"),
        (Fault.OCPI_2001, "failed", "ocpi.invalid_params"),
        (Fault.ALREADY_REGISTERED, "failed", "reg.already_registered"),
        (Fault.CALLBACK_WITH_TOKEN_A, "failed", "ocpi.callback_failed_3001"),
        (Fault.DETAILS_ONLY, "failed", "ocpi.no_credentials_endpoint"),
    ],
)
def test_sandbox_faults_are_diagnosed(vault: Vault, fault: Fault, status: str, code: str) -> None:
    result, _sandbox, token_a = run(_register(vault, "2.2.1", fault))
    assert result.status == status
    assert result.diagnosis is not None and result.diagnosis.code == code
    run_record = vault.run(result.run_id)
    assert run_record.outcome == "failed"
    partner_tokens = vault.tokens(run_record.partner_id)
    assert all(c.state != TokenState.ACTIVE or c.role == TokenRole.A for c in partner_tokens)
    # TOKEN_A was not spent: it stays pending for a retry
    a = next(c for c in partner_tokens if c.role == TokenRole.A)
    assert a.state == TokenState.PENDING
    assert token_a.reveal() not in json.dumps(vault.transcript(result.run_id))


def test_callback_with_token_a_is_named_in_the_transcript(vault: Vault) -> None:
    result, _sandbox, _ = run(_register(vault, "2.2.1", Fault.CALLBACK_WITH_TOKEN_A))
    codes = [e["diagnosis"]["code"] for e in vault.transcript(result.run_id) if e.get("diagnosis")]
    assert "token.a_used_in_callback" in codes


@pytest.mark.parametrize(
    ("fault", "version"), [(Fault.PLAIN_TOKEN, "2.2.1"), (Fault.BASE64_TOKEN, "2.1.1")]
)
def test_encoding_mismatch_is_tolerated_and_reported(
    vault: Vault, fault: Fault, version: str
) -> None:
    result, _sandbox, _ = run(_register(vault, version, fault))
    assert result.status == "registered", result.diagnosis
    assert "token.encoding_switched" in [w.code for w in result.warnings]
    partner = vault.partner("NL-SBX")
    assert partner.token_encoding == ("raw" if fault == Fault.PLAIN_TOKEN else "base64")


def test_token_c_rejected_after_registration_keeps_token_c(vault: Vault) -> None:
    result, _sandbox, _ = run(_register(vault, "2.2.1", Fault.UNAUTHORIZED_AFTER))
    assert result.status == "registered"
    assert "token.c_rejected" in [w.code for w in result.warnings]
    assert vault.run(result.run_id).state == "registered"


def test_partner_that_never_calls_back_is_incomplete_discovery(vault: Vault) -> None:
    result, _sandbox, _ = run(_register(vault, "2.2.1", Fault.NO_CALLBACK))
    assert result.status == "registered"
    assert result.mutual_discovery == "incomplete"
    assert "reg.discovery_incomplete" in [w.code for w in result.warnings]


def test_slow_partner_still_completes(vault: Vault) -> None:
    result, _sandbox, _ = run(_register(vault, "2.2.1", Fault.SLOW))
    assert result.status == "registered"


def test_token_a_cannot_be_used_twice(vault: Vault) -> None:
    async def scenario() -> str:
        token_a = _token_a()
        async with SandboxPartner(token_a, http_settings=FAST) as sandbox:
            async with started_engine(vault) as engine:
                first = await engine.register(sandbox.versions_url, token_a)
                assert first.status == "registered"
                with pytest.raises(OnboardingError) as spent:
                    await engine.register(sandbox.versions_url, token_a)
                return spent.value.diagnosis.code

    assert run(scenario()) == "token.a_reused"


def test_no_raw_token_in_vault_file(vault: Vault, vault_path) -> None:  # type: ignore[no-untyped-def]
    result, sandbox, token_a = run(_register(vault, "2.2.1"))
    assert result.status == "registered"
    session = sandbox.session()
    assert session is not None
    values = [token_a.reveal(), session.our_token.reveal(), session.their_token.reveal()]  # type: ignore[union-attr]
    blob = b"".join(
        p.read_bytes() for p in vault_path.parent.iterdir() if p.name.startswith(vault_path.name)
    )
    for value in values:
        for form in (value, base64.b64encode(value.encode()).decode()):
            assert form.encode() not in blob


def test_sloppy_partner_answer_keeps_token_c(vault: Vault) -> None:
    """A partner whose answer breaks the spec (no business_details, 4-letter party id,
    relative url, duplicate role) after spending TOKEN_A: TOKEN_C is kept, with a warning."""
    from aiohttp import web

    from app.core.ocpi import build_envelope
    from tests.support.servers import ScriptedServer, partner_routes

    token_c = generate_token()

    async def answer(request: web.Request) -> web.StreamResponse:
        sloppy = {
            "token": token_c,
            "url": "/ocpi/versions",
            "roles": [{"role": "CPO", "party_id": "ABCD", "country_code": "nl"}] * 2,
        }
        return web.json_response(build_envelope(sloppy))

    async def scenario():  # type: ignore[no-untyped-def]
        async with ScriptedServer() as server:
            partner_routes(server, "2.2.1", answer)
            async with started_engine(vault) as engine:
                return await engine.register(server.url("/ocpi/versions"), _token_a(), verify=False)

    result = run(scenario())
    assert result.status == "registered", result.diagnosis
    assert "reg.response_roles" in [w.code for w in result.warnings]
    stored = [c for c in vault.tokens(result.partner_id) if c.role == TokenRole.C]
    assert vault.reveal(stored[0].id).reveal() == token_c


def test_whole_run_is_bounded_by_the_total_timeout(vault: Vault) -> None:
    """A partner slow on every request, each under the request timeout: the run still ends."""
    from dataclasses import replace

    async def scenario():  # type: ignore[no-untyped-def]
        token_a = _token_a()
        async with SandboxPartner(
            token_a, versions=("2.2.1",), fault=Fault.SLOW, slow_seconds=0.4, http_settings=FAST
        ) as sandbox:
            async with started_engine(vault, http=replace(FAST, total_timeout=0.6)) as engine:
                return await engine.register(sandbox.versions_url, token_a)

    result = run(scenario(), timeout=20)
    assert result.status == "failed"
    assert result.diagnosis is not None and result.diagnosis.code == "net.timeout"
    assert "whole registration" in result.diagnosis.message


def test_answer_wrapped_in_a_list_is_read(vault: Vault) -> None:
    from aiohttp import web

    from app.core.ocpi import build_envelope
    from tests.support.servers import ScriptedServer, partner_routes

    token_c = generate_token()

    async def answer(request: web.Request) -> web.StreamResponse:
        creds = {
            "token": token_c,
            "url": "https://partner.example.com/ocpi/versions",
            "roles": [
                {
                    "role": "CPO",
                    "party_id": "LST",
                    "country_code": "NL",
                    "business_details": {"name": "L"},
                }
            ],
        }
        return web.json_response(build_envelope([creds]), status=201)

    async def scenario():  # type: ignore[no-untyped-def]
        async with ScriptedServer() as server:
            partner_routes(server, "2.2.1", answer)
            async with started_engine(vault) as engine:
                return await engine.register(server.url("/ocpi/versions"), _token_a(), verify=False)

    result = run(scenario())
    assert result.status == "registered", result.diagnosis
    assert result.peer is not None and result.peer["party_id"] == "LST"


def test_registering_a_known_identity_again_replaces_the_older_row(vault: Vault) -> None:
    """The sandbox is NL-SBX each time: the second registration takes the identity over, the
    first row stays as history (renamed, replaced) with every live token superseded."""
    first, _, _ = run(_register(vault, "2.2.1", verify=False))
    assert first.status == "registered", first.diagnosis
    older = vault.partner("NL-SBX")
    assert older.id == first.partner_id
    second, sandbox, _ = run(_register(vault, "2.2.1", verify=False))
    assert second.status == "registered", second.diagnosis
    assert second.partner_id != first.partner_id
    assert vault.partner("NL-SBX").id == second.partner_id
    kept = vault.partner(older.id)  # type: ignore[arg-type]
    assert (kept.country_code, kept.party_id, kept.status) == ("", f"~{older.id}", "replaced")
    assert kept.versions_url == older.versions_url and kept.created == older.created
    states = {(c.role, c.direction): c.state for c in vault.tokens(older.id)}  # type: ignore[arg-type]
    assert states == {
        (TokenRole.A, Direction.OUTBOUND): TokenState.CONSUMED,
        (TokenRole.B, Direction.INBOUND): TokenState.SUPERSEDED,
        (TokenRole.C, Direction.OUTBOUND): TokenState.SUPERSEDED,
    }
    assert not [c for c in vault.tokens(older.id) if c.revoked]  # type: ignore[arg-type]
    live = {(c.role, c.direction) for c in vault.tokens(second.partner_id, state=TokenState.ACTIVE)}  # type: ignore[arg-type]
    assert live == {(TokenRole.B, Direction.INBOUND), (TokenRole.C, Direction.OUTBOUND)}
    run_record = vault.run(second.run_id)
    assert (run_record.state, run_record.outcome) == ("registered", "succeeded")
    assert run_record.data["posted"] is True  # handed over by the run's writer, not re-read
    assert run_record.data["versions_url"] == sandbox.versions_url
