"""The team vault on a real PostgreSQL (a throwaway cluster, tests/support/pg.py): the
same Vault API as SQLite, members and re-keying, row-version conflicts, change notices,
the audit chain against direct edits, and a dump that holds no token."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from app.core.tokens import Secret, TokenRole
from app.vault import (
    MEMBER_ENV,
    Direction,
    PartnerRecord,
    TeamVault,
    TokenState,
    Vault,
    VaultError,
)
from app.vault.crypto import InvalidTag, TokenCipher, token_aad
from app.vault.transfer import migrate_vault

ALICE, BOB, CAROL = "alice passphrase", "bob passphrase!", "carol passphrase"
TOKEN_C = "team-canary-token-c-5f1e2d3c4b"


def _open(url: str, member: str, passphrase: str) -> TeamVault:
    vault = TeamVault.open_url(url, passphrase, member)
    assert isinstance(vault, TeamVault)
    return vault


@pytest.fixture
def alice(pg_url: str) -> Iterator[TeamVault]:
    with _open(pg_url, "alice", ALICE) as vault:
        yield vault


def _registered(vault: Vault, cc: str = "NL", pid: str = "ABC", token: str = TOKEN_C) -> int:
    rec = vault.save_partner(PartnerRecord(None, cc, pid, status="registered"))
    assert rec.id is not None
    run = vault.start_run("register", rec.id)
    vault.add_token(
        rec.id,
        TokenRole.C,
        Direction.OUTBOUND,
        Secret(token, TokenRole.C),
        TokenState.ACTIVE,
        run.id,
    )
    vault.update_run(run.id, state="registered", outcome="succeeded")
    return rec.id


def test_the_vault_api_on_postgresql(alice: TeamVault, pg_url: str) -> None:
    pid = _registered(alice)
    cred = alice.tokens(pid)[0]
    assert alice.reveal(cred.id).reveal() == TOKEN_C
    assert alice.find_token(Secret(TOKEN_C, TokenRole.C)).id == cred.id  # type: ignore[union-attr]
    assert alice.token_by_fingerprint(cred.fingerprint).id == cred.id
    assert [p.ref for p in alice.partners(search="nl-a")] == ["NL-ABC"]
    assert [p.ref for p in alice.partners(search="abc")] == ["NL-ABC"]  # case-insensitive
    assert alice.partners(offset=1) == [] and alice.count_partners(status="registered") == 1
    run = alice.runs()[0]
    alice.append_transcript(run.id, {"msg": "100% done", "n": 1})
    assert alice.transcript(run.id) == [{"msg": "100% done", "n": 1}]
    with pytest.raises(VaultError) as info:
        alice.save_partner(PartnerRecord(None, "nl", "abc", status="registered"))
    assert info.value.code == "vault.partner_exists"
    with pytest.raises(VaultError):
        with alice.transaction():
            alice.save_partner(PartnerRecord(None, "DE", "TMP"))
            raise VaultError("vault.io_error", "rolled back")
    assert alice.find_partner("DE", "TMP") is None
    assert alice.schema_version >= 3 and "postgresql://" in alice.location
    assert alice.audit.verify().intact
    # the server holds ciphertext only
    with psycopg.connect(pg_url) as conn:
        blob, lookup = conn.execute("SELECT ciphertext, lookup FROM credentials").fetchone()
    assert TOKEN_C.encode() not in bytes(blob) and TOKEN_C not in lookup


def test_members_add_open_remove_and_rekey(
    alice: TeamVault, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = _registered(alice)
    alice.add_member("bob", BOB)
    alice.add_member("carol", CAROL)
    with pytest.raises(VaultError) as info:
        alice.add_member("bob", "another one")
    assert info.value.code == "vault.member_exists"
    assert [m.name for m in alice.members()] == ["alice", "bob", "carol"]
    with _open(pg_url, "bob", BOB) as bob:
        cred = bob.tokens(pid)[0]
        assert bob.reveal(cred.id).reveal() == TOKEN_C
    with pytest.raises(VaultError) as info:
        _open(pg_url, "bob", "not bob's passphrase")
    assert info.value.code == "vault.wrong_passphrase"

    with psycopg.connect(pg_url) as conn:  # bob keeps a copy of his slot
        bob_slot = conn.execute("SELECT * FROM members WHERE name = 'bob'").fetchone()
    old_key = alice._data_key
    carol = _open(pg_url, "carol", CAROL)  # a colleague with the vault open during the re-key
    try:
        assert alice.remove_member("bob") == 1
        assert [m.name for m in alice.members()] == ["alice", "carol"]
        assert alice.reveal(cred.id).reveal() == TOKEN_C  # the remover goes on
        with pytest.raises(VaultError) as info:
            carol.save_partner(PartnerRecord(None, "FR", "NEW"))
        assert info.value.code == "vault.rekeyed"
        with pytest.raises(VaultError) as info:
            carol.reveal(cred.id)
        assert info.value.code == "vault.rekeyed"
    finally:
        carol.close()
    with _open(pg_url, "carol", CAROL) as carol_again:  # re-opened: the new key
        assert carol_again.reveal(cred.id).reveal() == TOKEN_C
        assert carol_again.audit.verify().intact
        assert [e.action for e in carol_again.audit.events()][-3:] == [
            "member-add",
            "member-add",
            "member-remove",
        ]

    with pytest.raises(VaultError) as info:
        _open(pg_url, "bob", BOB)
    assert info.value.code == "vault.member_unknown"
    # the slot bob copied earlier, put back by hand, opens only the old key: nothing new
    with psycopg.connect(pg_url) as conn:
        conn.execute(
            "INSERT INTO members (name, public_key, params, wrapped_private, wrapped_data,"
            " created, updated, rowid) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            bob_slot,
        )
        _cred_id, partner, role, blob = conn.execute(
            "SELECT id, partner_id, role, ciphertext FROM credentials"
        ).fetchone()
    with pytest.raises(VaultError) as info:
        _open(pg_url, "bob", BOB)
    assert info.value.code == "vault.locked"
    with pytest.raises(InvalidTag):
        TokenCipher(old_key).decrypt(bytes(blob), token_aad(partner, role, cred.id))

    with pytest.raises(VaultError) as info:
        alice.remove_member("nobody")
    assert info.value.code == "vault.member_unknown"
    alice.remove_member("carol")
    alice.remove_member("bob")  # the slot put back by hand
    with pytest.raises(VaultError) as info:
        alice.remove_member("alice")
    assert info.value.code == "vault.last_member"
    monkeypatch.setenv(MEMBER_ENV, "alice")
    with Vault.open(pg_url, ALICE) as again:  # Vault.open dispatches on the URL
        assert isinstance(again, TeamVault) and again.member == "alice"


def test_two_members_on_different_partners_both_succeed(alice: TeamVault, pg_url: str) -> None:
    alice.add_member("bob", BOB)
    errors: list[BaseException] = []

    def work(member: str, passphrase: str, cc: str) -> None:
        try:
            with _open(pg_url, member, passphrase) as vault:
                for n in range(5):
                    _registered(vault, cc, f"P{n}", f"{member}-token-{n}-abcdef")
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=("alice", ALICE, "DE")),
        threading.Thread(target=work, args=("bob", BOB, "FR")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert alice.count_partners() == 10
    actors = {(e.actor, e.peer[:2]) for e in alice.audit.events() if e.action == "register"}
    assert actors == {("alice", "DE"), ("bob", "FR")}
    assert alice.audit.verify().intact


def test_the_same_partner_one_wins_the_other_must_reload(alice: TeamVault, pg_url: str) -> None:
    pid = _registered(alice)
    alice.add_member("bob", BOB)
    with _open(pg_url, "bob", BOB) as bob:
        alice.partner(pid)
        bob.partner(pid)
        run = alice.start_run("rotate", pid)  # alice's rotation claims the partner
        with pytest.raises(VaultError) as info:
            bob.start_run("unregister", pid)
        assert info.value.code == "vault.conflict"
        assert "A colleague changed this partner; reload." in info.value.diagnosis.message
        alice.save_partner(alice.partner(pid))  # alice's rotation ends: the row moves on
        alice.update_run(run.id, outcome="succeeded")
        with pytest.raises(VaultError) as info:
            bob.start_run("rotate", pid)  # bob still holds the row as he read it
        assert info.value.code == "vault.conflict"
        bob.partner(pid)  # reload
        assert bob.start_run("rotate", pid).outcome == "running"


def test_colleagues_changes_are_notified(alice: TeamVault, pg_url: str) -> None:
    alice.add_member("bob", BOB)
    seen: list[int | None] = []
    got = threading.Event()
    got_last = threading.Condition()

    def on_change(partner_id: int | None) -> None:
        with got_last:
            seen.append(partner_id)
            got_last.notify_all()
        got.set()

    with _open(pg_url, "bob", BOB) as bob:
        stop = bob.watch(on_change)
        listener = bob._listeners[0]
        assert listener.ready.wait(10)
        bob.save_partner(PartnerRecord(None, "BE", "OWN"))  # bob's own change: not a notice
        pid = _registered(alice, "NL", "COL")
        assert got.wait(10)
        # Notices arrive in commit order: once a later change of alice's is seen, every
        # earlier notice (bob's own change included, had it been sent) has arrived too.
        last = alice.save_partner(PartnerRecord(None, "DE", "END")).id
        with got_last:
            assert got_last.wait_for(lambda: last in seen, 10)
        before = seen[: seen.index(last)]
        assert pid in before and all(p == pid for p in before)
        stop()


def test_audit_verify_catches_a_row_edited_in_the_database(alice: TeamVault, pg_url: str) -> None:
    pid = _registered(alice)
    alice.disclose(alice.tokens(pid)[0].id, "copy")
    assert alice.audit.verify().intact
    with psycopg.connect(pg_url) as conn:
        conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 2")
    check = alice.audit.verify()
    assert not check.intact and check.problems[0]["seq"] == 2


def test_a_personal_vault_migrates_in(alice: TeamVault, tmp_path: Path, pg_url: str) -> None:
    _registered(alice, "DE", "OLD", "already-in-the-team-vault-1")
    with Vault.open(tmp_path / "mine.db", "my own passphrase", use_keyring=False) as mine:
        first = _registered(mine, "NL", "ONE", "personal-token-one-abcdef")
        _registered(mine, "BE", "TWO", "personal-token-two-abcdef")
        mine.add_token(
            first, TokenRole.B, Direction.INBOUND, Secret("personal-b-xyz-123", TokenRole.B)
        )
        mine.append_transcript(mine.runs()[0].id, {"step": "registered"})
        report = migrate_vault(mine, alice)
        expected = {
            (mine.partner(c.partner_id).ref, c.fingerprint, c.state) for c in mine.tokens(None)
        }
    assert report.counts == {
        "partners": 2,
        "runs": 2,
        "transcript": 1,
        "tokens": 3,
        "audit": 2,
        "profiles": 0,  # issue 11's table, copied by its transfer hook
        "snapshots": 0,  # issue 12's drift baselines, copied by their transfer hook
    }
    assert report.fingerprints == 3
    got = {(alice.partner(c.partner_id).ref, c.fingerprint, c.state) for c in alice.tokens(None)}
    assert expected <= got and len(got) == 4
    one = alice.partner("NL-ONE")
    assert one.id is not None
    values = {alice.reveal(c.id).reveal() for c in alice.tokens(one.id)}
    assert values == {"personal-token-one-abcdef", "personal-b-xyz-123"}
    assert alice.audit.verify().intact
    assert alice.audit.events()[-1].action == "import"
    with Vault.open(tmp_path / "clash.db", "my own passphrase", use_keyring=False) as clash:
        _registered(clash, "NL", "ONE", "a-second-registration-1")
        with pytest.raises(VaultError) as info:
            migrate_vault(clash, alice)
        assert info.value.code == "vault.partner_exists"
    assert alice.count_partners() == 3  # the refused copy left nothing behind


def test_a_dump_of_the_team_vault_holds_no_token(
    alice: TeamVault, pg_cluster: Any, pg_url: str
) -> None:
    tokens = [f"dump-canary-{n}-{'x' * 20}" for n in range(3)]
    for n, token in enumerate(tokens):
        _registered(alice, "NL", f"D{n}", token)
    alice.add_member("bob", BOB)
    dump = pg_cluster.dump(pg_url)
    assert "CREATE TABLE" in dump and "credentials" in dump
    for token in [*tokens, ALICE, BOB]:
        assert token not in dump
    import base64

    for token in tokens:
        assert base64.b64encode(token.encode()).decode()[:16] not in dump
