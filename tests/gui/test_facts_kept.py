"""A partner's connection facts are kept while they read the same (issue 13, target 4).

A liveness sweep judges every partner; each judgement made new facts for the list (with a
list of open drift each), equal to the old ones: at 2,000 partners ~4,000 objects more for
the full garbage collection after the sweep to walk. Real window, real vault."""

from __future__ import annotations

from typing import Any

from app.vault import Vault
from tests.gui.helpers import add_partners


def refreshed(window: Any, controller: Any, partner_id: int) -> Any:
    controller.partner_touched(partner_id)
    window._touch_timer.stop()
    window._refresh_touched(now=True)  # the touch's turn, as the timer runs it
    return window.model.connection_facts[partner_id]


def test_a_touched_partner_with_nothing_new_keeps_its_facts_and_new_ones_replace_them(
    qtbot: Any, window: Any, controller: Any, vault: Vault
) -> None:
    partners = add_partners(vault, 5, "registered")
    window.reload_partners()
    target = partners[2].id
    assert target is not None
    before = window.model.connection_facts[target]
    assert refreshed(window, controller, target) is before  # read again, the same: kept
    with vault.transaction():  # a verify's stored report: the facts change
        run = vault.start_run("check", target, data={"op": "verify"})
        vault.update_run(run.id, data={"report": {"checks": [], "summary": {"pass": 0}}})
    after = refreshed(window, controller, target)
    assert after is not before and after.verify_run_id == run.id
