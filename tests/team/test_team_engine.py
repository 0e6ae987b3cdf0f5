"""Two members' engines on one team vault (real PostgreSQL) against the sandbox partner:
both see the partner, concurrent rotations of it never lose an update or leave half a
token pair, and the audit names who did what."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from app.core.diagnosis import OnboardingError
from app.core.tokens import Secret, TokenRole, generate_token
from app.engine import RunResult
from app.sandbox import SandboxPartner
from app.vault import Direction, TeamVault, TokenState
from tests.engine.conftest import FAST, started_engine
from tests.support.aio import run

ALICE, BOB = "alice passphrase", "bob passphrase!"


@pytest.fixture
def team(pg_url: str) -> Iterator[tuple[TeamVault, TeamVault]]:
    alice = TeamVault.open_url(pg_url, ALICE, "alice")
    alice.add_member("bob", BOB)
    bob = TeamVault.open_url(pg_url, BOB, "bob")
    try:
        yield alice, bob
    finally:
        bob.close()
        alice.close()


def _active_pairs(vault: TeamVault, partner_id: int) -> list[tuple[TokenRole, Direction]]:
    return [(c.role, c.direction) for c in vault.tokens(partner_id, state=TokenState.ACTIVE)]


async def _outcome(coro: object) -> RunResult | OnboardingError:
    try:
        return await coro  # type: ignore[misc, no-any-return]
    except OnboardingError as exc:
        return exc


def test_concurrent_rotations_of_one_partner(team: tuple[TeamVault, TeamVault]) -> None:
    alice, bob = team

    async def scenario() -> list[RunResult | OnboardingError]:
        token_a = Secret(generate_token(), TokenRole.A)
        async with SandboxPartner(token_a, versions=("2.2.1",), http_settings=FAST) as sandbox:
            async with started_engine(alice) as a_engine:
                registered = await a_engine.register(sandbox.versions_url, token_a)
                assert registered.status == "registered", registered.diagnosis
                async with started_engine(bob) as b_engine:
                    assert [p.ref for p in bob.partners()] == ["NL-SBX"]  # bob sees it
                    results = await asyncio.gather(
                        _outcome(a_engine.rotate("NL-SBX")), _outcome(b_engine.rotate("NL-SBX"))
                    )
                    # after both: the winner's token works for either member
                    checked = await b_engine.check("NL-SBX")
                    assert checked.status == "ok", checked.diagnosis
                    return list(results)

    results = run(scenario(), 90)
    wins = [r for r in results if isinstance(r, RunResult) and r.status == "rotated"]
    losses = [
        r.diagnosis for r in results if not (isinstance(r, RunResult) and r.status == "rotated")
    ]
    assert len(wins) == 1 and len(losses) == 1
    assert losses[0] is not None and losses[0].code == "vault.conflict"
    assert losses[0].message == "A colleague changed this partner; reload."
    pid = alice.partner("NL-SBX").id
    assert pid is not None
    pairs = _active_pairs(alice, pid)
    assert sorted(pairs) == sorted(set(pairs))  # one active token per role and direction
    assert (TokenRole.C, Direction.OUTBOUND) in pairs and (TokenRole.B, Direction.INBOUND) in pairs
    active_c = next(
        c for c in alice.tokens(pid, role=TokenRole.C, state=TokenState.ACTIVE)
    ).fingerprint
    assert active_c == wins[0].token_c_fingerprint
    events = [(e.actor, e.action) for e in alice.audit.events()]
    assert events[:2] == [("alice", "member-add"), ("alice", "register")]
    assert [e for e in events[2:] if e[1] == "rotate"] in (
        [("alice", "rotate")],
        [("bob", "rotate")],
    )
    assert alice.audit.verify().intact
