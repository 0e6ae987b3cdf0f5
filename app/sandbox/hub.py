"""Hub modes for the sandbox: rehearse a roaming hub's rules with nobody on the other end.

Modes combine (a GIREVE-like hub is all of the first three):
- mtls-required: HTTPS only, and the TLS handshake demands a client certificate from the
  sandbox's CA (certificates are generated when none are given: app.sandbox.certs);
- routing-headers-required: a `locations` module answers only with OCPI-from/to-country-code
  and -party-id naming the right parties; versions, details and credentials refuse them;
- put-refused: a credentials PUT is refused (405); rotate by DELETE, then register again
  with the next TOKEN_A the hub issues (`next_token_a`, read at the DELETE);
- activation-delay: a new TOKEN_C is refused (401) for `activation_delay_s` seconds.
Built on SandboxPartner without changing it: a CallbackServer subclass adds the module
route, and an intercept in front of the sandbox's own applies the hub's rules.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from aiohttp import web

from app.callback.receiver import PeerSession
from app.callback.server import CallbackServer, ServerConfig
from app.callback.tokenbook import Grant, Stage
from app.core.http import OcpiHttp, make_client
from app.core.judging import Response, judge
from app.core.models import credentials_to_wire
from app.core.ocpi import (
    CLIENT_ERROR,
    INVALID_PARAMS,
    build_envelope,
    canonical_version,
    parse_authorization,
    uses_base64_header,
)
from app.core.tokens import Secret, TokenRole, generate_token
from app.sandbox.certs import SandboxCerts, make_sandbox_certs
from app.sandbox.partner import DEMO_IDENTITY, SANDBOX_PEER, SandboxHooks, SandboxPartner

ROUTING = (
    "OCPI-from-country-code",
    "OCPI-from-party-id",
    "OCPI-to-country-code",
    "OCPI-to-party-id",
)
MODULES = (("locations", "SENDER"),)


class HubMode(StrEnum):
    """Values are the CLI's --hub-mode names."""

    MTLS_REQUIRED = "mtls-required"
    ROUTING_HEADERS_REQUIRED = "routing-headers-required"
    PUT_REFUSED = "put-refused"
    ACTIVATION_DELAY = "activation-delay"


class HubServer(CallbackServer):
    """Our endpoint plus one module route (`{version}/locations`, an empty list)."""

    def _route(self, path: str) -> tuple[str, str | None]:
        kind, version = super()._route(path)
        if kind != "other":
            return kind, version
        prefix = self.details_url("")[len(self.base_url) :]  # "/ocpi/"
        tail = [p for p in path[len(prefix) :].split("/") if p] if path.startswith(prefix) else []
        modules = {m for m, _ in self.config.extra_endpoints}
        if len(tail) == 2 and tail[0] in self.config.versions and tail[1] in modules:
            return "module", tail[0]
        return kind, version

    async def _serve(
        self, request: web.Request, kind: str, version: str | None, grant: Grant, body: bytes
    ) -> web.StreamResponse:
        if kind == "module":
            return self._envelope(200, 1000, None, request, [])
        return await super()._serve(request, kind, version, grant, body)


def _answer(http_status: int, status_code: int, message: str) -> web.Response:
    body = json.dumps(build_envelope(None, status_code, message))
    return web.Response(status=http_status, text=body, content_type="application/json")


class _HubHooks(SandboxHooks):
    """The hub notes when it registered a partner and takes a fresh TOKEN_A after a DELETE."""

    def __init__(self, hub: HubSandbox) -> None:
        super().__init__(hub)
        self.hub = hub

    async def registered(self, session: PeerSession, token_c: Secret, token_b: Secret) -> None:
        self.hub.on_registered()

    async def unregistered(self, session: PeerSession) -> None:
        self.hub.on_unregistered()


