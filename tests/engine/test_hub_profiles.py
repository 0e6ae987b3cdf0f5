"""Profiles against the sandbox's hub modes: a GIREVE-like hub (mutual TLS on loopback with a
trustme CA, routing headers, rotation by DELETE and a new registration), a pinned version,
the activation delay, what a run proposes, and a refused client certificate.

Real parts: HubSandbox on loopback HTTPS, two real vault files, the engine; no mocks.
"""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import trustme

from app.core.profile import Profile
from app.core.tokens import Secret, TokenRole, generate_token
from app.engine.modules import fetch_module_page
from app.engine.profiles import load_preset, materialize
from app.sandbox.hub import HubMode, HubSandbox
from app.vault import Vault
from app.vault.profiles import ProfileStore
from tests.engine.conftest import started_engine
from tests.support.aio import run

GIREVE_MODES = (HubMode.MTLS_REQUIRED, HubMode.ROUTING_HEADERS_REQUIRED, HubMode.PUT_REFUSED)


def _tls(tmp_path: Path) -> tuple[ssl.SSLContext, Path, Path, Path, trustme.CA]:
    """A hub CA (trustme): the hub's server context demands client certificates from it."""
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    client = ca.issue_cert("client.onboard.example")
    cert = tmp_path / "client.pem"
    key = tmp_path / "client.key"
    ca_file = tmp_path / "hub-ca.pem"
    cert.write_bytes(b"".join(blob.bytes() for blob in client.cert_chain_pems))
    key.write_bytes(client.private_key_pem.bytes())
    ca.cert_pem.write_to_path(str(ca_file))
    return context, cert, key, ca_file, ca


def test_gireve_like_hub_register_delete_pems_check_rotate_by_delete_register(
    vault: Vault, tmp_path: Path
) -> None:
    context, cert, key, ca_file, _ca = _tls(tmp_path)
    profile_file = tmp_path / "hub.toml"
    profile_file.write_text(
        'name = "My hub"\nrotation = "delete-register"\nrouting_headers = true\n'
        'ocpi_version = "2.2.1"\nclient_cert = "client.pem"\nclient_key = "client.key"\n'
        'ca_bundle = "hub-ca.pem"\n'
    )
    from app.engine.profiles import resolve

    profile = materialize(resolve(str(profile_file)))
    for path in (cert, key, ca_file, profile_file):
        path.unlink()  # the vault copy stands alone from here on
    token_a = Secret(generate_token(), TokenRole.A)
    fresh = Secret(generate_token(), TokenRole.A)

    async def scenario() -> None:
        async with HubSandbox(
            token_a, modes=GIREVE_MODES, ssl_context=context, next_token_a=lambda: fresh
        ) as hub:
            async with started_engine(vault) as engine:
                result = await engine.register(hub.versions_url, token_a, profile=profile)
                assert result.status == "registered", result.diagnosis
                assert result.ocpi_version == "2.2.1"
                checked = await engine.check("NL-SBX")
                assert checked.status == "ok", checked.diagnosis
                page = await fetch_module_page(engine, "NL-SBX", "locations")
                # the sandbox's locations (app/sandbox/modules.py), read through the hub
                assert page.status == 200 and page.objects
                assert {o["id"] for o in page.objects} <= {"LOC001", "LOC002", "LOC003"}
                assert hub.module_calls[-1] == {
                    "OCPI-from-country-code": "DE",
                    "OCPI-from-party-id": "ONB",
                    "OCPI-to-country-code": "NL",
                    "OCPI-to-party-id": "SBX",
                }
                assert not [r for r in hub.refusals if "not allowed" in r], hub.refusals
                before = result.token_c_fingerprint
                rotated = await engine.rotate("NL-SBX", fresh)
                assert rotated.status == "rotated", rotated.diagnosis
                assert rotated.token_c_fingerprint not in (None, before)
                assert rotated.extra["rotation"] == "delete-register"
                again = await engine.check("NL-SBX")
                assert again.status == "ok", again.diagnosis
                live = vault.partner("NL-SBX")
                assert live.status == "registered" and live.id != result.partner_id
                kept = ProfileStore(vault).load(live.id)  # type: ignore[arg-type]
                assert kept is not None and kept.mutual_tls and kept.rotation == "delete-register"
                old = [c.state.value for c in vault.tokens(result.partner_id)]  # type: ignore[arg-type]
                assert "active" not in old
        key_text = profile.client_key or ""
        dumped = json.dumps([vault.transcript(r.id) for r in vault.runs()])
        for secret in (token_a.reveal(), fresh.reveal(), key_text.split("\n")[1]):
            assert secret not in dumped
        raw = (tmp_path / "vault.db").read_bytes()
        assert key_text.split("\n")[1].encode() not in raw  # the key is encrypted at rest

    run(scenario(), timeout=90)


