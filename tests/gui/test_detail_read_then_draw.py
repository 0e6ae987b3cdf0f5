"""The detail's background refresh reads on one turn of the loop and draws on the next.

Issue 13 (UI stalls): during a handshake the worst stall was one refresh of the selected
partner's detail (its vault reads, then its widgets) with the repaint that followed it in
the same turn. `refresh_soon` now reads the partner, its health, its tokens and its runs
on its turn and draws them on the next. These tests prove that what it draws is what a
fresh show of the partner draws, that the read's turn changes nothing on screen, and that
a selection or a newer request in between wins over that read. Turns are counted, not timed.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.core.tokens import Secret, TokenRole, generate_token
from app.gui.partner_view import PartnerView
from app.vault import Direction, PartnerRecord, TokenState, Vault
from tests.gui.helpers import add_partners
from tests.gui.test_detail_refresh_once import settled


def drawn_once_as(view: PartnerView, before: int, partner_id: int, subtitle: str) -> None:
    """One draw since `before`, of the partner `partner_id`, read afresh (its subtitle)."""
    assert view.shown == before + 1
    assert view.partner is not None and view.partner.id == partner_id
    assert view.subtitle.text() == subtitle


def selected(qtbot: Any, window: Any, vault: Vault) -> tuple[PartnerRecord, PartnerRecord]:
    partners = add_partners(vault, 4, "pending")
    window.reload_partners()
    target, other = partners[2], partners[1]
    assert target.id is not None and window.select_partner(target.id)
    qtbot.waitUntil(lambda: settled(window), timeout=5000)
    return target, other


def until_read(view: PartnerView) -> None:
    """Turn the loop until the refresh has read and not drawn yet: the zero timer that
    draws stays active until a turn delivers it, so the first state seen is still owed."""
    deadline = time.monotonic() + 5
    while view._read is None:
        assert time.monotonic() < deadline, "the refresh never read"
        QApplication.processEvents()


def shown(view: PartnerView) -> dict[str, object]:
    """Everything the detail's head and tables say."""
    model = view.credentials_model
    return {
        "title": view.title.text(),
        "subtitle": view.subtitle.text(),
        "status": view.status_pill.text(),
        "health": (view.health_banner.isVisibleTo(view), view.health_banner.title.text()),
        "tokens": [
            [str(model.index(r, c).data()) for c in range(model.columnCount())]
            for r in range(model.rowCount())
        ],
        "history": [
            [view.history.item(r, c).text() for c in range(view.history.columnCount())]
            for r in range(view.history.rowCount())
        ],
        "endpoints": [
            [view.endpoints.item(r, c).text() for c in range(view.endpoints.columnCount())]
            for r in range(view.endpoints.rowCount())
        ],
    }


def test_a_refresh_after_run_events_shows_what_a_fresh_show_shows(
    qtbot: Any, window: Any, controller: Any, vault: Vault
) -> None:
    target, _other = selected(qtbot, window, vault)
    assert target.id is not None
    view = window.partner_view
    before = view.shown
    # a registration's events: the partner named and registered, a token, a run that ends
    run = vault.start_run("register", target.id)
    vault.add_token(
        target.id, TokenRole.C, Direction.OUTBOUND, Secret(generate_token()), TokenState.ACTIVE
    )
    vault.save_partner(replace(target, business_name="Registered Charging", status="registered"))
    vault.update_run(run.id, state="done", outcome="succeeded")
    for _ in range(3):
        controller.partner_touched(target.id)
    qtbot.waitUntil(lambda: settled(window), timeout=5000)
    assert view.shown == before + 1
    fresh = PartnerView(controller, window.clipboard)
    qtbot.addWidget(fresh)
    fresh.show_partner(target.id)
    assert shown(view) == shown(fresh)
    assert view.subtitle.text() == "Registered Charging"
    assert view.status_pill.text().startswith("Registered")
    assert len(shown(view)["tokens"]) == 1 and len(shown(view)["history"]) == 1
    assert [r.id for r in view.runs()] == [run.id]


def test_the_reads_turn_changes_nothing_on_screen_and_the_next_draws_it(
    qtbot: Any, window: Any, controller: Any, vault: Vault
) -> None:
    target, _other = selected(qtbot, window, vault)
    view = window.partner_view
    before = view.shown
    vault.save_partner(replace(target, business_name="Renamed Charging"))
    view.refresh_soon()
    until_read(view)
    assert view.subtitle.text() == "Company 2" and view.shown == before
    assert view.refresh_pending()  # still owed: settled() waits for the draw
    qtbot.waitUntil(lambda: not view.refresh_pending(), timeout=5000)
    assert view.subtitle.text() == "Renamed Charging" and view.shown == before + 1


