"""Canary scan in process: the engine's flows with canary tokens, then Python logging
(caplog, every logger at DEBUG), stdout/stderr (capfd), events, transcript entries, run
results, every transcript export format, and the vault's files (DB, WAL, SHM) while open and
after close are scanned for every canary, raw and Base64.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from app.core.diagnosis import OnboardingError
from app.core.events import Event
from app.core.http import HttpSettings
from app.core.tokens import Secret, TokenRole
from app.core.transcript_export import FORMATS, export
from app.engine import Engine, Identity
from app.engine.health import partners_health
from app.engine.results import RunResult
from app.sandbox import Fault, SandboxPartner
from app.vault import Vault
from tests.canary.canary import GENERATING_MODULES, MARK, canary, files_under, scan
from tests.conftest import TEST_PASSPHRASE
from tests.engine.conftest import started_engine
from tests.support.aio import run

FAST = HttpSettings(request_timeout=3.0, write_timeout=5.0, connect_timeout=1.0)
FAULTS = [
    Fault.TOKEN_C_EQUALS_B,
    Fault.CALLBACK_WITH_TOKEN_A,
    Fault.OCPI_2001,
    Fault.HTML_500,
    Fault.MALFORMED_JSON,
    Fault.ALREADY_REGISTERED,
    Fault.UNAUTHORIZED_AFTER,
]


@pytest.fixture
def canaries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token the app generates from now on is a logged canary."""
    made: list[str] = []

    def generate() -> str:
        value = canary("g")
        made.append(value)
        return value

    for module in GENERATING_MODULES:
        monkeypatch.setattr(f"{module}.generate_token", generate)
    return made


def test_canary_scan_engine_flows(
    tmp_path: Path,
    canaries: list[str],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    vault_path = tmp_path / "vault" / "v.db"
    events: list[Event] = []
    entries: list[dict[str, Any]] = []
    results: list[RunResult] = []
    reports: list[dict[str, Any]] = []
    live: dict[str, bytes] = {}

    async def flows(vault: Vault) -> None:
        kwargs = {"http": FAST, "on_event": events.append, "on_entry": entries.append}
        token_a = Secret(canary("A"), TokenRole.A)
        canaries.append(token_a.reveal())
        async with SandboxPartner(token_a, versions=("2.2.1",), http_settings=FAST) as sandbox:
            async with started_engine(vault, **kwargs) as engine:
                results.append(await engine.register(sandbox.versions_url, token_a))
                partner = results[-1].partner_id
                assert results[-1].status == "registered", results[-1].diagnosis
                results.append(await engine.check(partner))  # type: ignore[arg-type]
                reports.append((await engine.verify(partner, probe_auth=True)).to_json())  # type: ignore[arg-type]
                results.append(await engine.rotate(partner))  # type: ignore[arg-type]
                results.append(await engine.check(partner))  # type: ignore[arg-type]
                live.update({f"live {k}": b for k, b in files_under(vault_path.parent).items()})
                with pytest.raises(OnboardingError) as spent:  # refused before a run
                    await engine.register(sandbox.versions_url, token_a)
                assert spent.value.diagnosis.code == "token.a_reused"
                wrong = Secret(canary("W"), TokenRole.A)
                canaries.append(wrong.reveal())
                results.append(await engine.register(sandbox.versions_url, wrong))
                assert results[-1].status == "failed"
                results.append(await engine.unregister(partner))  # type: ignore[arg-type]
                with pytest.raises(OnboardingError, match="no active TOKEN_C"):
                    await engine.check(partner)  # type: ignore[arg-type]
        for fault in FAULTS:
            fault_a = Secret(canary("F"), TokenRole.A)
            canaries.append(fault_a.reveal())
            async with SandboxPartner(
                fault_a, versions=("2.2.1",), fault=fault, http_settings=FAST
            ) as sandbox:
                async with started_engine(vault, **kwargs) as engine:
                    results.append(await engine.register(sandbox.versions_url, fault_a))
        # Receiver: we invite, a second engine (another vault) registers with us
        async with started_engine(vault, **kwargs) as inviter:
            invitation = await inviter.invite()
            canaries.append(invitation.token_a.reveal())
            with Vault.open(
                tmp_path / "other" / "o.db", passphrase=TEST_PASSPHRASE, use_keyring=False
            ) as other:
                async with Engine(
                    other, Identity("NL", "SND", ("CPO",), "Sender"), http=FAST
                ) as sender:
                    results.append(
                        await sender.register(invitation.versions_url, invitation.token_a)
                    )
                    assert results[-1].status == "registered", results[-1].diagnosis
                    results.append(await inviter.wait_for_registration(invitation, 10))
                    assert results[-1].status == "registered"
                    results.append(await sender.rotate(results[-2].partner_id))  # type: ignore[arg-type]
                    results.append(await sender.unregister(results[-3].partner_id))  # type: ignore[arg-type]

    with Vault.open(vault_path, passphrase=TEST_PASSPHRASE, use_keyring=False) as vault:
        run(flows(vault), timeout=120)
        stored = [vault.reveal(c.id).reveal() for p in vault.partners() for c in vault.tokens(p.id)]
        exports = {}
        for record in vault.runs():
            meta = {"run_id": record.id, "kind": record.kind, "outcome": record.outcome}
            for fmt in FORMATS:
                exports[f"{record.kind} {record.id[:8]}.{fmt}"] = export(
                    vault.transcript(record.id), meta, fmt
                )
            exports[f"{record.kind} {record.id[:8]} run record"] = json.dumps(
                {"diagnosis": record.diagnosis, "data": record.data, "state": record.state}
            )
        run_count = len(vault.runs())
        verdicts = partners_health(vault, vault.partners())
        exports["partner health"] = json.dumps(
            {str(pid): [h.level, h.warnings_json()] for pid, h in verdicts.items()}
        )
        assert any("token.c_rejected" in h.codes() for h in verdicts.values())
    assert stored and all(v.startswith(MARK) for v in stored), "the vault holds non-canary tokens"
    assert set(stored) <= set(canaries)
    captured = capfd.readouterr()
    outputs: dict[str, bytes | str] = {
        "log (caplog, all loggers)": caplog.text,
        "stdout": captured.out,
        "stderr": captured.err,
        "events": json.dumps([e.to_dict() for e in events], default=str, ensure_ascii=False),
        "event messages": "\n".join(e.message for e in events),
        "entries": json.dumps(entries, default=str, ensure_ascii=False),
        "results": json.dumps([r.to_json() for r in results], ensure_ascii=False),
        "verify reports": json.dumps(reports, ensure_ascii=False),
        "diagnoses": json.dumps([vars(r.diagnosis) for r in results if r.diagnosis], default=str),
        **exports,
        **live,
        **files_under(vault_path.parent, tmp_path / "other"),
    }
    found = scan(outputs, canaries)
    assert not found, found
    assert "Traceback" not in caplog.text + captured.err
    assert len(results) >= 15 and run_count >= 13
    assert reports and not [c for c in reports[0]["checks"] if c["status"] == "fail"], reports
    print(
        f"\ncanary scan (engine): {len(set(canaries))} canaries, {len(results)} results, {run_count} runs, "
        f"{len(outputs)} outputs scanned"
    )
