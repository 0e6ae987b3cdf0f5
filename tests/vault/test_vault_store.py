"""The Vault API on a real SQLite file: partners, tokens, runs, transcripts, transactions."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from app.core.tokens import Secret, TokenRole, fingerprint
from app.vault import (
    CredentialRecord,
    Direction,
    PartnerRecord,
    TokenState,
    Vault,
    VaultError,
)
from tests.vault.vault_helpers import PASSPHRASE, partner

A, B, C = TokenRole.A, TokenRole.B, TokenRole.C
OUT, IN = Direction.OUTBOUND, Direction.INBOUND


def _pid(rec: PartnerRecord) -> int:
    assert rec.id is not None
    return rec.id


# --- partners ------------------------------------------------------------------------------


def test_save_partner_round_trip_survives_reopen(vault_path: Path) -> None:
    roles = [{"role": "CPO", "business_details": {"name": "Acme"}, "party_id": "ABC"}]
    endpoints = [{"identifier": "credentials", "role": "RECEIVER", "url": "https://x/c"}]
    with Vault.open(vault_path, PASSPHRASE) as vault:
        saved = vault.save_partner(
            partner(
                "nl",
                "abc",
                business_name="Acme Charging",
                roles=roles,
                versions_url="https://acme.example/versions",
                ocpi_version="2.2.1",
                endpoints=endpoints,
                our_role="receiver",
                status="registered",
                token_encoding="base64",
                hub_party_id="DE*HUB",
            )
        )
    assert saved.id is not None and saved.created and saved.created.endswith("Z")
    with Vault.open(vault_path, PASSPHRASE) as vault:
        again = vault.partner(saved.id)
    assert again == saved
    assert (again.country_code, again.party_id, again.ref) == ("NL", "ABC", "NL-ABC")
    assert again.roles == roles and again.endpoints == endpoints


def test_update_keeps_created_and_moves_updated(vault: Vault) -> None:
    saved = vault.save_partner(partner(business_name="Old"))
    changed = vault.save_partner(dataclasses.replace(saved, business_name="New"))
    assert changed.id == saved.id and changed.business_name == "New"
    assert changed.created == saved.created and changed.updated is not None
    assert saved.updated is not None and changed.updated >= saved.updated
    assert vault.count_partners() == 1


def test_partner_lookup_by_id_numeric_string_hash_and_ref_any_case(vault: Vault) -> None:
    saved = vault.save_partner(partner("DE", "XY1"))
    pid = _pid(saved)
    for ref in (pid, str(pid), f"#{pid}", "DE-XY1", "de-xy1", " de xy1 ", "DE*XY1", "dexy1"):
        assert vault.partner(ref).id == pid, ref
    assert vault.find_partner("de", "xy1") == saved
    assert vault.find_partner("DE", "XY2") is None


def test_unknown_partner_is_peer_unknown_without_echoing_odd_input(vault: Vault) -> None:
    with pytest.raises(VaultError) as info:
        vault.partner("NL-ZZZ")
    assert info.value.code == "vault.peer_unknown" and "NL-ZZZ" in str(info.value)
    with pytest.raises(VaultError) as info:
        vault.partner(999)
    assert info.value.code == "vault.peer_unknown"
    pasted = "abcdefghijklmnopqrstuvwxyz0123456789-_ABCDEFG"  # e.g. a token pasted by mistake
    with pytest.raises(VaultError) as info:
        vault.partner(pasted)
    assert pasted not in str(info.value) and pasted != info.value.diagnosis.detail


def test_same_live_identity_twice_is_refused(vault: Vault) -> None:
    first = vault.save_partner(partner())
    with pytest.raises(VaultError) as info:
        vault.save_partner(partner("nl", "abc"))
    assert info.value.code == "vault.partner_exists"
    # A replaced row keeps its identity for history and frees it for a new registration.
    vault.save_partner(dataclasses.replace(first, status="replaced"))
    newer = vault.save_partner(partner(status="registered"))
    assert vault.partner("NL-ABC").id == newer.id
    assert vault.count_partners(search="NL-ABC") == 2


def test_identity_may_be_unknown_while_pending(vault: Vault) -> None:
    one = vault.save_partner(partner("", "", versions_url="https://a/versions"))
    two = vault.save_partner(partner("", "", versions_url="https://b/versions"))
    assert one.id != two.id and one.ref == f"#{one.id}"
    assert vault.partner(one.ref).versions_url == "https://a/versions"
    named = vault.save_partner(dataclasses.replace(one, country_code="FR", party_id="TTT"))
    assert named.ref == "FR-TTT"


def test_invalid_partner_fields_are_refused_before_writing(vault: Vault) -> None:
    for bad in (
        partner(our_role="both"),
        partner(status="great"),
        partner(token_encoding="hex"),
        partner("N" * 40),
    ):
        with pytest.raises(ValueError):
            vault.save_partner(bad)
    assert vault.count_partners() == 0
    with pytest.raises(VaultError) as info:
        vault.save_partner(PartnerRecord(12345, "NL", "ABC"))
    assert info.value.code == "vault.peer_unknown"


def test_odd_json_values_in_partner_data_do_not_fail_the_write(vault: Vault) -> None:
    saved = vault.save_partner(partner(endpoints=[{"url": Path("/x"), "role": TokenRole.B}]))
    assert vault.partner(_pid(saved)).endpoints == [{"url": "/x", "role": "B"}]
    assert saved == vault.partner(_pid(saved))  # the record returned is the row as stored


def _fill(vault: Vault) -> None:
    rows = [
        ("NL", "ABC", "Acme Charging", "registered"),
        ("NL", "EVB", "E-Volt B.V.", "pending"),
        ("DE", "ABC", "Acme Deutschland", "registered"),
        ("BE", "Q_1", "100% Green", "failed"),
        ("FR", "ZZZ", "Zenith", "unregistered"),
    ]
    with vault.transaction():
        for cc, pid, name, status in rows:
            vault.save_partner(partner(cc, pid, business_name=name, status=status))


def test_partners_order_search_status_and_paging(vault: Vault) -> None:
    _fill(vault)
    refs = [p.ref for p in vault.partners()]
    assert refs == ["BE-Q_1", "DE-ABC", "FR-ZZZ", "NL-ABC", "NL-EVB"]
    assert [p.ref for p in vault.partners(search="acme")] == ["DE-ABC", "NL-ABC"]
    assert [p.ref for p in vault.partners(search="nl")] == ["NL-ABC", "NL-EVB"]
    assert [p.ref for p in vault.partners(search="nl-abc")] == ["NL-ABC"]
    assert [p.ref for p in vault.partners(search="abc", status="registered")] == [
        "DE-ABC",
        "NL-ABC",
    ]
    # LIKE wildcards in the search text are literal.
    assert [p.ref for p in vault.partners(search="100%")] == ["BE-Q_1"]
    assert [p.ref for p in vault.partners(search="_")] == ["BE-Q_1"]
    assert [p.ref for p in vault.partners(limit=2)] == ["BE-Q_1", "DE-ABC"]
    assert [p.ref for p in vault.partners(limit=2, offset=2)] == ["FR-ZZZ", "NL-ABC"]
    assert [p.ref for p in vault.partners(offset=4)] == ["NL-EVB"]
    assert vault.count_partners() == 5
    assert vault.count_partners(search="acme") == 2
    assert vault.count_partners(status="pending") == 1
    with pytest.raises(ValueError):
        vault.partners(status="nope")


def test_delete_partner_deletes_its_tokens_and_detaches_its_runs(vault: Vault) -> None:
    keep = vault.save_partner(partner("DE", "KEP"))
    gone = vault.save_partner(partner())
    kept = vault.add_token(_pid(keep), B, IN, Secret("keep-me"))
    run = vault.start_run("register", _pid(gone))
    cred = vault.add_token(_pid(gone), C, OUT, Secret("bye"), TokenState.ACTIVE, run.id)
    vault.delete_partner("nl-abc")
    assert vault.find_partner("NL", "ABC") is None
    assert vault.find_token(Secret("bye")) is None
    with pytest.raises(VaultError) as info:
        vault.reveal(cred.id)
    assert info.value.code == "vault.credential_unknown"
    assert vault.run(run.id).partner_id is None
    assert vault.reveal(kept.id).reveal() == "keep-me"


# --- tokens --------------------------------------------------------------------------------


def test_add_and_reveal_round_trip(vault: Vault) -> None:
    pid = _pid(vault.save_partner(partner()))
    value = "tok-" + "x" * 60
    cred = vault.add_token(pid, B, IN, Secret(value))
    assert isinstance(cred, CredentialRecord)
    assert (cred.role, cred.direction, cred.state) == (B, IN, TokenState.PENDING)
    assert cred.fingerprint == fingerprint(value, B) and cred.created.endswith("Z")
    secret = vault.reveal(cred.id)
    assert secret.reveal() == value and secret.role is B
    assert value not in repr(cred) and value not in repr(vault)


def test_unicode_and_edge_values_round_trip(vault: Vault) -> None:
    pid = _pid(vault.save_partner(partner()))
    for value in ("a", "!~" * 32, "ünï-çødé", "x y"):
        assert vault.reveal(vault.add_token(pid, C, OUT, Secret(value)).id).reveal() == value
    with pytest.raises(ValueError):
        vault.add_token(pid, C, OUT, Secret(""))
    with pytest.raises(TypeError):
        vault.add_token(pid, C, OUT, "raw string")  # type: ignore[arg-type]


def test_reveal_many_is_reveal_in_a_few_reads(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine restores every registered partner's tokens with it: same values, same
    roles, same refusals as `reveal`, whatever the batch size."""
    from app.vault import credentials

    monkeypatch.setattr(credentials, "_READ_BATCH", 2)
    pid = _pid(vault.save_partner(partner()))
    values = ["tok-one", "tok-two", "ünï-three", "x y four", "five"]
    ids = [
        vault.add_token(pid, (B, C)[i % 2], (IN, OUT)[i % 2], Secret(v)).id
        for i, v in enumerate(values)
    ]
    revealed = vault.reveal_many([*reversed(ids), ids[0]])
    assert sorted(revealed) == sorted(ids)
    for cred_id in ids:
        one = vault.reveal(cred_id)
        assert (revealed[cred_id].reveal(), revealed[cred_id].role) == (one.reveal(), one.role)
    assert vault.reveal_many([]) == {}
    with pytest.raises(VaultError) as info:
        vault.reveal_many([ids[0], max(ids) + 100])
    assert info.value.code == "vault.credential_unknown"


