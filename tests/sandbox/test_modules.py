"""The sandbox partner's module data over real loopback HTTP: pages follow the Link header
to the end, the headers agree with the body, faults and drift change what they say."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from app.core.tokens import Secret, TokenRole, generate_token
from app.sandbox import Fault, SandboxPartner
from tests.engine.conftest import FAST, started_engine
from tests.support.aio import run


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}


def _scenario(fault: str, body: Any, versions: tuple[str, ...] = ("2.2.1",)) -> Any:
    async def scenario(vault: Any) -> Any:
        token_a = Secret(generate_token(), TokenRole.A)
        async with SandboxPartner(
            token_a, versions=versions, fault=fault, http_settings=FAST
        ) as sandbox:
            async with started_engine(vault) as engine:
                result = await engine.register(sandbox.versions_url, token_a)
                assert result.status == "registered", result.diagnosis
                partner = engine.partner("NL-SBX")
                _cid, token_c = engine.outbound_token(partner)
                async with httpx.AsyncClient(timeout=5) as client:
                    return await body(sandbox, client, token_c.reveal())

    return scenario


def test_locations_paginate_to_the_end_by_link(vault: Any) -> None:
    async def body(sandbox: SandboxPartner, client: httpx.AsyncClient, token: str) -> Any:
        url: str | None = sandbox.server.details_url("2.2.1") + "/locations?limit=2"
        seen: list[str] = []
        totals = set()
        while url:
            response = await client.get(url, headers=_auth(token))
            assert response.status_code == 200
            page = response.json()["data"]
            assert len(page) <= int(response.headers["X-Limit"]) == 2
            totals.add(response.headers["X-Total-Count"])
            seen += [loc["id"] for loc in page]
            link = response.headers.get("Link")
            url = link.split(";")[0].strip("<> ") if link else None
        tariffs = await client.get(
            sandbox.server.details_url("2.2.1") + "/tariffs", headers=_auth(token)
        )
        sessions = await client.get(
            sandbox.server.details_url("2.2.1") + "/sessions", headers=_auth(token)
        )
        anonymous = await client.get(sandbox.server.details_url("2.2.1") + "/locations")
        return seen, totals, tariffs, sessions, anonymous

    seen, totals, tariffs, sessions, anonymous = run(_scenario("none", body)(vault))
    assert seen == ["LOC001", "LOC002", "LOC003"] and totals == {"3"}
    assert len(tariffs.json()["data"]) == 2 and tariffs.headers["X-Total-Count"] == "2"
    assert "Link" not in tariffs.headers
    assert sessions.json()["data"] == [] and sessions.headers["X-Total-Count"] == "0"
    assert anonymous.status_code == 401


def test_bad_paging_parameters_are_an_ocpi_error(vault: Any) -> None:
    async def body(sandbox: SandboxPartner, client: httpx.AsyncClient, token: str) -> Any:
        return await client.get(
            sandbox.server.details_url("2.2.1") + "/locations?limit=abc", headers=_auth(token)
        )

    response = run(_scenario("none", body)(vault))
    assert response.status_code == 400 and response.json()["status_code"] == 2001


@pytest.mark.parametrize("kind", ["endpoint", "module", "version"])
def test_drift_trigger_changes_what_the_partner_offers(vault: Any, kind: str) -> None:
    async def body(sandbox: SandboxPartner, client: httpx.AsyncClient, token: str) -> Any:
        before_details = (
            await client.get(sandbox.server.details_url("2.2.1"), headers=_auth(token))
        ).json()["data"]["endpoints"]
        sandbox.trigger_drift(kind)
        versions = (await client.get(sandbox.versions_url, headers=_auth(token))).json()["data"]
        details = (
            await client.get(sandbox.server.details_url("2.2.1"), headers=_auth(token))
        ).json()["data"]["endpoints"]
        old_locations = await client.get(
            sandbox.server.details_url("2.2.1") + "/locations", headers=_auth(token)
        )
        return before_details, versions, details, old_locations

    before, versions, details, old_locations = run(
        _scenario("none", body, versions=("2.1.1", "2.2.1"))(vault)
    )
    urls = {e["identifier"]: e["url"] for e in details}
    if kind == "endpoint":
        assert urls["locations"].endswith("/v2/locations")
        assert old_locations.status_code == 404
    elif kind == "module":
        assert "tariffs" not in urls and "tariffs" in {e["identifier"] for e in before}
    else:
        assert [v["version"] for v in versions] == ["2.1.1", "2.2.1", "2.3.0"]


def test_drift_fault_applies_once_registered(vault: Any) -> None:
    async def body(sandbox: SandboxPartner, client: httpx.AsyncClient, token: str) -> Any:
        return (await client.get(sandbox.server.details_url("2.2.1"), headers=_auth(token))).json()

    details = run(_scenario(Fault.DRIFT_MODULE, body)(vault))
    assert "tariffs" not in {e["identifier"] for e in details["data"]["endpoints"]}


def test_unknown_drift_is_refused() -> None:
    sandbox = SandboxPartner(Secret(generate_token(), TokenRole.A), versions=("2.3.0",))
    with pytest.raises(ValueError, match="unknown drift"):
        sandbox.trigger_drift("weather")
    with pytest.raises(ValueError, match="highest version"):
        sandbox.trigger_drift("version")
