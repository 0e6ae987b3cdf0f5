"""The one outbound HTTP path: OCPI headers, size caps, deadlines, redirect policy, TLS.

Every request to a partner goes through `OcpiHttp.send`, which records a redacted exchange
in the transcript and turns transport failures into diagnoses. Policy (issue: handshake
engine, item 3): per-request deadline that also bounds a trickling server; bodies capped at
1 MiB; never a retry of POST/PUT; at most 3 same-origin GET redirects (warned); a redirect to
another origin refused and the token never sent there; http:// only to loopback unless
allowed. Uses an injected httpx transport (one pool per run): OcpiHttp already owns the
redirects, deadlines and headers, so httpx's client layer (auth and redirect flows, cookie
jar, event hooks, header merging) would only cost instructions for each request (issue 13).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import json
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from app.core.diagnosis import diagnose, fail
from app.core.events import Event, Level, RequestSent, ResponseReceived
from app.core.ocpi import authorization_header
from app.core.tokens import Secret
from app.core.transcript import Transcript

if TYPE_CHECKING:  # httpx loads with the first client (a call out), not with our endpoint
    import httpx

# httpx logs every request line, full URL included, at INFO: a partner's URL may carry a
# token, and the redacted transcript records each request anyway.
logging.getLogger("httpx").setLevel(logging.WARNING)

MAX_BODY_BYTES = 1024 * 1024
MAX_REDIRECTS = 3
USER_AGENT = "ocpi-onboard/0.1"


@dataclass(frozen=True)
class HttpSettings:
    """Timeouts in seconds. The POST waits longest: the partner calls us back before answering."""

    connect_timeout: float = 10.0
    request_timeout: float = 30.0
    # POST/PUT/DELETE of credentials (docs/ocpi-facts.md, fact 19: >= 60 s)
    write_timeout: float = 90.0
    total_timeout: float = 300.0  # a whole registration, however the time is spent
    max_body_bytes: int = MAX_BODY_BYTES
    allow_insecure: bool = False
    ca_bundle: str | None = None
    ca_pem: str | None = None  # a partner's CA as PEM text (a profile's vault copy)
    client_cert_pem: str | None = None  # mutual TLS towards the partner (PEM text)
    client_key_pem: str | None = field(default=None, repr=False)  # decrypted from the vault


@dataclass(frozen=True)
class HttpResult:
    """What came back: enough for the sans-IO machines to judge it."""

    method: str
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed_ms: float
    content_type: str | None = None
    redirects: list[str] = field(default_factory=list)


@functools.lru_cache(maxsize=64)  # asked for every request (its URL) and every redirect
def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def cannot_call_back(our_host: str | None, their_host: str | None) -> bool:
    """A partner elsewhere (`their_host` known and not this machine) cannot reach our
    endpoint on a loopback address: what the Onboard wizard warns of before TOKEN_A is
    spent and verify's check of our endpoint after the registration."""
    return bool(their_host) and is_loopback_host(our_host) and not is_loopback_host(their_host)


