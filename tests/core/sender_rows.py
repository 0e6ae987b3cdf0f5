"""The Sender table's row type and checker, shared by its two halves (discovery and
registration): a row brings a fresh SenderHandshake to its state through real transitions
(scripted good answers), feeds one answer or transport failure, and compares where the
machine went, what it asks for next, its diagnosis and the warnings it added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from app.core.diagnosis import OnboardingError
from app.core.handshake import SenderHandshake, SenderState
from app.core.judging import Response
from tests.core.scripted import (
    THEIR_VERSIONS_URL,
    THEIRS,
    answer,
    credentials_url,
    leaks,
    sender_at,
    summary,
    versions,
)

S = SenderState
NEW, VF, DF, TBS, CP, REG, VER, FAILED = (
    S.NEW,
    S.VERSIONS_FETCHED,
    S.DETAILS_FETCHED,
    S.TOKEN_B_STORED,
    S.CREDENTIALS_POSTED,
    S.REGISTERED,
    S.VERIFIED,
    S.FAILED,
)
DONE_FAILED = ("finished", "failed")
ISSUE = ("issue_token",)


def details_get(version: str, url: str | None = None) -> tuple[Any, ...]:
    return ("details", "GET", url or f"{THEIRS}/{version}", "A", version)


def verify_versions(url: str = THEIR_VERSIONS_URL) -> tuple[Any, ...]:
    return ("verify", "GET", url, "C", None)


def verify_credentials(version: str = "2.2.1") -> tuple[Any, ...]:
    return ("verify", "GET", credentials_url(version), "C", version)


@dataclass(frozen=True)
class Row:
    name: str
    state: SenderState
    given: Response | OnboardingError  # an answer, or a transport failure instead of one
    state_after: SenderState
    next: tuple[Any, ...]
    code: str | None = None
    warnings: tuple[str, ...] = ()
    setup: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)  # machine attributes to check


def run(row: Row) -> SenderHandshake:
    setup = dict(row.setup)
    verified_versions = setup.pop("verified_versions", False)
    machine = sender_at(row.state, **setup)
    if verified_versions:  # the first call with TOKEN_C already passed
        machine.receive(answer(versions(setup.get("version", "2.2.1"))))
    return machine


def check(row: Row) -> None:
    """Feed the row's answer (or transport failure) and compare every outcome."""
    machine = run(row)
    warnings_before = len(machine.warnings)
    feed = machine.fail_with if isinstance(row.given, OnboardingError) else machine.receive
    if row.state_after == FAILED:
        with pytest.raises(OnboardingError) as raised:
            feed(row.given)  # type: ignore[arg-type]
        assert raised.value.diagnosis.code == row.code
    else:
        feed(row.given)  # type: ignore[arg-type]
    assert machine.state == row.state_after
    assert summary(machine.next_action()) == row.next
    assert (machine.diagnosis.code if machine.diagnosis else None) == row.code
    assert [w.code for w in machine.warnings[warnings_before:]] == list(row.warnings)
    assert not leaks(machine.diagnosis), "a raw token in the diagnosis"
    assert not any(leaks(w) for w in machine.warnings)
    for name, want in row.after.items():
        assert _probe(machine, name) == want, name


def _probe(machine: SenderHandshake, name: str) -> Any:
    if name == "token_c":
        return machine.token_c.reveal() if machine.token_c else None
    if name == "hub":
        return machine.partner.hub_party_id if machine.partner else None
    return getattr(machine, name)
