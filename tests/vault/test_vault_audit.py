"""The audit trail on a real SQLite file: what is recorded, by whom, and that `verify`
catches a row edited, removed or reordered directly in the file (sqlite3, outside the app)."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from app.core.tokens import Secret, TokenRole
from app.vault import MEMBER_ENV, Direction, TokenState, Vault, current_actor
from tests.vault.vault_helpers import PASSPHRASE, partner

TOKEN_C = "audit-token-c-value-9f8e7d"


def _fill(vault: Vault) -> None:
    """A register run, a reveal, a copy and a rotate run: five events."""
    p = vault.save_partner(partner("NL", "AUD", status="registered"))
    assert p.id is not None
    run = vault.start_run("register", p.id)
    cred = vault.add_token(
        p.id,
        TokenRole.C,
        Direction.OUTBOUND,
        Secret(TOKEN_C, TokenRole.C),
        TokenState.ACTIVE,
        run.id,
    )
    vault.update_run(run.id, state="registered", outcome="succeeded")
    assert vault.disclose(cred.id).reveal() == TOKEN_C
    vault.disclose(cred.id, "copy")
    check = vault.start_run("check", p.id)
    vault.update_run(check.id, outcome="succeeded")  # a check reads only: not audited
    rotate = vault.start_run("rotate", p.id)
    vault.update_run(rotate.id, state="put_sent")  # still running: nothing yet
    vault.update_run(rotate.id, outcome="failed")
    other = vault.save_partner(partner("DE", "OTH"))
    assert other.id is not None
    inv = vault.start_run("invite", other.id)
    vault.update_run(inv.id, outcome="succeeded")


def test_every_secret_action_is_recorded_with_who_and_fingerprint(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MEMBER_ENV, "alice")
    _fill(vault)
    events = vault.audit.events()
    assert [(e.seq, e.action, e.peer) for e in events] == [
        (1, "register", "NL-AUD"),
        (2, "reveal", "NL-AUD"),
        (3, "copy", "NL-AUD"),
        (4, "rotate.failed", "NL-AUD"),
        (5, "invite", "DE-OTH"),
    ]
    assert {e.actor for e in events} == {"alice"}
    fp = vault.tokens(1)[0].fingerprint
    assert [e.fingerprint for e in events[:4]] == [fp, fp, fp, fp]
    assert events[1].to_json() == {
        "seq": 2,
        "at": events[1].at,
        "actor": "alice",
        "action": "reveal",
        "peer": "NL-AUD",
        "fingerprint": fp,
    }
    assert [e.seq for e in vault.audit.events(partner_id=1)] == [1, 2, 3, 4]
    assert [e.seq for e in vault.audit.events(peer="de-oth")] == [5]
    assert vault.audit.verify().intact


def test_the_actor_defaults_to_the_os_user(monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    monkeypatch.delenv(MEMBER_ENV, raising=False)
    assert current_actor() == getpass.getuser()
    monkeypatch.setenv(MEMBER_ENV, "  bob ")
    assert current_actor() == "bob"


def test_export_and_import_are_recorded(vault: Vault, tmp_path: Path) -> None:
    _fill(vault)
    target = tmp_path / "backup.ocpi"
    vault.export_to(target, "export passphrase")
    assert vault.audit.events()[-1].action == "export"
    with Vault.import_from(
        target, "export passphrase", tmp_path / "other" / "v.db", vault_passphrase=PASSPHRASE
    ) as copy:
        assert [e.action for e in copy.audit.events()] == ["import"]
        assert copy.audit.verify().intact


def test_no_token_value_in_the_audit_rows(vault: Vault, vault_path: Path) -> None:
    _fill(vault)
    with contextlib.closing(sqlite3.connect(vault_path)) as conn:
        rows = conn.execute("SELECT * FROM audit").fetchall()
    assert rows and TOKEN_C not in repr(rows)


def _tamper(path: Path, *statements: str) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for statement in statements:
            conn.execute(statement)
        conn.commit()


TAMPERING: dict[str, tuple[str, ...]] = {
    "edited actor": ("UPDATE audit SET actor = 'mallory' WHERE seq = 2",),
    "edited action": ("UPDATE audit SET action = 'check' WHERE seq = 3",),
    "edited fingerprint": ("UPDATE audit SET fingerprint = 'C·000000' WHERE seq = 1",),
    "edited time": ("UPDATE audit SET at = '2020-01-01T00:00:00.000000Z' WHERE seq = 4",),
    "removed middle row": ("DELETE FROM audit WHERE seq = 3",),
    "removed first row": ("DELETE FROM audit WHERE seq = 1",),
    "removed newest row": ("DELETE FROM audit WHERE seq = 5",),
    "removed every row": ("DELETE FROM audit",),
    "reordered rows": (
        "UPDATE audit SET seq = -2 WHERE seq = 2",
        "UPDATE audit SET seq = 2 WHERE seq = 3",
        "UPDATE audit SET seq = 3 WHERE seq = -2",
    ),
    "head edited": ("UPDATE meta SET value = '' WHERE key = 'audit_head'",),
    "head removed": ("DELETE FROM meta WHERE key = 'audit_head'",),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_verify_catches_direct_edits_of_the_file(vault_path: Path, case: str) -> None:
    with Vault.open(vault_path, PASSPHRASE) as vault:
        _fill(vault)
        assert vault.audit.verify().intact
    _tamper(vault_path, *TAMPERING[case])
    with Vault.open(vault_path, PASSPHRASE) as vault:
        check = vault.audit.verify()
    assert not check.intact
    assert check.problems and all(p["problem"] for p in check.problems)


def test_a_forged_row_with_a_recomputed_plain_hash_is_caught(vault_path: Path) -> None:
    """Without the vault key nobody can compute a valid mac: copying another row's mac
    (the only values an editor has) does not pass either."""
    with Vault.open(vault_path, PASSPHRASE) as vault:
        _fill(vault)
    _tamper(
        vault_path,
        "INSERT INTO audit (seq, at, actor, action, partner_id, peer, fingerprint, run_id, mac)"
        " SELECT 6, at, 'mallory', 'reveal', partner_id, peer, fingerprint, run_id, mac"
        " FROM audit WHERE seq = 5",
    )
    with Vault.open(vault_path, PASSPHRASE) as vault:
        check = vault.audit.verify()
    assert not check.intact and {p["seq"] for p in check.problems} >= {6}


def test_appends_continue_the_chain_across_reopen(vault_path: Path) -> None:
    for _ in range(3):
        with Vault.open(vault_path, PASSPHRASE) as vault:
            vault.audit.record("export")
    with Vault.open(vault_path, PASSPHRASE) as vault:
        assert [e.seq for e in vault.audit.events()] == [1, 2, 3]
        assert vault.audit.verify().intact
