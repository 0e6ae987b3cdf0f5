"""The liveness tick lists a long partner list a page per turn of the loop (issue 13).

Reading every registered partner and its latest runs at once was a 10-30 ms step of the
UI thread every 30 s with 2,000 partners. With more than WATCH_PAGE registered partners
the tick reads a page per turn (through the same `watched`, which leaves the sandbox out),
then probes: every registered partner still gets exactly one probe, and stopping (the
window closes) ends the listing.
"""

from __future__ import annotations

import time
from typing import Any

from app.engine.liveness import Alive
from app.gui import health_ops
from app.gui.health_ops import HealthOps
from app.vault import PartnerRecord, Vault


def add_registered(vault: Vault, count: int) -> list[int]:
    with vault.transaction():
        return [
            int(
                vault.save_partner(
                    PartnerRecord(
                        id=None,
                        country_code="NL",
                        party_id=f"{i:03X}",
                        versions_url="http://127.0.0.1:9/versions",
                        status="registered",
                    )
                ).id
                or 0
            )
            for i in range(count)
        ]


def fake_ops(controller: Any, probed: list[int]) -> HealthOps:
    ops = HealthOps(controller)
    ops.timer.stop()
    ops.is_online = lambda: True

    async def probe(pid: int) -> Alive:
        probed.append(pid)
        return Alive(time.time(), True)

    ops.liveness.probe = probe
    return ops


def test_a_long_list_is_read_in_pages_and_every_partner_probed_once(
    qtbot: Any, controller: Any, vault: Vault, monkeypatch: Any
) -> None:
    monkeypatch.setattr(health_ops, "WATCH_PAGE", 7)
    ids = add_registered(vault, 30)
    probed: list[int] = []
    ops = fake_ops(controller, probed)
    assert ops.tick() == []  # more than a page: listed over the next turns
    assert ops.listing
    assert ops.tick() == []  # a tick while listing starts nothing twice
    qtbot.waitUntil(lambda: not ops.listing and not ops.liveness.busy, timeout=5000)
    assert sorted(probed) == sorted(ids)


def test_a_short_list_is_probed_at_once(qtbot: Any, controller: Any, vault: Vault) -> None:
    ids = add_registered(vault, 3)
    probed: list[int] = []
    ops = fake_ops(controller, probed)
    assert ops.tick() == ids
    qtbot.waitUntil(lambda: not ops.liveness.busy, timeout=5000)
    assert sorted(probed) == sorted(ids)


def test_stop_ends_the_listing_before_any_probe(
    qtbot: Any, controller: Any, vault: Vault, monkeypatch: Any
) -> None:
    monkeypatch.setattr(health_ops, "WATCH_PAGE", 5)
    add_registered(vault, 20)
    probed: list[int] = []
    ops = fake_ops(controller, probed)
    ops.tick()
    ops.stop()
    qtbot.wait(50)
    assert not ops.listing and probed == [] and not ops.liveness.busy
