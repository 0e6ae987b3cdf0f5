"""Later-life findings in the one health verdict (the list, the detail and `peers --json`):
a failing verify, open drift until accepted, the certificate and token reminders."""

from __future__ import annotations

from typing import Any

from app.core.tokens import Secret, TokenRole, generate_token
from app.engine.connection_health import connection_facts, extra_findings
from app.engine.health import partners_health
from app.sandbox import SandboxPartner
from app.vault import Vault
from tests.engine.conftest import FAST, started_engine
from tests.support.aio import run


def _verdict(vault: Vault, pid: int) -> Any:
    partner = vault.partner(pid)
    _facts, extra = extra_findings(vault, [partner])
    return partners_health(vault, [partner], extra=extra)[pid]


def test_verify_and_drift_findings_come_and_go(vault: Vault) -> None:
    async def scenario() -> list[Any]:
        token_a = Secret(generate_token(), TokenRole.A)
        seen: list[Any] = []
        async with SandboxPartner(
            token_a, versions=("2.2.1",), fault="lying-pagination", http_settings=FAST
        ) as sandbox:
            async with started_engine(vault) as engine:
                result = await engine.register(sandbox.versions_url, token_a)
                pid = int(result.partner_id or 0)
                seen.append(_verdict(vault, pid))
                await engine.verify(pid)
                seen.append(_verdict(vault, pid))
                sandbox.trigger_drift("endpoint")
                await engine.check_drift(pid)
                seen.append(_verdict(vault, pid))
                await engine.check_drift(pid, accept_drift=True)
                seen.append(_verdict(vault, pid))
                seen.append(connection_facts(vault, [vault.partner(pid)])[pid])
        return seen

    fresh, verified, drifted, accepted, facts = run(scenario())
    assert fresh.level == "ok" and fresh.findings == ()
    assert verified.level == "warning" and verified.codes() == ["verify.failed"]
    assert "pagination.locations" in verified.findings[0].message
    assert set(drifted.codes()) == {"verify.failed", "drift.open"}
    assert "locations" in next(f.message for f in drifted.findings if f.code == "drift.open")
    assert accepted.codes() == ["verify.failed"]
    assert facts.last_verified and facts.verify_report["summary"]["fail"] >= 1
    assert facts.token_age_days == 0 and facts.tls_expires_days is None and facts.open_drift == []


def test_a_verify_under_way_leaves_the_facts_on_the_last_report(vault: Vault) -> None:
    """A verify's run is stored as it starts (marked op=verify, no report yet): the facts
    still give the last report and when it was made, not "no verify run yet" (an open
    report emptied at each verify's start and refilled at its end, issue 13)."""

    async def scenario() -> tuple[int, Any]:
        token_a = Secret(generate_token(), TokenRole.A)
        async with SandboxPartner(token_a, versions=("2.2.1",), http_settings=FAST) as sandbox:
            async with started_engine(vault) as engine:
                result = await engine.register(sandbox.versions_url, token_a)
                pid = int(result.partner_id or 0)
                await engine.verify(pid)
        return pid, connection_facts(vault, [vault.partner(pid)])[pid]

    pid, done = run(scenario())
    assert done.verify_report and done.verify_report["checks"] and done.last_verified
    with vault.transaction():  # the next verify's first step (app/engine/verify.py)
        under_way = vault.start_run("check", pid)
        vault.update_run(under_way.id, data={"op": "verify"})
    facts = connection_facts(vault, [vault.partner(pid)])[pid]
    assert facts.verify_run_id == done.verify_run_id != under_way.id
    assert facts.verify_report == done.verify_report
    assert facts.last_verified == done.last_verified