def check_url_allowed(url: str, allow_insecure: bool) -> None:
    """http:// only to this machine (or when explicitly allowed); raise a diagnosis otherwise."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # ValueError when out of range (e.g. 99999): httpx would fail obscurely
    except ValueError:
        raise fail("input.url_invalid") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise fail("input.url_invalid")
    if parts.scheme == "http" and not allow_insecure and not is_loopback_host(parts.hostname):
        raise fail("input.url_insecure")


@functools.lru_cache(maxsize=8)
def _ssl_context(
    ca_bundle: str | None,
    ca_pem: str | None = None,
    client_cert_pem: str | None = None,
    client_key_pem: str | None = None,
) -> ssl.SSLContext:
    """Verified TLS, TLS 1.2 at least; built once per CA bundle and client certificate
    (loading the CA store costs ~15 ms, more than a whole loopback handshake)."""
    if ca_bundle or ca_pem:
        context = ssl.create_default_context(cafile=ca_bundle or None, cadata=ca_pem or None)
    else:
        import certifi

        context = ssl.create_default_context(cafile=certifi.where())
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if client_cert_pem and client_key_pem:
        from app.core.pem import load_client_certificate

        load_client_certificate(context, client_cert_pem, client_key_pem)
    return context


def make_client(settings: HttpSettings) -> httpx.AsyncHTTPTransport:
    """One connection pool per run (httpx's transport: `async with` it, or `aclose()`); TLS
    verified (optionally against a CA bundle), with the partner's client certificate when
    its profile has one (mutual TLS). No proxies from the environment (trust_env off)."""
    import httpx  # the first call out loads it (issue 13: not at start-up)

    verify = _ssl_context(
        settings.ca_bundle, settings.ca_pem, settings.client_cert_pem, settings.client_key_pem
    )
    return httpx.AsyncHTTPTransport(
        verify=verify,
        limits=httpx.Limits(max_connections=10, max_keepalive_connections=5),
        trust_env=False,
    )


# The head every request opens with, in the order httpx's client sent it (Host comes
# first, from httpx.Request; then these; then the request's own headers, which are what
# the transcript records): what partners see does not change.
_BASE_HEADERS = {
    "Accept-Encoding": "gzip, deflate",  # undone by _decode_for_record, within the cap
    "Connection": "keep-alive",
    "User-Agent": USER_AGENT,
}


def _timeouts(settings: HttpSettings, deadline: float) -> dict[str, float]:
    """httpcore's per-phase timeouts (as httpx.Timeout(deadline, connect=...).as_dict())."""
    return {
        "connect": settings.connect_timeout,
        "read": deadline,
        "write": deadline,
        "pool": deadline,
    }


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, (parts.hostname or "").lower(), port


class OcpiHttp:
    """Sends OCPI requests for one run and records them, redacted, in its transcript."""

    def __init__(
        self,
        client: httpx.AsyncHTTPTransport,
        transcript: Transcript,
        settings: HttpSettings | None = None,
        emit: Callable[[Event], None] | None = None,
        correlation_id: str | None = None,
    ) -> None:
        self.client = client
        self.transcript = transcript
        self.settings = settings or HttpSettings()
        self._emit = emit or (lambda event: None)
        # RequestSent / ResponseReceived are built only for someone who reads them (the
        # transcript records the exchange itself); other events (a redirect's warning) always
        self.request_events = emit is not None
        self.correlation_id = correlation_id or _request_id()
        self.requests_sent = 0
        self.connections_opened = 0
        # OCPI-from/to-* headers for module calls, when the partner's profile asks for them
        self.routing: dict[str, str] | None = None
        self.certificates: dict[str, float] = {}  # host:port -> notAfter (epoch) of its cert
        self._streams: list[object] = []  # the connections' streams seen (a run: one or two)
        self._cookies: httpx.Cookies | None = None  # made with the first Set-Cookie seen
        self._timeouts = {  # built once: read-only for httpcore
            False: _timeouts(self.settings, self.settings.request_timeout),
            True: _timeouts(self.settings, self.settings.write_timeout),
        }

    async def send(
        self,
        method: str,
        url: str,
        *,
        token: Secret | None,
        base64_token: bool,
        ocpi_headers: bool,
        body: dict[str, Any] | None = None,
        module_call: bool = False,
    ) -> HttpResult:
        """One request, redirects handled by policy; raises OnboardingError on transport failure.

        `module_call` (locations, tariffs, ...) adds the routing headers when set; versions,
        version details and credentials never carry them (hubs refuse them there).
        """
        check_url_allowed(url, self.settings.allow_insecure)
        redirects: list[str] = []
        current = url
        extra = dict(self.routing) if module_call and self.routing else None
        while True:
            result = await self._send_once(
                method, current, token, base64_token, ocpi_headers, body, extra
            )
            if result.status not in (301, 302, 303, 307, 308):
                if not redirects:  # the common case: `result` already says none
                    return result
                return HttpResult(**{**result.__dict__, "redirects": redirects})
            location = result.headers.get("location")
            if not location:
                return result
            if method != "GET":
                raise fail("net.redirect_write", method)
            try:  # an unparsable Location (bad IPv6, port 99999) is refused like another origin
                target = urljoin(current, location)
                there, here = _origin(target), _origin(current)
            except ValueError:
                raise fail("net.redirect_cross_origin", "an unreadable address") from None
            if there[0] == "http" and here[0] == "https":
                raise fail("net.redirect_downgrade")
            if there != here:
                scheme, host, port = there
                raise fail("net.redirect_cross_origin", f"{scheme}://{host}:{port}")
            if len(redirects) >= MAX_REDIRECTS:
                raise fail("net.redirect_loop")
            redirects.append(target)
            shown = self.transcript.redactor.text(f"{current} -> {target}")
            warning = diagnose("ocpi.redirect_warning", shown)
            self._emit(Event(warning.message, Level.WARNING))
            current = target

    async def _send_once(
        self,
        method: str,
        url: str,
        token: Secret | None,
        base64_token: bool,
        ocpi_headers: bool,
        body: dict[str, Any] | None,
        extra_headers: dict[str, str] | None = None,
    ) -> HttpResult:
        headers: dict[str, str] = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = authorization_header(token.reveal(), base64_token)
        # X-Request-ID and X-Correlation-ID on every request, 2.1.1 included: hubs (GIREVE)
        # want them everywhere and echo them; 2.1.1 servers ignore unknown headers.
        headers["X-Request-ID"] = _request_id()
        headers["X-Correlation-ID"] = self.correlation_id
        if extra_headers:
            headers.update(extra_headers)
        content: bytes | None = None
        if body is not None:
            content = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        write = method in ("POST", "PUT", "DELETE")
        deadline = self.settings.write_timeout if write else self.settings.request_timeout
        token_label = token.fingerprint if token is not None else None
        events = self.request_events
        shown_url = exchange_id = ""
        if events:
            exchange_id = headers.get("X-Request-ID") or _request_id()
            shown_url = self.transcript.redactor.text(url)  # a partner's URL may carry a token
            self._emit(
                RequestSent(
                    f"{method} {shown_url} with {token_label or 'no token'}",
                    method=method,
                    url=shown_url,
                    token=token_label,
                    exchange_id=exchange_id,
                )
            )
        started = time.time()
        t0 = time.perf_counter()
        status: int | None = None
        resp_headers: dict[str, str] = {}
        chunks: list[bytes] = []
        error: Exception | None = None
        try:
            async with asyncio.timeout(deadline):
                import httpx  # loaded already: self.client is an httpx transport

                request = httpx.Request(
                    method,
                    url,
                    headers=_BASE_HEADERS | headers,
                    content=content,
                    cookies=self._cookies or None,  # what the partner set, as httpx's client
                    extensions={"timeout": self._timeouts[write]},
                )
                self.requests_sent += 1
                response = await self.client.handle_async_request(request)
                response.request = request
                resp_headers = _header_dict(response.headers)
                if "set-cookie" in resp_headers:  # rare: OCPI authenticates by token
                    self._cookies = self._cookies or httpx.Cookies()
                    self._cookies.extract_cookies(response)
                self._note_connection(response)
                self._note_certificate(url, response)
                try:
                    status = response.status_code
                    size = 0
                    async for chunk in response.aiter_raw():
                        size += len(chunk)
                        if size > self.settings.max_body_bytes:
                            raise _TooLarge()
                        chunks.append(chunk)
                finally:
                    await response.aclose()
        except Exception as exc:  # mapped to a diagnosis below; recorded first
            error = exc
        elapsed = (time.perf_counter() - t0) * 1000
        raw_body = b"".join(chunks)
        body_for_record = _decode_for_record(raw_body, resp_headers)
        if error is None and len(body_for_record) > self.settings.max_body_bytes:
            error = _TooLarge()  # a small compressed body that inflates past the cap
        self.transcript.add_exchange(
            direction="outbound",
            method=method,
            url=url,
            request_headers=headers,
            request_body=content,
            status=status,
            response_headers=resp_headers,
            response_body=body_for_record,
            started=started,
            elapsed_ms=elapsed,
            token=token_label,
            error=type(error).__name__ if error else None,
        )
        if error is not None:
            raise self._diagnose_transport(error, method, url, deadline) from None
        assert status is not None
        if events:
            self._emit(
                ResponseReceived(
                    f"{method} {shown_url} -> HTTP {status} in {elapsed:.0f} ms",
                    method=method,
                    url=shown_url,
                    http_status=status,
                    elapsed_ms=elapsed,
                    exchange_id=exchange_id,
                )
            )
        return HttpResult(
            method,
            url,
            status,
            resp_headers,
            body_for_record,
            elapsed,
            resp_headers.get("content-type"),
        )

    def _note_certificate(self, url: str, response: httpx.Response) -> None:
        """Remember when the partner's TLS certificate expires (health: expiry reminders)."""
        if url[:6].lower() != "https:":  # no TLS, no certificate (anyio builds a dict to say so)
            return
        stream = response.extensions.get("network_stream")
        ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
        if ssl_object is None:
            return
        cert = ssl_object.getpeercert()
        if cert and cert.get("notAfter"):
            self.certificates[_netloc(url)] = ssl.cert_time_to_seconds(str(cert["notAfter"]))

    def certificate_days(self, url: str) -> int | None:
        """Whole days until the certificate seen for `url`'s host expires (None: not seen,
        e.g. http)."""
        not_after = self.certificates.get(_netloc(url))
        if not_after is None:
            return None
        return int((not_after - time.time()) // 86400)

    def _note_connection(self, response: httpx.Response) -> None:
        """Count the connections the answers came on (one pool per run is the target): a
        connection's network stream is the same object for each request it carries. (An
        httpx trace hook counted them before: ~30 coroutine calls a handshake.)"""
        stream = response.extensions.get("network_stream")
        if stream is not None and not any(seen is stream for seen in self._streams):
            self._streams.append(stream)
            self.connections_opened += 1

    def _diagnose_transport(
        self, exc: Exception, method: str, url: str, deadline: float
    ) -> Exception:
        import httpx  # loaded already: the failed call went through an httpx client

        host = urlsplit(url).netloc
        if isinstance(exc, asyncio.CancelledError):
            return exc
        if isinstance(exc, _TooLarge):
            return fail("net.body_too_large", f"{self.settings.max_body_bytes // 1024} KiB")
        if isinstance(exc, TimeoutError | httpx.TimeoutException):
            if method in ("POST", "PUT"):
                return fail("net.post_timeout")
            return fail("net.timeout", f"{deadline:.0f} s")
        refused = _client_cert_refusal(str(exc))
        if refused is not None and isinstance(exc, httpx.HTTPError | ssl.SSLError):
            if self.settings.client_cert_pem:
                return fail("net.client_cert_refused", refused)
            return fail("net.client_cert_missing")
        if isinstance(exc, httpx.ConnectError):
            text = str(exc)
            if "CERTIFICATE" in text.upper() or "SSL" in text.upper():
                return fail("net.tls", _tls_reason(text))
            if "Name or service not known" in text or "nodename nor servname" in text:
                return fail("net.dns", urlsplit(url).hostname or host)
            return fail("net.connect", host)
        if isinstance(exc, ssl.SSLError):
            return fail("net.tls", _tls_reason(str(exc)))
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
            if method in ("POST", "PUT"):
                return fail("net.post_timeout")
            return fail("net.reset")
        if isinstance(exc, httpx.DecodingError):
            return fail("ocpi.not_json", "undecodable content encoding")
        if isinstance(exc, httpx.HTTPError):
            return fail("net.connect", f"{host} ({type(exc).__name__})")
        return fail("internal", type(exc).__name__)


def _header_dict(headers: httpx.Headers) -> dict[str, str]:
    """The answer's headers by lower-case name, repeated ones joined with ", " (as
    `dict(headers.items())`, without its per-header calls)."""
    encoding = headers.encoding
    found: dict[str, str] = {}
    for raw_key, raw_value in headers.raw:
        key, value = raw_key.decode(encoding).lower(), raw_value.decode(encoding)
        found[key] = f"{found[key]}, {value}" if key in found else value
    return found


def _netloc(url: str) -> str:
    _scheme, host, port = _origin(url)
    return f"{host}:{port}"


class _TooLarge(Exception):
    pass


def _decode_for_record(raw: bytes, headers: dict[str, str]) -> bytes:
    """Undo gzip/deflate (httpx's raw stream keeps it) within the cap; else keep bytes."""
    encoding = headers.get("content-encoding", "").lower()
    if not raw or encoding not in ("gzip", "deflate"):
        return raw
    import zlib

    try:
        wbits = 31 if encoding == "gzip" else 15
        decomp = zlib.decompressobj(wbits)
        out = decomp.decompress(raw, MAX_BODY_BYTES + 1)
        return out[: MAX_BODY_BYTES + 1]
    except zlib.error:
        return raw


_PEER_ALERTS = {
    "alert certificate required": "a certificate is required",
    "alert bad certificate": "bad certificate",
    "alert unknown ca": "our certificate's issuer is unknown to them",
    "alert certificate unknown": "certificate unknown",
    "alert certificate expired": "our certificate has expired",
    "alert certificate revoked": "our certificate is revoked",
    "alert handshake failure": "handshake failure",
}


def _client_cert_refusal(text: str) -> str | None:
    """The partner's TLS alert when it refused (or wanted) our client certificate."""
    lowered = text.lower()
    for needle, reason in _PEER_ALERTS.items():
        if needle in lowered:
            return reason
    return None


def _tls_reason(text: str) -> str:
    lowered = text.lower()
    if "expired" in lowered:
        return "the certificate has expired"
    if "hostname" in lowered or "host name" in lowered or "ip address mismatch" in lowered:
        return "the certificate is for another host name"
    if (
        "self-signed" in lowered
        or "self signed" in lowered
        or "unable to get local issuer" in lowered
    ):
        return "the certificate is not signed by a trusted authority"
    return "certificate verification failed"


def _request_id() -> str:
    """A fresh UUID4 text. `uuid` loads with the first request, not with the engine's start
    (it brings `platform` and libuuid; a UUID4 needs neither) (issue 13, memory)."""
    import uuid

    return str(uuid.uuid4())
