"""`verify PEER [--probe-auth] [--json]` through the real CLI against CLI sandboxes: the
contract's keys, stable ids, exit codes, the exported report; docs list every check id."""

from __future__ import annotations

from pathlib import Path

from app.engine.verify_checks import CATALOGUE
from tests.cli.helpers import ROOT, Background, as_json, cli, register, start_sandbox, token_a_file

IDENTITY = ["--country-code", "DE", "--party-id", "ONB", "--role", "EMSP"]


def _register(home: Path, vault: str, fault: str) -> tuple[Background, str]:
    token_file, token_a = token_a_file(home, name=f"token-{fault}")
    sandbox = start_sandbox(home, token_file, "--ocpi-version", "2.2.1", "--fault", fault)
    url = sandbox.first_line()
    reg = register(home, vault, url, token_file, IDENTITY)
    assert reg.returncode == 0, reg.stderr
    return sandbox, token_a


def test_verify_json_contract_clean_then_faulty(tmp_path: Path) -> None:
    vault = str(tmp_path / "vault.db")
    sandbox, token_a = _register(tmp_path, vault, "none")
    try:
        first = cli(tmp_path, "verify", "NL-SBX", "--probe-auth", "--json", "--vault", vault)
        second = cli(tmp_path, "verify", "NL-SBX", "--probe-auth", "--json", "--vault", vault)
        text = cli(tmp_path, "verify", "NL-SBX", "--vault", vault)
    finally:
        sandbox.stop()
    assert first.returncode == 0, first.stderr + first.stdout
    data = as_json(first)
    assert set(data) == {"peer", "ocpi_version", "checks", "summary", "run_id"}
    assert data["peer"] == {"country_code": "NL", "party_id": "SBX", "roles": ["CPO"]}
    assert data["ocpi_version"] == "2.2.1"
    assert set(data["summary"]) == {"pass", "warn", "fail", "skip"}
    assert data["summary"]["fail"] == 0 and data["summary"]["pass"] >= 8
    for check in data["checks"]:
        assert set(check) == {"id", "status", "title", "spec", "detail", "fix"}
        assert check["status"] in ("pass", "warn", "fail", "skip")
    assert [c["id"] for c in data["checks"]] == [c["id"] for c in as_json(second)["checks"]]
    assert text.returncode == 0 and "auth.no_token" in text.stdout and "--probe-auth" in text.stdout

    target = tmp_path / "verify.md"
    exported = cli(
        tmp_path, "transcript", "export", data["run_id"][:12], "--format", "md",
        "--output", str(target), "--vault", vault,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    report_md = target.read_text()
    assert "callback.reachable" in report_md and "limit=1" in report_md
    blob = first.stdout + first.stderr + second.stdout + report_md + text.stdout
    assert token_a not in blob

    faulty_vault = str(tmp_path / "faulty.db")
    sandbox, _token = _register(tmp_path, faulty_vault, "open-endpoint")
    try:
        bad = cli(tmp_path, "verify", "NL-SBX", "--probe-auth", "--json", "--vault", faulty_vault)
    finally:
        sandbox.stop()
    assert bad.returncode == 1
    checks = {c["id"]: c for c in as_json(bad)["checks"]}
    assert checks["auth.no_token"]["status"] == "fail"
    assert "without a token" in checks["auth.no_token"]["fix"]


def test_docs_list_every_check_id_with_its_spec_section() -> None:
    doc = (ROOT / "docs" / "verify-checks.md").read_text("utf-8")
    for spec in CATALOGUE.values():
        assert f"| `{spec.id}` | {spec.title} | {spec.spec} |" in doc, spec.id
    import importlib.util

    loader = importlib.util.spec_from_file_location(
        "doc", ROOT / "scripts" / "verify_checks_doc.py"
    )
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    assert module.render() == doc, "regenerate: .venv/bin/python scripts/verify_checks_doc.py"
