"""Registered partners' tokens restored ahead, a slice per turn of the loop (issue 13).

At the first call in, the restore decrypted and granted every registered partner's tokens
in one piece (~90 ms with the window's loop stopped at 2,000 partners); the window now
runs `restore_ahead` once its start has settled. These tests use a real vault file and a
real engine with our endpoint on loopback; none is timed. They check that the slices
yield to the loop, that the book stays pending (whole or not at all) until the last slice,
that a use mid-way does the rest at once, and that the vault's current rows win over what
was there when the restore began (a revoke, a rotation, a forgotten partner).
"""

from __future__ import annotations

import asyncio
import base64
import sqlite3
from pathlib import Path

import httpx
import pytest

from app.core.ocpi import parse_authorization
from app.core.tokens import Secret, TokenRole
from app.engine import Engine
from app.engine.restore import TurnBudget
from app.vault import Direction, TokenState, Vault
from app.vault.errors import VaultError
from tests.engine.conftest import started_engine
from tests.support.aio import run
from tests.support.vaults import registered


def _their_b(i: int) -> str:
    return f"b-restore-ahead-test-{i:05d}"  # a test token: what partner i calls us with


def _partners(vault: Vault, count: int) -> list[int]:
    """`count` partners we registered with as Sender: the TOKEN_B we issued (inbound) and
    the TOKEN_C they gave us (outbound), as a registration leaves them. Their ids."""
    ids = []
    with vault.transaction():
        for i in range(count):
            stored = registered(
                vault,
                f"R{i:04d}",
                (Secret(_their_b(i), TokenRole.B), Direction.INBOUND),
                (Secret(f"c-restore-ahead-test-{i:05d}", TokenRole.C), Direction.OUTBOUND),
                our_role="sender",
            )
            ids.append(next(iter(stored.values())).partner_id)
    return ids


def _header(value: str) -> str:
    return "Token " + base64.b64encode(value.encode()).decode()


def _accepted(engine: Engine, value: str) -> bool:
    """Whether our endpoint's book accepts `value` (as a call in would ask it)."""
    return engine.tokens.identify(parse_authorization(_header(value))).grant is not None


def _inbound_id(vault: Vault, partner_id: int) -> int:
    (cred,) = vault.tokens(partner_id, direction=Direction.INBOUND, state=TokenState.ACTIVE)
    return cred.id


async def _after_slices(engine: Engine, task: asyncio.Task[int], count: int) -> None:
    """Turn the loop until the restore ahead has restored `count` slices (or ended)."""
    while engine._restore is not None and engine._restore.slices < count and not task.done():
        await asyncio.sleep(0)


async def _restore_watched(
    engine: Engine, slice_size: int | None
) -> tuple[int, list[tuple[int, bool]]]:
    """`restore_ahead(slice_size)` with a task noting, at each turn of the loop between its
    slices, (slices done, book pending); the slices restored and what was noted."""
    seen: list[tuple[int, bool]] = []

    async def watch() -> None:
        while True:
            assert engine._restore is not None
            seen.append((engine._restore.slices, engine.tokens.pending))
            await asyncio.sleep(0)

    watcher = asyncio.ensure_future(watch())
    slices = await engine.restore_ahead(slice_size)
    await asyncio.sleep(0)
    watcher.cancel()
    return slices, seen


def test_the_restore_ahead_yields_between_slices_and_is_whole_only_at_its_end(
    vault: Vault,
) -> None:
    ids = _partners(vault, 250)

    async def scenario() -> None:
        async with started_engine(vault) as engine:
            assert engine.tokens.pending
            slices, seen = await _restore_watched(engine, 100)
            assert slices == 3  # 100 + 100 + 50 partners
            # the loop turned between the slices; the book stayed pending until the last
            assert {n for n, _pending in seen} >= {0, 1, 2, 3}
            assert all(pending for n, pending in seen if n < 3)
            assert not engine.tokens.pending
            assert len(engine.receiver.sessions) == len(ids)
            async with httpx.AsyncClient() as client:
                for i in (0, 149, 249):  # a partner of each slice calls us
                    ok = await client.get(
                        engine.our_versions_url, headers={"Authorization": _header(_their_b(i))}
                    )
                    assert ok.status_code == 200 and ok.json()["status_code"] == 1000
            assert engine.server is not None
            assert engine.server.calls[-1].peer == f"partner:{ids[249]}"
            assert await engine.restore_ahead(100) == 0  # nothing left

    run(scenario())


def test_a_partner_calling_right_after_start_is_accepted_and_ends_the_slices(
    vault: Vault,
) -> None:
    _partners(vault, 250)

    async def scenario() -> None:
        async with started_engine(vault) as engine, httpx.AsyncClient() as client:
            task = asyncio.ensure_future(engine.restore_ahead(100))
            ok = await client.get(
                engine.our_versions_url, headers={"Authorization": _header(_their_b(249))}
            )
            assert ok.status_code == 200 and ok.json()["status_code"] == 1000
            await task
            assert not engine.tokens.pending
            assert _accepted(engine, _their_b(0))

    run(scenario())


