"""A liveness sweep over many partners runs at most MAX_PARALLEL probes at once, and every
partner still gets its probe (one in flight per partner)."""

from __future__ import annotations

import asyncio
import time

from app.engine.liveness import MAX_PARALLEL, Alive, LivenessScheduler


def test_a_big_sweep_is_gated_and_complete() -> None:
    running = 0
    peak = 0
    probed: list[int] = []
    results: dict[int, Alive] = {}

    async def probe(pid: int) -> Alive:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001)
        running -= 1
        probed.append(pid)
        return Alive(time.time(), True)

    async def sweep() -> None:
        scheduler = LivenessScheduler(probe, 15, lambda pid, alive: results.__setitem__(pid, alive))
        started = scheduler.tick(range(1, 41))
        assert started == list(range(1, 41))
        assert scheduler.tick(range(1, 41)) == []  # all in flight (or queued): none twice
        # the rest wait in the queue, not as tasks (issue 13: 2,000 tasks made one long pass)
        assert len(scheduler.in_flight) == MAX_PARALLEL
        assert list(scheduler.queued) == list(range(MAX_PARALLEL + 1, 41))
        while scheduler.busy:  # each probe that ends starts the next queued one
            await asyncio.gather(*scheduler.in_flight.values())
        assert scheduler.in_flight == {}

    asyncio.run(sweep())
    assert peak == MAX_PARALLEL
    assert sorted(probed) == list(range(1, 41))
    assert sorted(results) == list(range(1, 41)) and all(a.ok for a in results.values())


def test_cancel_stops_the_sweep_and_a_later_tick_starts_again() -> None:
    probed: list[int] = []

    async def probe(pid: int) -> Alive:
        await asyncio.sleep(0.01)
        probed.append(pid)
        return Alive(time.time(), True)

    async def sweep() -> None:
        scheduler = LivenessScheduler(probe, 15)
        scheduler.tick(range(1, 21))
        running = scheduler.cancel()
        assert len(running) == MAX_PARALLEL and not scheduler.queued
        await asyncio.gather(*running, return_exceptions=True)
        await asyncio.sleep(0.02)
        assert probed == [] and not scheduler.busy  # nothing queued was started
        assert scheduler.tick([7]) == [7]  # never probed: due again
        await asyncio.gather(*scheduler.in_flight.values())

    asyncio.run(sweep())
    assert probed == [7]
