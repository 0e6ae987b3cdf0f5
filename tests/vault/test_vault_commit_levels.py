"""Each commit runs at its own durability level, set only when it changes.

`durable=False` commits at synchronous NORMAL (a killed process keeps them: WAL), every
other write at FULL (fsync at commit). The level stays between commits, so each write path
sets its own: a durable transaction, a plain vault write and a statement outside any
transaction all run FULL after a relaxed commit.
"""

from __future__ import annotations

import pytest

from app.core.tokens import Secret, TokenRole
from app.vault import Direction, Vault, VaultError
from tests.vault.vault_helpers import partner

FULL, NORMAL = 2, 1


def _level(vault: Vault) -> int:
    """The connection's synchronous level, read without going through the vault."""
    return int(vault._database.conn.execute("PRAGMA synchronous").fetchone()[0])


def test_durable_and_relaxed_transactions_commit_at_their_levels(vault: Vault) -> None:
    assert _level(vault) == FULL
    with vault.transaction(durable=False):
        assert _level(vault) == NORMAL
        saved = vault.save_partner(partner())
    with vault.transaction():
        assert _level(vault) == FULL
        assert saved.id is not None
        vault.add_token(saved.id, TokenRole.A, Direction.OUTBOUND, Secret("tok-a"))
    assert [t.fingerprint for t in vault.tokens(saved.id)]


def test_every_write_after_a_relaxed_commit_is_full_again(vault: Vault) -> None:
    with vault.transaction(durable=False):
        run = vault.start_run("check")
    assert _level(vault) == NORMAL  # kept until a write wants another level
    vault.move_run(run.id, "versions_fetched")  # a vault write of its own: durable
    assert _level(vault) == FULL
    with vault.transaction(durable=False):
        vault.move_run(run.id, "details_fetched")
    # a statement outside any transaction commits at once, durably as ever
    vault._database.execute("UPDATE runs SET state = ? WHERE id = ?", ("x", run.id))
    assert _level(vault) == FULL


def test_the_level_is_set_only_when_it_changes(vault: Vault) -> None:
    run = vault.start_run("check")
    seen: list[str] = []
    vault._database.conn.set_trace_callback(seen.append)
    try:
        for state in ("a", "b", "c"):
            with vault.transaction(durable=False):
                vault.move_run(run.id, state)
        with vault.transaction():
            vault.move_run(run.id, "d")
        with vault.transaction():
            vault.move_run(run.id, "e")
    finally:
        vault._database.conn.set_trace_callback(None)
    pragmas = [s for s in seen if s.startswith("PRAGMA synchronous")]
    assert pragmas == ["PRAGMA synchronous = NORMAL", "PRAGMA synchronous = FULL"]
    assert vault.run(run.id).state == "e"


def test_rows_naming_a_missing_partner_or_run_say_which(vault: Vault) -> None:
    """SQLite's own reference check refuses them; the error still names what is missing."""
    with pytest.raises(VaultError) as info:
        vault.start_run("register", 4242)
    assert info.value.code == "vault.peer_unknown"
    with pytest.raises(VaultError) as info:
        vault.append_transcripts("0" * 32, [{"seq": 1}], durable=False)
    assert info.value.code == "vault.run_unknown"
    run = vault.start_run("check")
    with vault.transaction(durable=False):
        vault.append_transcripts(run.id, [{"seq": 1}, {"seq": 2}], durable=False)
    assert vault.transcript(run.id) == [{"seq": 1}, {"seq": 2}]
    assert vault.runs() == [vault.run(run.id)]