def test_add_token_needs_a_known_partner_and_run(vault: Vault) -> None:
    with pytest.raises(VaultError) as info:
        vault.add_token(42, A, OUT, Secret("a"))
    assert info.value.code == "vault.peer_unknown"
    pid = _pid(vault.save_partner(partner()))
    with pytest.raises(VaultError) as info:
        vault.add_token(pid, A, OUT, Secret("a"), run_id="nope")
    assert info.value.code == "vault.run_unknown"
    assert vault.tokens(pid) == []


def test_active_token_c_consumes_token_a_in_the_same_write(vault: Vault) -> None:
    pid = _pid(vault.save_partner(partner()))
    other = _pid(vault.save_partner(partner("DE", "OTH")))
    token_a = vault.add_token(pid, A, OUT, Secret("token-a"))
    other_a = vault.add_token(other, A, OUT, Secret("other-a"))
    pending_c = vault.add_token(pid, C, OUT, Secret("token-c0"))
    assert vault.credential(token_a.id).state is TokenState.PENDING
    vault.add_token(pid, C, OUT, Secret("token-c"), TokenState.ACTIVE)
    assert vault.credential(token_a.id).state is TokenState.CONSUMED
    assert vault.credential(other_a.id).state is TokenState.PENDING
    assert vault.credential(pending_c.id).state is TokenState.PENDING
    found = vault.find_token(Secret("token-a"))
    assert found is not None and found.state is TokenState.CONSUMED


