"""verify against the sandbox partner over loopback: a clean partner passes with stable ids;
each deviation the sandbox can play makes the matching check warn or fail with a fix that
names the problem; the report is in the run's record and in every export format."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.core.tokens import Secret, TokenRole, generate_token
from app.core.transcript_export import FORMATS, export
from app.engine.verify_checks import CATALOGUE, VerifyReport
from app.sandbox import Fault, SandboxPartner
from app.vault import Vault
from tests.engine.conftest import FAST, started_engine
from tests.support.aio import run


async def _verify_runs(
    vault: Vault, fault: str = "none", version: str = "2.2.1", runs: int = 1
) -> list[VerifyReport]:
    token_a = Secret(generate_token(), TokenRole.A)
    async with SandboxPartner(
        token_a, versions=(version,), fault=fault, http_settings=FAST
    ) as sandbox:
        async with started_engine(vault) as engine:
            registered = await engine.register(sandbox.versions_url, token_a)
            assert registered.status == "registered", registered.diagnosis
            return [await engine.verify("NL-SBX", probe_auth=True) for _ in range(runs)]


def _by_id(report: VerifyReport) -> dict[str, Any]:
    return {c.id: c for c in report.checks}


@pytest.mark.parametrize("version", ["2.1.1", "2.2.1", "2.3.0"])
def test_clean_sandbox_passes_with_stable_ids(vault: Vault, version: str) -> None:
    first, second = run(_verify_runs(vault, version=version, runs=2))
    assert first.ok and second.ok, [c for c in first.checks if c.status == "fail"]
    assert first.summary["fail"] == 0 and first.summary["warn"] == 0, first.to_json()
    assert first.summary["pass"] >= 8
    assert [c.id for c in first.checks] == [c.id for c in second.checks]
    assert first.run_id != second.run_id
    checks = _by_id(first)
    for must_pass in (
        "versions.reachable",
        "versions.timestamp",
        "versions.common",
        "details.credentials",
        "roles.fit",
        "credentials.agrees",
        "page.locations",
        "pagination.locations",
        "objects.locations",
        "objects.tariffs",
        "auth.no_token",
        "auth.wrong_token",
        "callback.reachable",
    ):
        assert checks[must_pass].status == "pass", checks[must_pass]
    expected_echo = "skip" if version == "2.1.1" else "pass"
    assert checks["headers.request_ids"].status == expected_echo
    # sessions and cdrs are empty in the sandbox: nothing to validate is a skip, not a pass
    assert checks["objects.sessions"].status == "skip"
    assert all(c.spec and c.title for c in first.checks)
    assert set(checks) <= set(CATALOGUE)


@pytest.mark.parametrize(
    ("fault", "check_id", "status", "named"),
    [
        (Fault.NO_REQUEST_ID_ECHO, "headers.request_ids", "warn", "X-Request-ID"),
        (Fault.MISSING_MODULE, "roles.fit", "warn", "tariffs"),
        (Fault.OPEN_ENDPOINT, "auth.no_token", "fail", "without a token"),
        (Fault.LYING_PAGINATION, "pagination.locations", "fail", "X-Total-Count 0"),
        (Fault.WRONG_ROLE, "roles.fit", "fail", "locations as SENDER"),
    ],
)
def test_each_deviation_is_caught_with_a_fix_that_names_it(
    vault: Vault, fault: Fault, check_id: str, status: str, named: str
) -> None:
    (report,) = run(_verify_runs(vault, fault=fault))
    check = _by_id(report)[check_id]
    assert check.status == status, check
    assert named in check.fix, check.fix
    others = [
        c
        for c in report.checks
        if c.status == "fail" and not c.id.startswith(check_id.split(".")[0])
    ]
    assert not others, others
    assert report.ok == (status != "fail")


def test_a_refused_token_c_fails_the_run_with_its_diagnosis(vault: Vault) -> None:
    async def scenario() -> VerifyReport:
        token_a = Secret(generate_token(), TokenRole.A)
        async with SandboxPartner(token_a, versions=("2.2.1",), http_settings=FAST) as sandbox:
            async with started_engine(vault) as engine:
                await engine.register(sandbox.versions_url, token_a)
                sandbox.tokens.fault = Fault.UNAUTHORIZED_AFTER  # the partner drops our token
                return await engine.verify("NL-SBX", probe_auth=True)

    report = run(scenario())
    checks = _by_id(report)
    assert (
        checks["versions.reachable"].status == "fail"
        and "401" in checks["versions.reachable"].detail
    )
    assert checks["versions.common"].status == "skip"
    assert not report.ok
    record = vault.run(report.run_id)
    assert record.outcome == "failed" and record.diagnosis["code"] == "token.c_rejected"
    # the failed first check does not hide the checks that stand on their own
    assert checks["callback.reachable"].status == "pass"


def test_wrong_token_probe_and_skips_without_probe(vault: Vault) -> None:
    async def scenario() -> tuple[VerifyReport, VerifyReport]:
        token_a = Secret(generate_token(), TokenRole.A)
        async with SandboxPartner(token_a, versions=("2.2.1",), http_settings=FAST) as sandbox:
            async with started_engine(vault) as engine:
                await engine.register(sandbox.versions_url, token_a)
                quiet = await engine.verify("NL-SBX")
                sandbox.server.echo_headers = ()  # the partner stops echoing mid-life
                loud = await engine.verify("NL-SBX", probe_auth=True)
                return quiet, loud

    quiet, loud = run(scenario())
    assert _by_id(quiet)["auth.no_token"].status == "skip"
    assert "--probe-auth" in _by_id(quiet)["auth.no_token"].detail
    assert [c.id for c in quiet.checks] == [c.id for c in loud.checks]
    # versions/details/credentials no longer echo; module pages still do
    assert _by_id(loud)["headers.request_ids"].status == "warn"


def test_report_is_stored_and_in_every_export_format(vault: Vault) -> None:
    (report,) = run(_verify_runs(vault))
    record = vault.run(report.run_id)
    assert record.kind == "check" and record.data["op"] == "verify"
    assert record.data["report"]["summary"] == report.summary
    assert record.outcome == "succeeded"
    entries = vault.transcript(report.run_id)
    exchanges = [e for e in entries if e.get("type") == "exchange"]
    # versions, details, credentials, 4 pages, 2x2 probes, our endpoint (+ its inbound side)
    assert len(exchanges) >= 12
    assert any("limit=1" in e["url"] for e in exchanges)
    meta = {"run_id": report.run_id, "kind": "verify"}
    texts = {fmt: export(entries, meta, fmt) for fmt in FORMATS}
    for fmt, text in texts.items():
        for check in report.checks:
            assert check.id in text, (fmt, check.id)
    har = json.loads(texts["har"])
    (page,) = har["log"]["pages"]
    assert page["_report"]["summary"] == report.summary
    assert all(e["pageref"] == page["id"] for e in har["log"]["entries"])
    assert '<table class="report">' in texts["html"]
    assert "| status | id | check |" in texts["md"]
    reports = [e for e in json.loads(texts["json"])["entries"] if e["type"] == "report"]
    assert [r["report"]["run_id"] for r in reports] == [report.run_id]