def test_a_refused_client_certificate_is_explained_before_token_a_is_spent(
    vault: Vault, tmp_path: Path
) -> None:
    context, _cert, _key, ca_file, _ca = _tls(tmp_path)
    stranger = trustme.CA().issue_cert("stranger.example")  # not from the hub's CA
    profile = Profile(
        client_cert=b"".join(b.bytes() for b in stranger.cert_chain_pems).decode(),
        client_key=stranger.private_key_pem.bytes().decode(),
        ca_bundle=ca_file.read_text(),
    )
    token_a = Secret(generate_token(), TokenRole.A)

    async def scenario() -> None:
        async with HubSandbox(token_a, modes=GIREVE_MODES, ssl_context=context) as hub:
            async with started_engine(vault) as engine:
                result = await engine.register(hub.versions_url, token_a, profile=profile)
            assert not hub.registered
            return result

    result = run(scenario(), timeout=60)
    assert result.status == "failed"
    assert result.diagnosis is not None
    assert result.diagnosis.code == "net.client_cert_refused", result.diagnosis
    assert "TOKEN_A was not spent" in result.diagnosis.hint
    stored = [c for c in vault.tokens(None) if c.role == TokenRole.A]
    assert stored and stored[0].state.value == "pending"


def test_put_refused_hub_without_token_a_says_what_to_ask_for(vault: Vault) -> None:
    token_a = Secret(generate_token(), TokenRole.A)

    async def scenario() -> None:
        async with HubSandbox(token_a, modes=(HubMode.PUT_REFUSED,)) as hub:
            async with started_engine(vault) as engine:
                profile = Profile(rotation="delete-register")
                assert (await engine.register(hub.versions_url, token_a, profile=profile)).ok
                refused = await engine.rotate("NL-SBX")
                assert refused.status == "failed"
                assert refused.diagnosis is not None
                assert refused.diagnosis.code == "reg.rotation_needs_token_a"
                assert (await engine.check("NL-SBX")).status == "ok"  # nothing was sent

    run(scenario())


def test_strict_211_preset_pins_the_version_and_plain_tokens(vault: Vault) -> None:
    token_a = Secret(generate_token(), TokenRole.A)
    preset = materialize(load_preset("strict-211"))

    async def scenario() -> None:
        async with HubSandbox(token_a) as hub:  # offers 2.3.0, 2.2.1 and 2.1.1
            async with started_engine(vault) as engine:
                return await engine.register(hub.versions_url, token_a, profile=preset)

    result = run(scenario())
    assert result.status == "registered", result.diagnosis
    assert result.ocpi_version == "2.1.1"
    transcript = vault.transcript(result.run_id)
    posts = [e for e in transcript if e.get("method") == "POST"]
    assert posts and "/2.1.1/" in posts[0]["url"]
    outbound = [e for e in transcript if e.get("direction") == "outbound"]
    assert outbound and all(
        e["request"]["headers"].get("X-Request-ID")
        and e["request"]["headers"].get("X-Correlation-ID")
        for e in outbound
    )  # on 2.1.1 too: hubs want them on every request
    assert not [e for e in outbound if "OCPI-to-party-id" in e["request"]["headers"]]


def test_activation_delay_preset_waits_for_token_c(vault: Vault) -> None:
    token_a = Secret(generate_token(), TokenRole.A)
    preset = materialize(load_preset("activation-delay")).merge(activation_delay_s=20)

    async def scenario() -> None:
        async with HubSandbox(
            token_a, modes=(HubMode.ACTIVATION_DELAY,), activation_delay_s=1.0
        ) as hub:
            async with started_engine(vault) as engine:
                result = await engine.register(hub.versions_url, token_a, profile=preset)
            assert "credentials not active yet" in hub.refusals  # it did refuse at first
            return result

    result = run(scenario(), timeout=60)
    assert result.status == "registered", result.diagnosis
    assert not [w for w in result.warnings if w.code == "reg.verify_failed"], result.warnings


def test_without_the_activation_wait_the_check_fails_honestly(vault: Vault) -> None:
    token_a = Secret(generate_token(), TokenRole.A)

    async def scenario() -> None:
        async with HubSandbox(
            token_a, modes=(HubMode.ACTIVATION_DELAY,), activation_delay_s=30.0
        ) as hub:
            async with started_engine(vault) as engine:
                return await engine.register(hub.versions_url, token_a)

    result = run(scenario())
    assert result.status == "registered"
    assert [w for w in result.warnings if w.code == "reg.verify_failed"]