def test_token_a_consumption_rolls_back_with_its_transaction(vault: Vault) -> None:
    pid = _pid(vault.save_partner(partner()))
    token_a = vault.add_token(pid, A, OUT, Secret("token-a"), TokenState.ACTIVE)
    with pytest.raises(RuntimeError), vault.transaction():
        vault.add_token(pid, C, OUT, Secret("token-c"), TokenState.ACTIVE)
        assert vault.credential(token_a.id).state is TokenState.CONSUMED
        raise RuntimeError("crash between steps")
    assert vault.credential(token_a.id).state is TokenState.ACTIVE
    assert vault.find_token(Secret("token-c")) is None


def test_activating_token_c_later_also_consumes_and_inbound_c_counts(vault: Vault) -> None:
    pid = _pid(vault.save_partner(partner()))
    token_a = vault.add_token(pid, A, IN, Secret("our-a"), TokenState.ACTIVE)
    c_in = vault.add_token(pid, C, IN, Secret("our-c"))
    assert vault.credential(token_a.id).state is TokenState.ACTIVE
    vault.set_token_state(c_in.id, TokenState.ACTIVE)
    assert vault.credential(token_a.id).state is TokenState.CONSUMED


def test_consumed_token_a_never_comes_back(vault: Vault) -> None:
    pid = _pid(vault.save_partner(partner()))
    token_a = vault.add_token(pid, A, OUT, Secret("token-a"))
    vault.add_token(pid, C, OUT, Secret("token-c"), TokenState.ACTIVE)
    for state in (TokenState.ACTIVE, TokenState.PENDING):
        with pytest.raises(ValueError, match="consumed"):
            vault.set_token_state(token_a.id, state)
    revoked = vault.set_token_state(token_a.id, TokenState.REVOKED)
    assert revoked.state is TokenState.REVOKED and revoked.revoked is not None


