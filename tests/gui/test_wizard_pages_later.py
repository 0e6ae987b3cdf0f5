"""The Sender wizard opens with its first page built and builds the others after it shows.

Issue 13: building all four pages at once stopped the UI for 20-25 ms. These tests check
what a person sees and can do while the later pages are not built yet: every page exists
from the start (Next says Next, the Register page is the commit page, Confirm the last),
each is built before it shows, and buttons on a page built later never take Return.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QPushButton, QWizard

from app.gui.wizard_base import FlowWizard
from app.gui.wizard_sender import PAGE_CONFIRM, PAGE_DISCOVER, PAGE_RECEIVE, PAGE_REGISTER
from tests.gui.helpers import WAIT_MS, go_next, open_sandbox_wizard


def _built(wizard: Any) -> dict[int, bool]:
    return {i: bool(wizard.page(i)._built) for i in wizard.pageIds()}


def test_every_page_exists_and_the_buttons_are_true_before_the_bodies(
    qtbot: Any, window: Any
) -> None:
    wizard = window.open_sender_wizard()
    # right after opening: four pages, the first built; Next (never Finish) on the first
    assert wizard.pageIds() == [PAGE_RECEIVE, PAGE_DISCOVER, PAGE_REGISTER, PAGE_CONFIRM]
    assert _built(wizard)[PAGE_RECEIVE]
    assert wizard.page(PAGE_REGISTER).isCommitPage()
    assert wizard.page(PAGE_CONFIRM).isFinalPage()
    assert wizard.page(PAGE_DISCOVER).title() == "Discover the partner"
    assert wizard.button(QWizard.WizardButton.NextButton).isVisible()
    assert not wizard.button(QWizard.WizardButton.FinishButton).isVisible()
    # the rest are built once the wizard shows, without anyone asking
    qtbot.waitUntil(lambda: all(_built(wizard).values()), timeout=WAIT_MS)
    forward = {
        wizard.button(b)
        for b in (
            QWizard.WizardButton.NextButton,
            QWizard.WizardButton.CommitButton,
            QWizard.WizardButton.FinishButton,
        )
    }
    late = [b.text() for b in wizard.findChildren(QPushButton) if b not in forward]
    assert "&Retry" in late and "&Export transcript…" in late
    offenders = [
        b.text() for b in wizard.findChildren(QPushButton) if b not in forward and b.autoDefault()
    ]
    assert not offenders, offenders
    wizard.reject()


def test_a_page_is_built_when_its_widgets_are_first_used(
    qtbot: Any, window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FlowWizard, "_build_one_page", lambda self: None)  # none built after
    wizard = window.open_sender_wizard()
    page = wizard.confirm_page
    assert not page._built
    assert page.partner_title.text() == ""  # the first use builds the body
    assert page._built
    assert page.status.parent() is not None
    wizard.reject()


def test_a_page_not_built_yet_is_built_before_it_shows(
    qtbot: Any, window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Next pressed before the later pages were built: each is built as it comes, works."""
    monkeypatch.setattr(FlowWizard, "_build_one_page", lambda self: None)
    wizard = open_sandbox_wizard(qtbot, window)
    assert not any(_built(wizard)[i] for i in (PAGE_DISCOVER, PAGE_REGISTER, PAGE_CONFIRM))
    go_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_DISCOVER
    discover = wizard.page(PAGE_DISCOVER)
    assert discover._built and discover.isVisible()
    qtbot.waitUntil(discover.isComplete, timeout=WAIT_MS)
    assert discover.modules.rowCount() >= 1
    go_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_REGISTER
    qtbot.waitUntil(wizard.register_page.isComplete, timeout=WAIT_MS)
    assert wizard.register_page.checklist.isVisible()
    go_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_CONFIRM
    assert wizard.confirm_page.partner_title.text() == "NL-SBX"
    wizard.reject()


def _spare(window: Any) -> Any:
    return getattr(window, "_sender_wizard_ahead", None)


def test_the_next_wizard_is_built_ahead_after_one_closes(qtbot: Any, window: Any) -> None:
    first = window.open_sender_wizard()
    assert _spare(window) is None  # nothing is built ahead before a wizard was used
    first.reject()
    qtbot.waitUntil(lambda: _spare(window) is not None, timeout=WAIT_MS)
    spare = _spare(window)
    qtbot.waitUntil(lambda: spare._steps is None, timeout=WAIT_MS)  # every step done
    assert not spare.isVisible()
    assert all(_built(spare).values())
    wizard = open_sandbox_wizard(qtbot, window)
    assert wizard is spare and window.sender_wizard is spare and _spare(window) is None
    assert wizard.isVisible() and wizard.currentId() == PAGE_RECEIVE
    assert "DE-ONB" in wizard.receive_page.identity_label.text()
    assert wizard.windowTitle() == "Onboard the sandbox partner — OCPI Onboard"
    go_next(qtbot, wizard)
    qtbot.waitUntil(wizard.discover_page.isComplete, timeout=WAIT_MS)
    wizard.reject()