def test_a_selection_between_the_read_and_the_draw_wins(
    qtbot: Any, window: Any, controller: Any, vault: Vault
) -> None:
    """Never the read partner's tables under the chosen partner's head."""
    target, other = selected(qtbot, window, vault)
    assert other.id is not None
    view = window.partner_view
    vault.save_partner(replace(target, business_name="Renamed Charging"))
    view.refresh_soon()
    until_read(view)
    before = view.shown
    assert window.select_partner(other.id)  # the person picks another row meanwhile
    assert not view.refresh_pending()  # the read is dropped with the draw it owed
    qtbot.waitUntil(lambda: settled(window), timeout=5000)
    drawn_once_as(view, before, other.id, "Company 1")


def test_a_newer_request_between_the_read_and_the_draw_reads_again(
    qtbot: Any, window: Any, controller: Any, vault: Vault
) -> None:
    """A re-registration hands the selection over after the refresh read the old row:
    the new partner is read and drawn, never the old read (nor the old partner again)."""
    target, other = selected(qtbot, window, vault)
    assert other.id is not None
    view = window.partner_view
    view.refresh_soon()
    until_read(view)
    assert view._read is not None and view._read.partner_id == target.id
    before = view.shown
    view.show_partner_soon(other.id)
    assert view._read is None and view.refresh_pending()
    qtbot.waitUntil(lambda: not view.refresh_pending(), timeout=5000)
    drawn_once_as(view, before, other.id, "Company 1")


def test_a_draw_owed_when_the_vault_closes_is_dropped(
    qtbot: Any, window: Any, controller: Any, vault: Vault
) -> None:
    _target, _other = selected(qtbot, window, vault)
    view = window.partner_view
    before = view.shown
    view.refresh_soon()
    until_read(view)
    vault.close()
    qtbot.waitUntil(lambda: not view.refresh_pending(), timeout=5000)
    assert view.shown == before  # nothing drawn for a locked or closed vault


def test_hidden_tabs_are_filled_a_turn_later_but_never_seen_holding_the_last_partner(
    qtbot: Any, window: Any, controller: Any, vault: Vault
) -> None:
    """The draw fills the head, the token table and the tab in view; the endpoints,
    history, profile and Health tabs, hidden, on the next turn, or at once when one
    comes into view or the history's selection is asked (Export)."""
    target, other = selected(qtbot, window, vault)
    assert target.id is not None and other.id is not None
    old_run = vault.start_run("register", target.id)
    new_run = vault.start_run("register", other.id)
    moved = [{"identifier": "locations", "role": "SENDER", "url": "http://127.0.0.1:9/loc"}]
    vault.save_partner(replace(other, endpoints=moved))
    view = window.partner_view
    view.refresh()
    view.history.selectRow(0)
    assert view.selected_run() == old_run.id
    view.show_partner_soon(other.id)  # the selection a re-registration hands over
    until_read(view)
    view._on_draw_timer_timeout()  # the draw's turn, delivered here
    assert view.partner is not None and view.partner.id == other.id
    health_tab = window.health_ui.tab
    assert set(view._owed) == {view.endpoints, view.history, view.profile_view, health_tab}
    assert view.refresh_pending()  # settled() waits for them too
    assert [r.id for r in view.runs()] == [new_run.id]  # the actions read these now
    assert view.selected_run() in (None, new_run.id)  # never the last partner's run
    assert view.history.item(0, 0) is not None and view.history.rowCount() == 1
    bar = view.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())
    assert view.tabs.currentWidget() is view.endpoints
    assert view.endpoints.item(0, 2).text() == "http://127.0.0.1:9/loc"  # before its paint
    assert set(view._owed) == {view.profile_view, health_tab}
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(4).center())
    assert view.tabs.currentWidget() is health_tab  # the Health tab, of this partner
    assert health_tab._partner is not None and health_tab._partner.id == other.id
    assert set(view._owed) == {view.profile_view}
    qtbot.waitUntil(lambda: not view.refresh_pending(), timeout=5000)
    fresh = PartnerView(controller, window.clipboard)
    qtbot.addWidget(fresh)
    fresh.show_partner(other.id)
    assert shown(view) == shown(fresh)