def test_new_active_token_supersedes_the_previous_one(vault: Vault) -> None:
    pid = _pid(vault.save_partner(partner()))
    old_c = vault.add_token(pid, C, OUT, Secret("c1"), TokenState.ACTIVE)
    old_b = vault.add_token(pid, B, IN, Secret("b1"), TokenState.ACTIVE)
    new_c = vault.add_token(pid, C, OUT, Secret("c2"), TokenState.ACTIVE)
    assert vault.credential(old_c.id).state is TokenState.SUPERSEDED
    assert vault.credential(old_b.id).state is TokenState.ACTIVE
    assert [t.id for t in vault.tokens(pid, role=C, state=TokenState.ACTIVE)] == [new_c.id]
    new_b = vault.add_token(pid, B, IN, Secret("b2"))
    vault.set_token_state(new_b.id, TokenState.ACTIVE)
    assert vault.credential(old_b.id).state is TokenState.SUPERSEDED


def test_tokens_filters_and_revoked_timestamp(vault: Vault) -> None:
    pid = _pid(vault.save_partner(partner()))
    a = vault.add_token(pid, A, OUT, Secret("a"))
    b = vault.add_token(pid, B, IN, Secret("b"), TokenState.ACTIVE)
    c = vault.add_token(pid, C, OUT, Secret("c"), TokenState.REVOKED)
    assert [t.id for t in vault.tokens(pid)] == [a.id, b.id, c.id]
    assert [t.id for t in vault.tokens(pid, role=B)] == [b.id]
    assert [t.id for t in vault.tokens(pid, direction=OUT)] == [a.id, c.id]
    assert [t.id for t in vault.tokens(pid, state=TokenState.REVOKED)] == [c.id]
    assert [t.id for t in vault.tokens(pid, role=A, direction=IN)] == []
    assert c.revoked is not None and b.revoked is None
    assert vault.set_token_state(b.id, TokenState.ACTIVE).state is TokenState.ACTIVE
    with pytest.raises(VaultError) as info:
        vault.set_token_state(999, TokenState.REVOKED)
    assert info.value.code == "vault.credential_unknown"


def test_retire_tokens_moves_only_live_ones_as_set_token_state_would(vault: Vault) -> None:
    pid = _pid(vault.save_partner(partner()))
    other = _pid(vault.save_partner(partner("DE", "XYZ")))
    a = vault.add_token(pid, A, OUT, Secret("a"))
    b = vault.add_token(pid, B, IN, Secret("b"), TokenState.ACTIVE)
    c = vault.add_token(pid, C, OUT, Secret("c"), TokenState.REVOKED)
    kept = vault.add_token(other, B, IN, Secret("b2"), TokenState.ACTIVE)
    assert vault.retire_tokens(pid, TokenState.REVOKED) == 2
    states = {t.id: (t.state, t.revoked) for t in vault.tokens(pid)}
    assert states[a.id][0] is TokenState.REVOKED and states[a.id][1] is not None
    assert states[b.id][0] is TokenState.REVOKED and states[b.id][1] is not None
    assert states[c.id] == (TokenState.REVOKED, c.revoked)  # its first revocation stands
    assert vault.credential(kept.id).state is TokenState.ACTIVE
    assert vault.retire_tokens(pid, TokenState.SUPERSEDED) == 0  # none live any more
    assert vault.retire_tokens(other, TokenState.SUPERSEDED) == 1
    assert vault.credential(kept.id).revoked is None  # superseded, not revoked
    with pytest.raises(ValueError):
        vault.retire_tokens(other, TokenState.ACTIVE)


