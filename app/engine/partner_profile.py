"""What a partner's profile changes in a run: TLS settings, routing headers, the
activation wait, the TLS pre-flight and the proposals a run makes.

Kept out of register.py and manage.py so those stay about the handshake itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from dataclasses import replace

from app.core.diagnosis import Diagnosis, OnboardingError, diagnose, fail
from app.core.events import Event, Level
from app.core.handshake import Request
from app.core.http import HttpSettings, OcpiHttp
from app.core.profile import Learnt, Profile, propose
from app.core.runner import EncodingChoice, send_with_encoding
from app.core.tokens import Secret
from app.engine.context import EngineContext
from app.vault import PartnerRecord, Vault
from app.vault.profiles import ProfileStore

ACTIVATION_POLL_S = 2.0


def settings_for(base: HttpSettings, profile: Profile | None) -> HttpSettings:
    """The engine's HTTP settings with the profile's certificate, key and CA (PEM text)."""
    if profile is None:
        return base
    changes: dict[str, object] = {}
    if profile.mutual_tls:
        changes["client_cert_pem"] = profile.client_cert
        changes["client_key_pem"] = profile.client_key
    if profile.ca_bundle:
        if profile.ca_bundle.lstrip().startswith("-----BEGIN"):
            changes["ca_pem"] = profile.ca_bundle
        else:
            changes["ca_bundle"] = profile.ca_bundle
    return replace(base, **changes) if changes else base  # type: ignore[arg-type]


def stored_profile(vault: Vault, partner: PartnerRecord) -> Profile:
    """The partner's vault copy, or the defaults (named after the partner)."""
    assert partner.id is not None
    profile = ProfileStore(vault).load(partner.id)
    if profile is None:
        return Profile(name=partner.ref, source="default")
    return replace(profile, name=partner.ref, source="vault")


def routing_headers(engine: EngineContext, partner: PartnerRecord) -> dict[str, str]:
    """OCPI-from (us) and OCPI-to (them) for module calls through a hub."""
    return {
        "OCPI-from-country-code": engine.identity.country_code.upper(),
        "OCPI-from-party-id": engine.identity.party_id.upper(),
        "OCPI-to-country-code": partner.country_code,
        "OCPI-to-party-id": partner.party_id,
    }


def apply_to_http(
    engine: EngineContext, http: OcpiHttp, partner: PartnerRecord, profile: Profile
) -> None:
    """Routing headers on this run's module calls when the profile asks for them."""
    http.routing = routing_headers(engine, partner) if profile.routing_headers else None


async def preflight_tls(http: OcpiHttp, url: str, emit: object) -> None:
    """Before TOKEN_A is spent, with no token at all: does the partner's TLS accept our
    client certificate? Any HTTP answer (even 401) means yes. A refusal with a TLS alert is
    named by the alert; a server that just drops the connection (no alert) is tested once
    more with a bare TLS 1.2 handshake, where the certificate is checked inside the
    handshake itself: failing there means our certificate was refused."""
    try:
        await http.send("GET", url, token=None, base64_token=False, ocpi_headers=True)
    except OnboardingError as exc:
        code = exc.diagnosis.code
        if code.startswith("net.client_cert") or code == "net.tls":
            raise
        if code in ("net.reset", "net.connect") and not await _handshake_ok(http.settings, url):
            raise fail(
                "net.client_cert_refused",
                "the partner ended the TLS handshake when it saw our certificate",
            ) from None
        # anything else shows up again, diagnosed, at the first real request


async def _handshake_ok(settings: HttpSettings, url: str) -> bool:
    from urllib.parse import urlsplit

    from app.core.http import _ssl_context

    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return True
    build = getattr(_ssl_context, "__wrapped__", _ssl_context)  # a fresh, uncached context
    context = build(
        settings.ca_bundle, settings.ca_pem, settings.client_cert_pem, settings.client_key_pem
    )
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    try:
        async with asyncio.timeout(settings.connect_timeout):
            _reader, writer = await asyncio.open_connection(
                parts.hostname, parts.port or 443, ssl=context, server_hostname=parts.hostname
            )
    except (OSError, TimeoutError, ssl.SSLError):
        return False
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError):
        await writer.wait_closed()
    return True


async def await_activation(
    http: OcpiHttp,
    url: str,
    token: Secret,
    encoding: EncodingChoice,
    version: str | None,
    delay_s: float,
    emit: object,
) -> bool:
    """A partner whose new credentials take time (profile `activation_delay_s`): call with
    TOKEN_C until it is accepted or the window ends. Returns True once accepted."""
    if delay_s <= 0:
        return True
    say = emit if callable(emit) else (lambda event: None)
    say(
        Event(
            f"The partner activates new credentials with a delay: waiting up to {delay_s:g} s"
            f" for {token.fingerprint} to be accepted",
            Level.INFO,
        )
    )
    deadline = time.monotonic() + delay_s
    while True:
        request = Request("activation", "GET", url, token.role, None, version)
        try:
            result = await send_with_encoding(http, request, token, encoding)
            if result.status not in (401, 403):
                return True
        except OnboardingError:
            pass
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        await asyncio.sleep(min(ACTIVATION_POLL_S, left))


def proposals_after_run(
    vault: Vault,
    partner_id: int,
    profile: Profile,
    encoding: EncodingChoice,
    versions_offered: list[str],
) -> list[Diagnosis]:
    """What the run learnt, stored as proposals on the profile and returned as warnings.
    The profile itself is not changed: the person applies a proposal or not."""
    switched = encoding.stored_value if encoding.warnings else None
    found = propose(profile, Learnt(switched, versions_offered))
    store = ProfileStore(vault)
    if found:
        store.set_proposals(partner_id, [p.to_dict() for p in found])
    return [diagnose("profile.proposal", f'{p.key} = "{p.value}" ({p.why})') for p in found]


def check_profile(profile: Profile) -> None:
    """A profile that requires mutual TLS without a certificate fails before any request."""
    if profile.client_cert_required and not profile.mutual_tls:
        raise fail(
            "input.profile",
            f"{profile.title or profile.name} requires mutual TLS: give --client-cert and"
            " --client-key",
        )