class HubSandbox(SandboxPartner):
    """A SandboxPartner that plays a roaming hub in the given modes."""

    def __init__(
        self,
        token_a: Secret,
        *,
        modes: tuple[HubMode | str, ...] = (),
        activation_delay_s: float = 5.0,
        certs: SandboxCerts | None = None,
        next_token_a: Callable[[], Secret | None] | None = None,
        **kwargs: Any,
    ) -> None:
        self.modes = frozenset(HubMode(m) for m in modes)
        self.certs = certs
        if HubMode.MTLS_REQUIRED in self.modes and kwargs.get("ssl_context") is None:
            self.certs = certs or make_sandbox_certs()
            kwargs["ssl_context"] = self.certs.server_context(require_client=True)
        identity = kwargs.pop("identity", None) or DEMO_IDENTITY
        super().__init__(token_a, identity=identity, **kwargs)
        old = self.server
        self.server = HubServer(
            self.tokens,
            self.receiver,
            ServerConfig(
                host=old.config.host,
                port=old.config.port,
                versions=old.config.versions,
                ssl_context=old.config.ssl_context,
                extra_endpoints=MODULES,
            ),
            delay=old._delay,
        )
        self.server.intercept = self._hub_intercept
        self.activation_delay_s = activation_delay_s
        self.next_token_a = next_token_a
        self.registered_at: float | None = None
        self.refusals: list[str] = []  # what the hub refused, for tests and the CLI
        self.module_calls: list[dict[str, str]] = []
        self.receiver.hooks = _HubHooks(self)

    @property
    def ssl_context(self) -> ssl.SSLContext | None:
        return self.server.config.ssl_context

    # ---- hooks -------------------------------------------------------------------------
    def on_registered(self) -> None:
        self.registered_at = time.monotonic()

    def on_unregistered(self) -> None:
        """A hub that rotates by DELETE then accepts the next TOKEN_A it issued."""
        fresh = self.next_token_a() if self.next_token_a is not None else None
        if fresh is not None and fresh.reveal() != self.token_a.reveal():
            self.token_a = fresh.with_role(TokenRole.A)
            self.registered_at = None

    def after_delete(self) -> None:
        """Called once the DELETE was answered: invite the fresh TOKEN_A, if any."""
        session = self.session()
        if (
            session is not None
            and session.status == "unregistered"
            and session.our_token.reveal() != self.token_a.reveal()
        ):
            self.receiver.invite(SANDBOX_PEER, self.token_a)

    # ---- a roster change, pushed to the partner ---------------------------------------
    async def push_credentials(
        self, roles: list[dict[str, Any]], hub_party_id: str | None = None
    ) -> dict[str, Any]:
        """Play a hub whose roster changed: PUT our new credentials (new roles, a new
        hub_party_id, a new token for them) to the registered partner, as OCPI's
        credentials PUT, and take the token it answers with. Returns the answer's data."""
        session = self.session()
        if session is None or session.status != "registered" or session.details is None:
            raise RuntimeError("nobody is registered with the sandbox")
        version = session.version or "2.2.1"
        endpoint = session.details.endpoint("credentials")
        assert endpoint is not None and session.their_token is not None
        fresh = Secret(generate_token(), TokenRole.C)
        self.tokens.grant(fresh, SANDBOX_PEER, Stage.REGISTERED, version)  # their callback
        self._us.roles = roles
        self._us.hub_party_id = hub_party_id
        body = credentials_to_wire(self._us.credentials(fresh), version)
        async with make_client(self.receiver.http_settings) as client:
            http = OcpiHttp(client, self.transcript, self.receiver.http_settings)
            result = await http.send(
                "PUT",
                endpoint.url,
                token=session.their_token,
                base64_token=uses_base64_header(canonical_version(version)),
                ocpi_headers=True,
                body=body,
            )
        envelope = judge(Response(result.status, result.body, result.content_type))
        data = envelope.data if isinstance(envelope.data, dict) else {}
        theirs = Secret(str(data.get("token", "")), TokenRole.B)
        self.tokens.revoke(session.our_token)
        self.tokens.forget_outbound(session.their_token)
        session.our_token, session.their_token = fresh, theirs
        self.tokens.remember_outbound(theirs, SANDBOX_PEER)
        return data

    # ---- the hub's rules ---------------------------------------------------------------
    async def _hub_intercept(
        self, request: web.Request, kind: str, version: str | None
    ) -> web.StreamResponse | None:
        carried = [h for h in ROUTING if h in request.headers]
        if HubMode.ROUTING_HEADERS_REQUIRED in self.modes:
            if kind in ("versions", "details", "credentials") and carried:
                return self._refuse(400, INVALID_PARAMS, f"routing headers not allowed on {kind}")
            if kind == "module":
                problem = self._routing_problem(request)
                if problem:
                    return self._refuse(400, INVALID_PARAMS, problem)
        if kind == "module":
            self.module_calls.append({h: request.headers.get(h, "") for h in ROUTING})
        if HubMode.PUT_REFUSED in self.modes and kind == "credentials" and request.method == "PUT":
            return self._refuse(
                405, CLIENT_ERROR, "this hub cannot rotate by PUT: DELETE, then register again"
            )
        if HubMode.ACTIVATION_DELAY in self.modes and self._inactive(request):
            return self._refuse(401, CLIENT_ERROR, "credentials not active yet")
        answer = await self._intercept(request, kind, version)
        if kind == "credentials" and request.method == "DELETE" and answer is None:
            return await self._delete_then_reissue(request, kind, version)
        return answer

    async def _delete_then_reissue(
        self, request: web.Request, kind: str, version: str | None
    ) -> web.StreamResponse:
        ident = self.tokens.identify(parse_authorization(request.headers.get("Authorization")))
        assert ident.grant is not None and version is not None
        response = await self.server._serve(request, kind, version, ident.grant, b"")
        self.after_delete()
        return response

    def _routing_problem(self, request: web.Request) -> str | None:
        missing = [h for h in ROUTING if not request.headers.get(h)]
        if missing:
            return f"missing routing headers: {', '.join(missing)}"
        to = (request.headers["OCPI-to-country-code"], request.headers["OCPI-to-party-id"])
        if to != (self.identity["country_code"], self.identity["party_id"]):
            return "OCPI-to names another party"
        session = self.session()
        if session is not None and session.partner is not None:
            first = session.partner.roles[0]
            sender = (
                request.headers["OCPI-from-country-code"],
                request.headers["OCPI-from-party-id"],
            )
            if sender != (first.country_code, first.party_id):
                return "OCPI-from does not name the registered party"
        return None

    def _inactive(self, request: web.Request) -> bool:
        if self.registered_at is None:
            return False
        ident = self.tokens.identify(parse_authorization(request.headers.get("Authorization")))
        grant = ident.grant
        if grant is None or grant.stage != Stage.REGISTERED:
            return False
        return time.monotonic() - self.registered_at < self.activation_delay_s

    def _refuse(self, http_status: int, status_code: int, message: str) -> web.Response:
        self.refusals.append(message)
        return _answer(http_status, status_code, message)


__all__ = ["MODULES", "ROUTING", "HubMode", "HubSandbox", "HubServer"]