def test_mark_replaced_frees_the_identity_and_keeps_the_row(vault: Vault) -> None:
    older = vault.save_partner(partner(status="registered", business_name="Acme"))
    vault.mark_replaced(_pid(older))
    kept = vault.partner(_pid(older))
    assert (kept.country_code, kept.party_id, kept.status) == ("", f"~{older.id}", "replaced")
    assert kept.business_name == "Acme" and kept.created == older.created
    assert kept.updated >= older.updated
    assert vault.find_partner("NL", "ABC") is None
    vault.save_partner(partner(status="registered"))  # the identity is free again
    with pytest.raises(VaultError) as info:
        vault.mark_replaced(999)
    assert info.value.code == "vault.peer_unknown"


def test_mark_used(vault: Vault) -> None:
    pid = _pid(vault.save_partner(partner()))
    cred = vault.add_token(pid, C, OUT, Secret("c"), TokenState.ACTIVE)
    assert cred.last_used is None
    vault.mark_used(cred.id)
    used = vault.credential(cred.id).last_used
    assert used is not None and used.endswith("Z")
    with pytest.raises(VaultError):
        vault.mark_used(999)


def test_find_token_across_partners(vault: Vault) -> None:
    one = _pid(vault.save_partner(partner()))
    two = _pid(vault.save_partner(partner("DE", "TWO")))
    vault.add_token(one, B, IN, Secret("b-for-one"), TokenState.ACTIVE)
    b_two = vault.add_token(two, B, IN, Secret("b-for-two"), TokenState.ACTIVE)
    found = vault.find_token(Secret("b-for-two"))
    assert found == b_two
    assert vault.find_token(Secret("b-for-tw")) is None
    assert vault.find_token(Secret("B-FOR-TWO")) is None
    # The same value stored twice: the active one wins.
    stale = vault.add_token(one, C, OUT, Secret("dup"), TokenState.REVOKED)
    live = vault.add_token(two, C, OUT, Secret("dup"), TokenState.ACTIVE)
    found = vault.find_token(Secret("dup"))
    assert found is not None and found.id == live.id != stale.id


def test_token_by_fingerprint_accepts_typable_forms(vault: Vault) -> None:
    pid = _pid(vault.save_partner(partner()))
    cred = vault.add_token(pid, C, OUT, Secret("some-token"), TokenState.ACTIVE)
    digest = cred.fingerprint.split("·")[1]
    forms = (cred.fingerprint, f"C-{digest}", f"c{digest}", digest, digest.upper(), f"C {digest}")
    for text in forms:
        assert vault.token_by_fingerprint(text).id == cred.id, text
    for text in (f"B·{digest}", "C·000000" if digest != "000000" else "C·111111", "zzz"):
        with pytest.raises(VaultError) as info:
            vault.token_by_fingerprint(text)
        assert info.value.code == "vault.token_unknown"


def test_records_are_frozen(vault: Vault) -> None:
    rec = vault.save_partner(partner())
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.status = "registered"  # type: ignore[misc]


# --- runs and transcripts --------------------------------------------------------------


def test_run_lifecycle(vault: Vault) -> None:
    pid = _pid(vault.save_partner(partner()))
    run = vault.start_run("register", pid, data={"versions_url": "https://x"})
    assert (run.kind, run.state, run.outcome, run.partner_id) == ("register", "new", "running", pid)
    assert not run.finished and len(run.id) == 32
    step = vault.update_run(run.id, state="credentials_posted", data={"token_b": 3})
    assert step.data == {"versions_url": "https://x", "token_b": 3}
    assert step.state == "credentials_posted" and step.outcome == "running"
    diagnosis = {"code": "net.timeout", "message": "m", "hint": "h"}
    done = vault.update_run(run.id, outcome="failed", diagnosis=diagnosis)
    assert done.diagnosis == diagnosis and done.finished and done.state == "credentials_posted"
    assert done.created == run.created and done.updated >= run.updated
    assert vault.run(run.id) == done
    with pytest.raises(ValueError):
        vault.update_run(run.id, outcome="exploded")
    # its only writer may hand over the run as it last wrote it: the same result, no read
    again = vault.start_run("register", pid, data={"versions_url": "https://x"})
    vault.move_run(again.id, "details_fetched")
    posted = vault.update_run(
        again.id, state="credentials_posted", data={"posted": True}, current=again
    )
    assert posted == vault.run(again.id)
    assert posted.data == {"versions_url": "https://x", "posted": True}
    # without a new state the stored row is read (a handed-over state may be old)
    assert vault.update_run(again.id, data={"x": 1}, current=again).state == "credentials_posted"
    with pytest.raises(ValueError):
        vault.start_run("dance")


