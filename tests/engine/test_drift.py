"""Snapshots and drift over loopback: the sandbox's drift triggers (an endpoint moves, a
module is dropped, a newer version is offered) are reported by check, before and after,
until accepted; a newer common version is taken by a guided upgrade; a rotation
re-baselines; check --all singles out the drifted partner; TLS expiry and token age."""

from __future__ import annotations

import dataclasses
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme

from app.core.tokens import Secret, TokenRole, generate_token
from app.engine.drift_check import check_all
from app.sandbox import DEMO_IDENTITY, SandboxPartner
from app.vault import Vault
from app.vault.snapshots import Snapshots
from tests.engine.conftest import FAST, started_engine
from tests.support.aio import run

TWO = ("2.1.1", "2.2.1")


async def _registered(engine: Any, sandbox: SandboxPartner, token_a: Secret) -> int:
    result = await engine.register(sandbox.versions_url, token_a)
    assert result.status == "registered", result.diagnosis
    assert result.partner_id is not None
    return int(result.partner_id)


def test_registration_stores_the_baseline(vault: Vault) -> None:
    async def scenario() -> int:
        token_a = Secret(generate_token(), TokenRole.A)
        async with SandboxPartner(token_a, versions=TWO, http_settings=FAST) as sandbox:
            async with started_engine(vault) as engine:
                pid = await _registered(engine, sandbox, token_a)
                first = await engine.check_drift(pid)
                assert first.ok and first.extra["drift"] == []
                return pid

    pid = run(scenario())
    base = Snapshots(vault).baseline(pid)
    assert base is not None
    history = Snapshots(vault).history(pid)
    assert [s.source for s in history][-1] == "registration"
    assert history[-1].observation.versions == ["2.1.1", "2.2.1"]
    assert {e["identifier"] for e in history[-1].observation.endpoints} >= {"locations", "tariffs"}


@pytest.mark.parametrize(
    ("kind", "what", "before_part", "after_part"),
    [
        (
            "endpoint",
            "endpoint locations (SENDER) moved",
            "/2.2.1/locations",
            "/2.2.1/v2/locations",
        ),
        ("module", "module tariffs (SENDER) dropped", "/2.2.1/tariffs", None),
        ("version", "version 2.3.0 offered", None, "2.3.0"),
    ],
)
def test_drift_reported_until_accepted(
    vault: Vault, kind: str, what: str, before_part: str | None, after_part: str | None
) -> None:
    async def scenario() -> list[Any]:
        token_a = Secret(generate_token(), TokenRole.A)
        async with SandboxPartner(token_a, versions=TWO, http_settings=FAST) as sandbox:
            async with started_engine(vault) as engine:
                pid = await _registered(engine, sandbox, token_a)
                sandbox.trigger_drift(kind)
                found = await engine.check_drift(pid)
                again = await engine.check_drift(pid)
                accepted = await engine.check_drift(pid, accept_drift=True)
                after = await engine.check_drift(pid)
                return [found, again, accepted, after, pid]

    found, again, accepted, after, pid = run(scenario())
    assert found.ok and found.to_json()["status"] == "ok"
    (item,) = [d for d in found.extra["drift"] if d["what"] == what]
    for value, part in ((item["before"], before_part), (item["after"], after_part)):
        assert (value is None) if part is None else (part in str(value)), item
    assert again.extra["drift"] == found.extra["drift"]  # stays reported until accepted
    assert accepted.extra["drift"] == [] and accepted.extra["accepted_drift"]
    assert after.extra["drift"] == []
    if kind == "version":  # accepting a newer common version is the guided upgrade
        assert accepted.extra["upgraded_to"] == "2.3.0"
        partner = vault.partner(pid)
        assert partner.ocpi_version == "2.3.0"
        assert all("/2.3.0" in e["url"] for e in partner.endpoints)
    sources = [s.source for s in Snapshots(vault).history(pid)]
    assert sources[-1] == "registration" and ("accepted" in sources or "rotation" in sources)


def test_rotation_rebaselines(vault: Vault) -> None:
    async def scenario() -> tuple[Any, Any]:
        token_a = Secret(generate_token(), TokenRole.A)
        async with SandboxPartner(token_a, versions=TWO, http_settings=FAST) as sandbox:
            async with started_engine(vault) as engine:
                pid = await _registered(engine, sandbox, token_a)
                sandbox.trigger_drift("endpoint")
                drifted = await engine.check_drift(pid)
                assert (await engine.rotate(pid)).status == "rotated"
                return drifted, await engine.check_drift(pid)

    drifted, after = run(scenario())
    assert drifted.extra["drift"] and after.extra["drift"] == []


def test_check_all_singles_out_the_drifted_partner(vault: Vault) -> None:
    other = {**DEMO_IDENTITY, "party_id": "SBY"}

    async def scenario() -> list[Any]:
        a = Secret(generate_token(), TokenRole.A)
        b = Secret(generate_token(), TokenRole.A)
        async with SandboxPartner(a, versions=TWO, http_settings=FAST) as first:
            async with SandboxPartner(
                b, versions=TWO, http_settings=FAST, identity=other
            ) as second:
                async with started_engine(vault) as engine:
                    await _registered(engine, first, a)
                    await _registered(engine, second, b)
                    second.trigger_drift("module")
                    return await check_all(engine)

    results = run(scenario())
    by_peer = {r.peer["party_id"]: r for r in results}
    assert set(by_peer) == {"SBX", "SBY"}
    assert all(r.ok for r in results)
    assert by_peer["SBX"].extra["drift"] == [] and by_peer["SBY"].extra["drift"]
    for result in results:
        data = result.to_json()
        assert {"status", "peer", "ocpi_version", "drift", "token_age_days",
                "tls_expires_days", "diagnosis"} <= set(data)  # fmt: skip
        assert data["token_age_days"] == 0 and data["tls_expires_days"] is None  # http


def test_tls_expiry_days_from_the_partner_certificate(vault: Vault, tmp_path: Path) -> None:
    ca = trustme.CA()
    ca_pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_pem))
    leaf = ca.issue_cert("127.0.0.1", not_after=datetime.now(UTC) + timedelta(days=10, hours=12))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    http = dataclasses.replace(FAST, ca_bundle=str(ca_pem))

    async def scenario() -> Any:
        token_a = Secret(generate_token(), TokenRole.A)
        async with SandboxPartner(token_a, ssl_context=context, http_settings=http) as sandbox:
            async with started_engine(vault, http=http) as engine:
                pid = await _registered(engine, sandbox, token_a)
                return await engine.check_drift(pid)

    result = run(scenario(), timeout=30)
    assert result.ok and result.extra["tls_expires_days"] == 10


def test_machine_online_sees_this_machines_route() -> None:
    """The liveness loop pauses only when no route leaves the machine; on a machine with an
    interface (every test host) that is online, whatever the partner's reachability."""
    import socket

    from app.engine.liveness import machine_online

    has_route = False
    for family, address in (
        (socket.AF_INET, ("192.0.2.1", 9)),
        (socket.AF_INET6, ("2001:db8::1", 9)),
    ):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                probe.connect(address)
            has_route = True
            break
        except OSError:
            pass
    assert machine_online() is has_route