def test_enapi_and_plugsurfing_presets_register_and_propose_what_they_learn(
    vault: Vault,
) -> None:
    for name, version in (("enapi-hub", "2.3.0"), ("plugsurfing-cpo", "2.2.1")):
        token_a = Secret(generate_token(), TokenRole.A)
        preset = materialize(load_preset(name))

        async def scenario(token: Secret = token_a, profile: Profile = preset) -> None:
            async with HubSandbox(token, fault="plain-token") as hub:
                async with started_engine(vault) as engine:
                    return await engine.register(hub.versions_url, token, profile=profile)

        result = run(scenario())
        if preset.token_encoding == "base64":  # ENAPI-like: Base64 pinned, a plain-only
            assert result.status == "failed"  # partner refuses it: said, not hidden
            assert result.diagnosis is not None and result.diagnosis.code == "token.a_rejected"
            continue
        assert result.status == "registered", (name, result.diagnosis)
        assert result.ocpi_version == version
        proposals = [w for w in result.warnings if w.code == "profile.proposal"]
        assert proposals and 'token_encoding = "plain"' in proposals[0].message
        stored = ProfileStore(vault).load(result.partner_id)  # type: ignore[arg-type]
        assert stored is not None and stored.token_encoding == "auto"  # not applied silently
        pending = ProfileStore(vault).proposals(result.partner_id)  # type: ignore[arg-type]
        assert pending == [
            {
                "key": "token_encoding",
                "value": "plain",
                "why": "the partner accepted only the plain token form",
            }
        ]


def test_a_hub_roster_change_by_inbound_put_is_stored_and_said(vault: Vault) -> None:
    token_a = Secret(generate_token(), TokenRole.A)
    hub_roles = [
        {
            "role": "CPO",
            "party_id": "SBX",
            "country_code": "NL",
            "business_details": {"name": "Sandbox hub"},
        },
        {
            "role": "EMSP",
            "party_id": "NEW",
            "country_code": "BE",
            "business_details": {"name": "A new roaming agreement"},
        },
    ]

    async def scenario() -> None:
        async with HubSandbox(token_a, versions=("2.3.0",)) as hub:
            async with started_engine(vault) as engine:
                result = await engine.register(hub.versions_url, token_a)
                assert result.status == "registered", result.diagnosis
                answer = await hub.push_credentials(hub_roles, hub_party_id="NLSBX")
                assert answer["token"]
                partner = vault.partner("NL-SBX")
                assert partner.hub_party_id == "NLSBX"
                assert {r["party_id"] for r in partner.roles} == {"SBX", "NEW"}
                from app.engine.roster import last_roster_change

                changes = last_roster_change(vault, partner.id)  # type: ignore[arg-type]
                assert changes is not None
                assert "role added: EMSP BE-NEW" in changes
                assert "hub_party_id: none -> NLSBX" in changes
                assert not vault.runs(unfinished_only=True)
                checked = await engine.check("NL-SBX")  # with the token the PUT gave us
                assert checked.status == "ok", checked.diagnosis

    run(scenario())


def test_our_endpoint_over_https_requires_the_partners_client_certificate(
    vault: Vault,
) -> None:
    from app.core.http import HttpSettings
    from app.engine import CallbackSettings

    our_ca, partner_ca = trustme.CA(), trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    our_ca.issue_cert("127.0.0.1").configure_cert(context)
    partner_ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED  # only partners with a certificate from their CA
    client = partner_ca.issue_cert("partner.example")
    trusting = {"allow_insecure": True, "ca_pem": our_ca.cert_pem.bytes().decode()}
    with_cert = HttpSettings(
        **trusting,  # type: ignore[arg-type]
        client_cert_pem=b"".join(b.bytes() for b in client.cert_chain_pems).decode(),
        client_key_pem=client.private_key_pem.bytes().decode(),
    )

    async def scenario(settings: HttpSettings) -> object:
        token_a = Secret(generate_token(), TokenRole.A)
        async with HubSandbox(token_a, http_settings=settings) as hub:
            async with started_engine(
                vault, callback=CallbackSettings(ssl_context=context)
            ) as engine:
                assert engine.our_versions_url.startswith("https://")
                return await engine.register(hub.versions_url, token_a)

    good = run(scenario(with_cert))
    assert good.status == "registered", good.diagnosis  # type: ignore[attr-defined]
    assert good.mutual_discovery == "complete"  # type: ignore[attr-defined]
    refused = run(scenario(HttpSettings(**trusting)))  # type: ignore[arg-type]
    assert refused.status == "failed"  # type: ignore[attr-defined]
    assert refused.diagnosis.code == "ocpi.callback_failed_3001"  # type: ignore[attr-defined]


def test_verify_sends_the_profiles_routing_headers_on_module_pages(vault: Vault) -> None:
    """A hub that requires routing headers refuses module calls without them: verify's
    `limit=1` pages must carry them (and versions, details, credentials must not)."""
    token_a = Secret(generate_token(), TokenRole.A)

    async def scenario() -> None:
        async with HubSandbox(token_a, modes=(HubMode.ROUTING_HEADERS_REQUIRED,)) as hub:
            async with started_engine(vault) as engine:
                profile = Profile(routing_headers=True)
                assert (await engine.register(hub.versions_url, token_a, profile=profile)).ok
                calls_before = len(hub.module_calls)
                report = await engine.verify("NL-SBX")
                by_id = {c.id: c for c in report.checks}
                assert by_id["page.locations"].status == "pass", by_id["page.locations"].detail
                assert len(hub.module_calls) > calls_before
                assert hub.module_calls[-1]["OCPI-to-party-id"] == "SBX"
                assert not [r for r in hub.refusals if "not allowed" in r], hub.refusals

    run(scenario(), timeout=90)