def test_run_moves_and_batched_transcript(vault: Vault) -> None:
    """A handshake's positions (move_run) and a step's entries written together."""
    pid = _pid(vault.save_partner(partner()))
    run = vault.start_run("register", pid, data={"versions_url": "https://x"})
    vault.move_run(run.id, "versions_fetched")
    moved = vault.run(run.id)
    assert (moved.state, moved.outcome, moved.data) == ("versions_fetched", "running", run.data)
    assert moved.updated >= run.updated
    vault.append_transcript(run.id, {"seq": 1})
    vault.append_transcripts(run.id, [{"seq": 2}, {"seq": 3, "text": "é"}])
    vault.append_transcripts(run.id, [])
    assert vault.transcript(run.id) == [{"seq": 1}, {"seq": 2}, {"seq": 3, "text": "é"}]
    with pytest.raises(VaultError) as raised:
        vault.move_run("0" * 32, "new")
    assert raised.value.diagnosis.code == "vault.run_unknown"
    with pytest.raises(VaultError):
        vault.append_transcripts("0" * 32, [{"seq": 1}])


def test_runs_listing_and_unfinished(vault: Vault) -> None:
    pid = _pid(vault.save_partner(partner()))
    first = vault.start_run("invite")
    second = vault.start_run("check", pid)
    third = vault.start_run("rotate", pid)
    vault.update_run(second.id, outcome="succeeded")
    vault.update_run(first.id, partner_id=pid)
    assert [r.id for r in vault.runs()] == [first.id, second.id, third.id]
    assert [r.id for r in vault.runs(partner_id=pid)] == [first.id, second.id, third.id]
    assert [r.id for r in vault.runs(unfinished_only=True)] == [first.id, third.id]
    with pytest.raises(VaultError) as info:
        vault.run("missing")
    assert info.value.code == "vault.run_unknown"


def test_transcript_round_trip_and_plain_json_only(vault: Vault) -> None:
    run = vault.start_run("check")
    entries = [{"n": i, "request": {"url": "https://x", "headers": {"a": "b"}}} for i in range(3)]
    for entry in entries:
        vault.append_transcript(run.id, entry)
    vault.append_transcript(run.id, {"token": Secret("never-stored", B)})
    stored = vault.transcript(run.id)
    assert stored[:3] == entries
    assert "never-stored" not in repr(stored)
    assert fingerprint("never-stored", B) in stored[3]["token"]
    assert vault.transcript("other") == []
    with pytest.raises(VaultError):
        vault.append_transcript("missing", {})


# --- transactions --------------------------------------------------------------------------


def test_transaction_is_all_or_nothing_and_nests(vault: Vault) -> None:
    with pytest.raises(KeyError), vault.transaction():
        pid = _pid(vault.save_partner(partner()))
        vault.add_token(pid, B, IN, Secret("b"))
        vault.start_run("register", pid)
        raise KeyError("boom")
    assert vault.count_partners() == 0 and vault.runs() == []
    with vault.transaction():
        vault.save_partner(partner("DE", "ONE"))
        with pytest.raises(ValueError), vault.transaction():
            vault.save_partner(partner("DE", "TWO"))
            raise ValueError("inner only")
        vault.save_partner(partner("DE", "THR"))
    assert [p.ref for p in vault.partners()] == ["DE-ONE", "DE-THR"]


def test_writes_are_durable_across_reopen(vault_path: Path) -> None:
    with Vault.open(vault_path, PASSPHRASE) as vault:
        pid = _pid(vault.save_partner(partner()))
        cred = vault.add_token(pid, C, OUT, Secret("persist"), TokenState.ACTIVE)
        run = vault.start_run("register", pid)
        vault.append_transcript(run.id, {"step": 1})
    with Vault.open(vault_path, PASSPHRASE) as vault:
        assert vault.reveal(cred.id).reveal() == "persist"
        assert vault.transcript(run.id) == [{"step": 1}]


def test_closed_vault_refuses_use(vault_path: Path) -> None:
    vault = Vault.open(vault_path, PASSPHRASE)
    vault.close()
    vault.close()
    assert vault.closed
    with pytest.raises(RuntimeError):
        vault.partners()
