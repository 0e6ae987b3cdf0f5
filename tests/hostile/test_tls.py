"""TLS with a test CA (trustme): the partner on https, verified against a CA bundle.

Issue "Handshake engine" (bad input, TLS) and the hostile matrix (invalid or expired
certificate, wrong host name): registration works with HttpSettings(ca_bundle=<CA pem>),
fails with net.tls and a clear detail without it, with an expired certificate and with a
certificate for another host name; an https -> http redirect is refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import ssl
from pathlib import Path

import pytest
import trustme
from aiohttp import web

from app.core.tokens import Secret, TokenRole, generate_token
from app.sandbox import SandboxPartner
from app.vault import Vault
from tests.engine.conftest import started_engine
from tests.hostile.harness import HOSTILE_HTTP, Partner, assert_sound, sender_run
from tests.support.aio import run


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_pem(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "partner-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def server_context(cert: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context


def good_partner(p: Partner) -> None:
    p.standard(p.credentials_reply())


def _register(vault: Vault, context: ssl.SSLContext, ca_bundle: str | None, script=good_partner):  # type: ignore[no-untyped-def]
    http = dataclasses.replace(HOSTILE_HTTP, ca_bundle=ca_bundle)
    return run(sender_run(vault, script, http=http, ssl_context=context), timeout=30)


def _check(outcome, vault, capfd, caplog, code, registered=False):  # type: ignore[no-untyped-def]
    captured = capfd.readouterr()
    assert_sound(
        outcome,
        vault,
        code,
        captured=(captured.out, captured.err),
        log_text=caplog.text,
        registered=registered,
        outcome_state="succeeded" if registered else "failed",
    )


def test_https_partner_with_ca_bundle_registers(
    vault: Vault, ca: trustme.CA, ca_pem: str, capfd, caplog
) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    outcome = _register(vault, server_context(ca.issue_cert("127.0.0.1", "localhost")), ca_pem)
    assert outcome.partner.versions_url.startswith("https://")
    _check(outcome, vault, capfd, caplog, None, registered=True)


def test_https_partner_without_ca_bundle_is_net_tls(
    vault: Vault, ca: trustme.CA, capfd, caplog
) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    outcome = _register(vault, server_context(ca.issue_cert("127.0.0.1")), None)
    _check(outcome, vault, capfd, caplog, "net.tls")
    assert "not signed by a trusted authority" in outcome.diagnosis.message  # type: ignore[union-attr]
    assert outcome.partner.server.seen == []  # TOKEN_A never left: the handshake failed first


def test_expired_certificate_is_named(
    vault: Vault, ca: trustme.CA, ca_pem: str, capfd, caplog
) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    past = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    cert = ca.issue_cert("127.0.0.1", not_before=past, not_after=past + dt.timedelta(days=30))
    outcome = _register(vault, server_context(cert), ca_pem)
    _check(outcome, vault, capfd, caplog, "net.tls")
    assert "expired" in outcome.diagnosis.message  # type: ignore[union-attr]
    assert outcome.partner.server.seen == []


def test_wrong_host_name_is_named(vault: Vault, ca: trustme.CA, ca_pem: str, capfd, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    outcome = _register(vault, server_context(ca.issue_cert("partner.example.com")), ca_pem)
    _check(outcome, vault, capfd, caplog, "net.tls")
    assert "another host name" in outcome.diagnosis.message  # type: ignore[union-attr]
    assert outcome.partner.server.seen == []


def test_https_to_http_redirect_is_refused(
    vault: Vault, ca: trustme.CA, ca_pem: str, capfd, caplog
) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)

    def script(p: Partner) -> None:
        p.standard()

        async def downgrade(request: web.Request) -> web.StreamResponse:
            assert p.other is not None
            return web.Response(status=302, headers={"Location": p.other.url("/ocpi/versions")})

        p.server.on("GET", "/ocpi/versions", downgrade)

    outcome = _register(vault, server_context(ca.issue_cert("127.0.0.1")), ca_pem, script)
    _check(outcome, vault, capfd, caplog, "net.redirect_downgrade")
    assert outcome.partner.other is not None and outcome.partner.other.seen == []


def test_sandbox_over_https_registers(vault: Vault, ca: trustme.CA, ca_pem: str) -> None:
    """The sandbox partner itself served with a trustme certificate."""

    async def scenario() -> tuple[str, str]:
        token_a = Secret(generate_token(), TokenRole.A)
        context = server_context(ca.issue_cert("127.0.0.1"))
        http = dataclasses.replace(HOSTILE_HTTP, ca_bundle=ca_pem)
        async with SandboxPartner(token_a, ssl_context=context, http_settings=http) as sandbox:
            async with started_engine(vault, http=http) as engine:
                result = await engine.register(sandbox.versions_url, token_a)
                return sandbox.versions_url, result.status

    url, status = run(scenario(), timeout=30)
    assert url.startswith("https://") and status == "registered"