def test_a_wizard_built_ahead_is_used_even_half_built(qtbot: Any, window: Any) -> None:
    window.open_sender_wizard().reject()
    qtbot.waitUntil(lambda: _spare(window) is not None, timeout=WAIT_MS)
    spare = _spare(window)
    wizard = window.open_sender_wizard()  # at once: its pages are added now
    assert wizard is spare
    assert wizard.pageIds() == [PAGE_RECEIVE, PAGE_DISCOVER, PAGE_REGISTER, PAGE_CONFIRM]
    assert wizard.button(QWizard.WizardButton.NextButton).isVisible()
    qtbot.waitUntil(lambda: all(_built(wizard).values()), timeout=WAIT_MS)
    wizard.reject()


def test_a_settings_change_the_receive_page_reads_once_drops_the_one_built_ahead(
    qtbot: Any, window: Any, controller: Any
) -> None:
    window.open_sender_wizard().reject()
    qtbot.waitUntil(lambda: _spare(window) is not None, timeout=WAIT_MS)
    spare = _spare(window)
    settings = controller.settings_copy()
    settings.callback_mode = "external"
    settings.own_versions_url = "https://ocpi.example.com/versions"
    controller.apply_settings(settings)
    wizard = window.open_sender_wizard()
    assert wizard is not spare
    assert wizard.receive_page.external_radio.isChecked()
    assert wizard.receive_page.own_url_edit.text() == "https://ocpi.example.com/versions"
    wizard.reject()


def test_a_wizard_being_built_ahead_stops_when_its_window_closes(
    qtbot: Any, window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.gui import wizard_sender

    monkeypatch.setattr(wizard_sender, "AHEAD_GAP_MS", 300)  # steps far apart
    window.open_sender_wizard().reject()
    qtbot.waitUntil(lambda: _spare(window) is not None, timeout=WAIT_MS)
    spare = _spare(window)
    assert spare._steps is not None  # still being built, a step per turn
    window.hide()
    qtbot.waitUntil(lambda: _spare(window) is None, timeout=WAIT_MS)
    assert spare._steps is None  # dropped: no step runs after its window closed


def test_the_first_wizard_of_a_session_is_built_ahead_once_the_start_settled(
    qtbot: Any, window: Any
) -> None:
    from app.gui.ahead import AFTER_MS, build_first_wizard_later
    from app.gui.heap import SETTLE_MS

    assert AFTER_MS > SETTLE_MS  # built after the heap is frozen: a closed one is collectable
    build_first_wizard_later(window, 0)
    qtbot.waitUntil(lambda: _spare(window) is not None, timeout=WAIT_MS)
    spare = _spare(window)
    qtbot.waitUntil(lambda: spare._steps is None, timeout=WAIT_MS)
    page = spare.receive_page  # built a card per step: every card is there
    assert page.partner_type.isEnabled() and page.callback_box is not None
    assert "DE-ONB" in page.identity_label.text()
    wizard = window.open_sender_wizard()
    assert wizard is spare and wizard.currentId() == PAGE_RECEIVE
    wizard.reject()


def test_no_first_wizard_is_built_ahead_while_one_is_open(qtbot: Any, window: Any) -> None:
    from app.gui.ahead import build_first_wizard_later

    wizard = window.open_sender_wizard()
    build_first_wizard_later(window, 0)
    qtbot.wait(50)
    assert _spare(window) is None  # the next is built when this one closes
    wizard.reject()
    qtbot.waitUntil(lambda: _spare(window) is not None, timeout=WAIT_MS)


def test_the_register_pages_checklist_is_made_with_the_page_not_on_next(
    qtbot: Any, window: Any
) -> None:
    """Its rows (18 labels) were made when Next reached the page, in the click's turn (a
    stall the person's click waits on, issue 13); the page built ahead has them, pending."""
    wizard = window.open_sender_wizard()
    qtbot.waitUntil(lambda: all(_built(wizard).values()), timeout=WAIT_MS)
    assert wizard.currentId() == PAGE_RECEIVE
    checklist = wizard.page(PAGE_REGISTER).checklist
    assert len(checklist._rows) == 6
    icons = [icon.text() for icon, _label, _detail in checklist._rows.values()]
    assert icons == ["○"] * 6  # all still to come
