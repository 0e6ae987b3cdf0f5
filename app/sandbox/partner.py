"""The sandbox partner: our own Receiver flow with a demo identity, plus fault modes.

A new user completes a whole onboarding against it with no external partner; tests and
the README's first command use it; the fault modes rehearse what real partners get wrong.
It is the same CallbackServer + ReceiverService the app uses when it plays Receiver, so a
registration against the sandbox exercises both sides of our engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from typing import Any

from aiohttp import web

from app.callback.receiver import NoHooks, PeerSession, ReceiverService
from app.callback.server import CallbackServer, ServerConfig
from app.callback.tokenbook import Identification, Stage, TokenBook
from app.core.handshake import OurParty
from app.core.http import HttpSettings
from app.core.ocpi import (
    INVALID_PARAMS,
    SUPPORTED_VERSIONS,
    PresentedToken,
    build_envelope,
    canonical_version,
    uses_base64_header,
)
from app.core.receiving import ReceiverHandshake
from app.core.tokens import Secret, TokenRole
from app.core.transcript import Transcript
from app.sandbox.faults import DEMO_IDENTITY, Fault
from app.sandbox.modules import DRIFT_FAULTS, VERIFY_FAULTS, ModuleBehaviour, ModuleLayer

SANDBOX_PEER = "sandbox-sender"


class _FaultyTokens(TokenBook):
    def __init__(self, fault: Fault) -> None:
        super().__init__()
        self.fault = fault

    def identify(self, presented: PresentedToken | None) -> Identification:
        if presented is None and self.fault == Fault.OPEN_ENDPOINT:
            registered = [g for g in self._grants.values() if g.stage == Stage.REGISTERED]
            if registered:  # anyone without a token is taken for the registered partner
                return Identification(registered[0], "plain")
        ident = super().identify(presented)
        grant = ident.grant
        if grant is None:
            return ident
        version = canonical_version(grant.version or "") if grant.version else None
        if self.fault == Fault.PLAIN_TOKEN and ident.encoding == "base64":
            return Identification(None, ident.encoding, ident.warnings)
        if (
            self.fault == Fault.BASE64_TOKEN
            and ident.encoding == "plain"
            and not uses_base64_header(version)
        ):
            return Identification(None, ident.encoding, ident.warnings)
        if self.fault == Fault.UNAUTHORIZED_AFTER and grant.stage == Stage.REGISTERED:
            return Identification(None, ident.encoding, ident.warnings)
        return ident


class _FaultyReceiver(ReceiverService):
    def __init__(self, fault: Fault, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fault = fault

    def issue_token(self, token_b: Secret, session: PeerSession) -> Secret:
        if self.fault == Fault.TOKEN_C_EQUALS_B:
            return token_b.with_role(TokenRole.C)
        return super().issue_token(token_b, session)

    async def discover(
        self, session: PeerSession, machine: ReceiverHandshake, version: str, transcript: Transcript
    ) -> None:
        if self.fault == Fault.NO_CALLBACK:
            return
        await super().discover(session, machine, version, transcript)

    def callback_token(self, session: PeerSession, machine: ReceiverHandshake) -> Secret:
        if self.fault == Fault.CALLBACK_WITH_TOKEN_A:
            return session.our_token
        return super().callback_token(session, machine)


class SandboxHooks(NoHooks):
    """The sandbox keeps one transcript of its own and stores nothing."""

    def __init__(self, partner: SandboxPartner) -> None:
        self.partner = partner

    def transcript_for(self, session: PeerSession) -> Transcript:
        return self.partner.transcript


class SandboxPartner:
    """Serves a demo Receiver on loopback until stopped."""

    def __init__(
        self,
        token_a: Secret,
        *,
        versions: tuple[str, ...] = SUPPORTED_VERSIONS,
        fault: Fault | str = Fault.NONE,
        host: str = "127.0.0.1",
        port: int = 0,
        slow_seconds: float = 2.0,
        identity: dict[str, Any] | None = None,
        http_settings: HttpSettings | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.fault = Fault(fault)
        if self.fault == Fault.DRIFT_VERSION and len(versions) > 1:
            # hold the highest version back: offered once the partner is registered
            versions = tuple(v for v in versions if v != max(versions))
        self.tokens = _FaultyTokens(self.fault)
        self.identity = identity or DEMO_IDENTITY
        self.slow_seconds = slow_seconds
        # the kinds of the requests it has received and held (Fault.SLOW), in order: whoever
        # needs the partner to be holding a request waits for it here, not for a time
        self.held: list[str] = []
        self.token_a = token_a.with_role(TokenRole.A)
        self._us = OurParty(roles=[self.identity], versions_url="http://placeholder/ocpi/versions")
        self.receiver = _FaultyReceiver(self.fault, self.tokens, self._us, http_settings)
        self.server = CallbackServer(
            self.tokens,
            self.receiver,
            ServerConfig(host=host, port=port, versions=versions, ssl_context=ssl_context),
            delay=self._delay if self.fault == Fault.SLOW else None,
        )
        self.server.intercept = self._intercept
        self.server.serve_modules = True
        behaviour = VERIFY_FAULTS.get(self.fault.value, ModuleBehaviour())
        if not behaviour.echo_request_ids:
            self.server.echo_headers = ()
        self.modules = ModuleLayer(
            behaviour,
            str(self.identity.get("country_code", "NL")),
            str(self.identity.get("party_id", "SBX")),
        )
        self._armed_drift = DRIFT_FAULTS.get(self.fault.value)
        self.transcript = Transcript("sandbox")
        self.receiver.hooks = SandboxHooks(self)

    async def start(self) -> SandboxPartner:
        await self.server.start()
        self._us.versions_url = self.server.versions_url
        self.receiver.invite(SANDBOX_PEER, self.token_a)
        return self

    async def stop(self) -> None:
        await self.server.stop()

    async def __aenter__(self) -> SandboxPartner:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def versions_url(self) -> str:
        return self.server.versions_url

    @property
    def registered(self) -> bool:
        session = self.receiver.sessions.get(SANDBOX_PEER)
        return session is not None and session.status == "registered"

    def session(self) -> PeerSession | None:
        return self.receiver.sessions.get(SANDBOX_PEER)

    def trigger_drift(self, kind: str) -> None:
        """Change what the partner offers, as partners do years after registration:
        "endpoint" (locations moves), "module" (tariffs dropped), "version" (the next
        higher OCPI version is offered as well)."""
        if kind == "version":
            offered = self.server.config.versions
            newer = [v for v in SUPPORTED_VERSIONS if v not in offered and v > max(offered)]
            if not newer:
                raise ValueError("the sandbox already offers the highest version")
            self.server.config.versions = (*offered, min(newer))
        elif kind in ("endpoint", "module"):
            self.modules.apply_drift(kind)
        else:
            raise ValueError(f"unknown drift {kind!r}")

    async def _delay(self, kind: str) -> None:
        self.held.append(kind)
        await asyncio.sleep(self.slow_seconds)

    async def _intercept(
        self, request: web.Request, kind: str, version: str | None
    ) -> web.StreamResponse | None:
        if self._armed_drift and self.registered:
            drift, self._armed_drift = self._armed_drift, None
            with contextlib.suppress(ValueError):  # nothing higher to offer: no drift
                self.trigger_drift(drift)
        if kind == "details" and self.fault == Fault.DETAILS_ONLY:
            body = build_envelope(
                {
                    "version": version,
                    "endpoints": [
                        {
                            "identifier": "locations",
                            "role": "SENDER",
                            "url": self.server.details_url(version or "") + "/locations",
                        }
                    ],
                }
            )
            return web.json_response(body)
        if kind == "details" and version is not None:
            details = self.modules.endpoints(
                self.server.details_url(version), version, self.server.credentials_url(version)
            )
            headers = {
                name: request.headers[name]
                for name in self.server.echo_headers
                if name in request.headers
            }
            return web.json_response(build_envelope(details), headers=headers)
        if kind == "module" and version is not None:
            return self.modules.serve(request, version, self.server.details_url(version))
        if kind != "credentials" or request.method != "POST":
            return None
        if self.fault == Fault.HTML_500:
            html = "<!DOCTYPE html><html><body><h1>500 Internal Server Error</h1></body></html>"
            return web.Response(status=500, text=html, content_type="text/html")
        if self.fault == Fault.MALFORMED_JSON:
            return web.Response(
                status=200,
                text='{"data": {"token": "abc", "url": ',
                content_type="application/json",
            )
        if self.fault == Fault.OCPI_2001:
            body = build_envelope(None, INVALID_PARAMS, "Invalid or missing parameters: roles")
            return web.Response(status=200, text=json.dumps(body), content_type="application/json")
        if self.fault == Fault.ALREADY_REGISTERED:
            body = build_envelope(None, 2000, "Client already registered")
            return web.Response(status=405, text=json.dumps(body), content_type="application/json")
        return None


__all__ = ["DEMO_IDENTITY", "SANDBOX_PEER", "Fault", "SandboxPartner"]
