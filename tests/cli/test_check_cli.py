"""`check PEER | --all [--accept-drift] [--json]` through the real CLI: a partner whose
endpoint moved after registration drifts (exit 1, before/after), `--all` says so too,
`--accept-drift` re-baselines and both exit 0 afterwards."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import as_json, cli, register, start_sandbox, token_a_file

CONTRACT = {"status", "peer", "ocpi_version", "drift", "token_age_days", "tls_expires_days", "diagnosis"}  # fmt: skip


def test_drift_reported_then_accepted_single_and_all(tmp_path: Path) -> None:
    vault = str(tmp_path / "vault.db")
    token_file, token_a = token_a_file(tmp_path)
    sandbox = start_sandbox(
        tmp_path, token_file, "--ocpi-version", "2.2.1", "--fault", "drift-endpoint"
    )
    outputs: list[str] = []
    try:
        url = sandbox.first_line()
        identity = ["--country-code", "DE", "--party-id", "ONB", "--role", "EMSP"]
        reg = register(tmp_path, vault, url, token_file, identity)
        assert reg.returncode == 0, reg.stderr
        drifted = cli(tmp_path, "check", "NL-SBX", "--json", "--vault", vault)
        every = cli(tmp_path, "check", "--all", "--json", "--vault", vault)
        text = cli(tmp_path, "check", "NL-SBX", "--vault", vault)
        accepted = cli(tmp_path, "check", "NL-SBX", "--accept-drift", "--json", "--vault", vault)
        clean = cli(tmp_path, "check", "--all", "--json", "--vault", vault)
        neither = cli(tmp_path, "check", "--vault", vault)
        outputs += [p.stdout + p.stderr for p in (reg, drifted, every, text, accepted, clean)]
    finally:
        out, err = sandbox.stop()
        outputs += [out, err]

    assert drifted.returncode == 1, drifted.stderr
    data = as_json(drifted)
    assert set(data) >= CONTRACT and data["status"] == "ok"
    (moved,) = [d for d in data["drift"] if d["what"] == "endpoint locations (SENDER) moved"]
    assert moved["before"].endswith("/2.2.1/locations")
    assert moved["after"].endswith("/2.2.1/v2/locations")
    assert data["token_age_days"] == 0 and data["tls_expires_days"] is None

    assert every.returncode == 1
    (peer,) = as_json(every)["peers"]
    assert peer["peer"]["party_id"] == "SBX" and peer["drift"] == data["drift"]

    assert text.returncode == 1 and "drift: endpoint locations (SENDER) moved" in text.stdout
    assert "--accept-drift" in text.stderr

    assert accepted.returncode == 0, accepted.stderr
    assert as_json(accepted)["drift"] == [] and as_json(accepted)["accepted_drift"]
    assert clean.returncode == 0 and as_json(clean)["peers"][0]["drift"] == []
    assert neither.returncode == 2 and "--all" in neither.stderr
    assert token_a not in "\n".join(outputs)
