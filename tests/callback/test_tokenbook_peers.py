"""The token book's per-partner index: revoking one partner's grants leaves every other
grant as it was, however tokens moved between partners (restoring n registered partners
revokes each one's grants first; the index keeps that linear, issue 13)."""

from __future__ import annotations

import pytest

from app.callback.tokenbook import Stage, TokenBook
from app.core.ocpi import parse_authorization
from app.core.tokens import Secret, TokenRole


def _peer(book: TokenBook, value: str) -> str | None:
    grant = book.identify(parse_authorization(f"Token {value}")).grant
    return grant.peer if grant else None


def test_revoking_a_partner_revokes_its_grants_only() -> None:
    book = TokenBook()
    book.grant(Secret("tok-a1", TokenRole.A), "partner:1", Stage.INVITE)
    book.grant(Secret("tok-c1", TokenRole.C), "partner:1", Stage.REGISTERED)
    book.grant(Secret("tok-c2", TokenRole.C), "partner:2", Stage.REGISTERED)
    # the same value granted again to another partner moves to that partner
    book.grant(Secret("tok-a1", TokenRole.A), "partner:2", Stage.INVITE)
    book.revoke_peer("partner:1")
    assert _peer(book, "tok-c1") is None
    assert _peer(book, "tok-a1") == "partner:2"
    assert _peer(book, "tok-c2") == "partner:2"
    book.revoke(Secret("tok-a1", TokenRole.A))
    book.revoke_peer("partner:2")
    assert _peer(book, "tok-c2") is None and _peer(book, "tok-a1") is None
    # a partner granted again after its revocation is known again
    book.grant(Secret("tok-c1", TokenRole.C), "partner:1", Stage.REGISTERED)
    assert _peer(book, "tok-c1") == "partner:1"
    book.revoke_peer("partner:3")  # nobody: nothing happens
    assert _peer(book, "tok-c1") == "partner:1"


def test_a_pending_load_runs_before_the_first_use_and_again_after_a_failure() -> None:
    book = TokenBook()
    runs: list[str] = []

    def load() -> None:
        runs.append("load")
        if len(runs) == 1:
            raise RuntimeError("the vault could not be read")
        book.grant(Secret("tok-restored", TokenRole.C), "partner:9", Stage.REGISTERED)

    book.load_later(load)
    assert book.pending and runs == []
    with pytest.raises(RuntimeError):
        book.identify(parse_authorization("Token tok-restored"))
    assert book.pending  # a failed load is tried again at the next use
    assert _peer(book, "tok-restored") == "partner:9"
    assert not book.pending and runs == ["load", "load"]
    _peer(book, "tok-restored")
    assert runs == ["load", "load"]  # once