def test_a_use_mid_way_restores_the_rest_at_once(vault: Vault) -> None:
    _partners(vault, 250)

    async def scenario() -> None:
        async with started_engine(vault) as engine:
            task = asyncio.ensure_future(engine.restore_ahead(100))
            await _after_slices(engine, task, 1)
            assert engine.tokens.pending and not task.done()
            # the last slice's partner: accepted by the first use, which did the rest
            assert _accepted(engine, _their_b(249))
            assert not engine.tokens.pending
            slices = await task
            assert 1 <= slices < 3  # the slices stopped where the use took over
            assert all(_accepted(engine, _their_b(i)) for i in range(250))

    run(scenario())


def test_the_vault_as_it_is_at_each_slice_wins(vault: Vault) -> None:
    """A token revoked, a rotation and a partner forgotten after the restore began (in the
    vault, as an operation writes it before it tells the book) are not undone by it."""
    ids = _partners(vault, 250)

    async def scenario() -> None:
        async with started_engine(vault) as engine:
            task = asyncio.ensure_future(engine.restore_ahead(100))
            await _after_slices(engine, task, 1)
            assert not task.done()
            revoked, rotated, forgotten = ids[200], ids[201], ids[202]
            vault.set_token_state(_inbound_id(vault, revoked), TokenState.REVOKED)
            vault.set_token_state(_inbound_id(vault, rotated), TokenState.REVOKED)
            vault.add_token(
                rotated,
                TokenRole.B,
                Direction.INBOUND,
                Secret("b-restore-ahead-rotated"),
                TokenState.ACTIVE,
            )
            vault.delete_partner(forgotten)
            assert await task == 3
            assert not engine.tokens.pending
            assert not _accepted(engine, _their_b(200))
            assert not _accepted(engine, _their_b(201))
            assert _accepted(engine, "b-restore-ahead-rotated")
            assert not _accepted(engine, _their_b(202))
            assert _accepted(engine, _their_b(203)) and _accepted(engine, _their_b(0))

    run(scenario())


def test_a_revoke_through_the_book_mid_way_is_not_resurrected(vault: Vault) -> None:
    _partners(vault, 250)

    async def scenario() -> None:
        async with started_engine(vault) as engine:
            task = asyncio.ensure_future(engine.restore_ahead(100))
            await _after_slices(engine, task, 1)
            engine.tokens.revoke(Secret(_their_b(220)))  # the rest first, then the revoke
            await task
            assert not engine.tokens.pending
            assert not _accepted(engine, _their_b(220))
            assert _accepted(engine, _their_b(221))

    run(scenario())


def test_an_unfinished_invitation_is_restored_ahead_too(vault: Vault) -> None:
    _partners(vault, 3)

    async def scenario() -> None:
        async with started_engine(vault) as first:
            invitation = await first.invite()
        async with started_engine(vault) as second:
            assert await second.restore_ahead(2) == 2
            assert not second.tokens.pending
            grant = second.tokens.identify(
                parse_authorization(_header(invitation.token_a.reveal()))
            ).grant
            assert grant is not None and grant.peer == f"partner:{invitation.partner_id}"

    run(scenario())


def test_a_tampered_token_leaves_the_book_pending_and_the_next_use_says_why(
    vault: Vault, vault_path: Path
) -> None:
    ids = _partners(vault, 250)
    one, other = _inbound_id(vault, ids[240]), _inbound_id(vault, ids[241])
    with sqlite3.connect(vault_path) as raw:  # a ciphertext copied onto another row
        (blob,) = raw.execute("SELECT ciphertext FROM credentials WHERE id = ?", (one,)).fetchone()
        raw.execute("UPDATE credentials SET ciphertext = ? WHERE id = ?", (blob, other))
    raw.close()

    async def scenario() -> None:
        async with started_engine(vault) as engine:
            assert await engine.restore_ahead(100) == 2  # the third slice failed
            assert engine.tokens.pending
            with pytest.raises(VaultError) as info:
                engine.tokens.identify(None)
            assert info.value.code == "vault.tampered"
            assert "restore-ahead-test" not in str(info.value)

    run(scenario())


def test_by_default_the_slices_are_sized_to_the_turn_and_restore_everyone(vault: Vault) -> None:
    ids = _partners(vault, 250)

    async def scenario() -> None:
        async with started_engine(vault) as engine:
            slices, seen = await _restore_watched(engine, None)  # the window's: by TurnBudget
            # the first slice is TurnBudget.first partners and each next at most twice the
            # last: 25 + 50 + 100 < 250, so at least four turns however quick they are
            first = TurnBudget.first
            assert first + 2 * first + 4 * first < 250 and slices >= 4
            assert len({n for n, _pending in seen}) >= 3  # the loop turned between slices
            assert all(pending for n, pending in seen if n < slices)
            assert not engine.tokens.pending
            assert len(engine.receiver.sessions) == len(ids)
            assert _accepted(engine, _their_b(0)) and _accepted(engine, _their_b(249))

    run(scenario())


def test_the_turn_budget_shrinks_at_once_and_grows_at_most_twofold() -> None:
    budget = TurnBudget(seconds=0.004, first=25, least=5, most=400)
    assert budget.next(100, 0.012) == 33  # three times over: a third as many
    assert budget.next(25, 0.001) == 50  # four times under: only twice as many
    assert budget.next(25, 0.004) == 25  # on budget: the same
    assert budget.next(10, 0.5) == 5  # never below `least`: the restore always moves on
    assert budget.next(300, 0.0001) == 400  # never above `most`
    assert budget.next(30, 0.0) == 60  # a turn too quick to time: twice as many
