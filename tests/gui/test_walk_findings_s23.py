"""Small wrong things seen walking the real app by keyboard (session 23, Xvfb 1024x700).

- The Health tab's drift table wrapped an endpoint URL over five lines or more at 1024 px
  (Before and After, 70 px columns each, "locations" split inside the word), and the
  Endpoints tab cut every URL at the right, where the module's path is: all rows read
  "http://127.0.0.1:port/ocpi/2.3.0/…". The drift's two URLs now share one column, one
  above the other, each below the partner's own base ("…/2.3.0/locations",
  "→ …/2.3.0/v2/locations"), three lines at most (elided in the middle past them); the
  Endpoints tab elides in the middle; both show the whole URL on hover, and Ctrl+C copies
  the selected rows whole. (Ctrl+C anywhere in the window
  copied the log's lines instead: the log's Copy shortcut was window-wide.)
- Another partner selected kept the detail's scroll offset: it was shown from the middle of
  a banner, its name and status above, out of sight.
- Alt+L (the Health tab) at 1024x700 with a banner switched to a tab entirely below the
  detail's fold: nothing seemed to happen.
- Alt+R (Reveal) with a token selected showed its value below the detail's fold, out of
  sight for its 30 s (a button's letter clicks it where it is): what Reveal and Copy say
  now comes into view. Hidden again, its note went on saying "Shown for 30 s.".
- Letters two visible widgets of the window shared did neither: Alt+F (the File menu and a
  failed row's Forget…), Alt+V (the View menu and the audit pane's Verify trail), Alt+H (the
  Help menu and Hide, a token revealed), Alt+M (Suspected compromise… and Resume).
- Tab stopped on the partner's detail (its scroll area) with no sign of the focus, and on
  a token field's Show button with none either.
- View > Audit trail (Ctrl+Shift+A) showed the audit pane behind the log's tab: nothing
  seemed to happen.
- A log line cut at the pane's edge ("Drift: endpoint locations (SENDER) moved: ht…") could
  not be read whole anywhere: its details said "An event of the run: no headers or bodies".
  The details start with the line whole.
- Selecting a log line with a diagnosis grew the log pane for good (its banner did not fit),
  and the partners list above it shrank to a few rows.
- Partner > Rotate credentials asks first, and its menu item did not say so ("…"), as
  Unregister… and Suspected compromise… do.
- Settings (Ctrl+,) opened with the focus on its tabs, drawn as if nothing had it: the first
  letters typed went nowhere. The country code takes them now.
- Escape in the partners search did nothing: only the mouse's (x) cleared it.
- Once registered, the Register page (and Invite's Wait page) still offered "Cancel", which
  reads as if it undid the registration; it closes the wizard and the partner stays
  registered. It says "Close" then.
- In the Export dialog, Tab into the formats landed on HAR, unchecked, with HTML checked:
  Down from there went to HTML, not to the format below the checked one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFontMetrics, QGuiApplication, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QScrollArea,
    QStyleOptionViewItem,
    QTabBar,
    QTableWidget,
    QWidget,
    QWizard,
)

from app.gui.health_tab import CHANGED, LINE_BREAK, URL_LINES
from app.vault import Vault
from app.vault.snapshots import Observation, Snapshots
from tests.gui.helpers import (
    WAIT_MS,
    activate,
    add_partners,
    app_style_sheet,
    go_next,
    open_sandbox_wizard,
    press,
    run_sender_wizard,
)
from tests.gui.test_health_ui import _registered
from tests.gui.test_row_actions import answer_box
from tests.gui.test_walk_findings_s22 import _tab_into_the_list

SIZE = (1024, 700)


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[None]:
    """The app's style sheet, set before the window is built (as the app does)."""
    with app_style_sheet(qapp):
        yield


def _look(widget: QWidget) -> QImage:
    QApplication.processEvents()
    return widget.grab().toImage()


def _height(table: QTableWidget, row: int, column: int) -> int:
    """The height the cell's delegate asks for its text at the cell's width now."""
    index = table.model().index(row, column)
    option = QStyleOptionViewItem()
    table.initViewItemOption(option)
    option.rect = table.visualRect(index)
    return table.itemDelegateForIndex(index).sizeHint(option, index).height()


def _copied(qtbot: Any, table: QTableWidget, row: int) -> str:
    """Click the row, press Ctrl+C: what the clipboard holds then."""
    QGuiApplication.clipboard().clear()
    rect = table.visualRect(table.model().index(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert table.hasFocus()
    press(Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    return QGuiApplication.clipboard().text()


def test_a_moved_endpoint_reads_short_whole_on_hover_and_copies_whole(
    themed: None, qtbot: Any, window: Any, controller: Any
) -> None:
    window.resize(*SIZE)
    pid = _registered(qtbot, window, controller, "drift-endpoint")
    partner = window.selected_partner()
    base = partner.versions_url.rsplit("/", 1)[0]  # http://127.0.0.1:port/ocpi
    activate(qtbot, window)
    with qtbot.waitSignal(controller.operationFinished, timeout=WAIT_MS):
        press(Qt.Key.Key_F5)  # Check connection: the partner has moved its locations
    tab = window.health_ui.tab
    drift = tab.drift

    def moved_row() -> int:
        for row in range(drift.rowCount()):
            item = drift.item(row, 2)
            if item is not None and item.text() == "endpoint locations (SENDER) moved":
                return row
        return -1

    qtbot.waitUntil(lambda: moved_row() >= 0, timeout=WAIT_MS)
    press(Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)  # Hea&lth
    assert window.partner_view.tabs.currentWidget() is tab
    qtbot.waitUntil(lambda: drift.isVisible() and not drift.fitting(), timeout=5000)
    row = moved_row()
    cell = drift.item(row, CHANGED)
    assert cell.text() == "…/2.3.0/locations\n→ …/2.3.0/v2/locations"
    was, now = f"{base}/2.3.0/locations", f"{base}/2.3.0/v2/locations"
    assert cell.toolTip() == f"Before: {was}\nAfter: {now}"
    # each took five lines or more, "locations" split inside the word; the change
    # ("endpoint / locations / (SENDER) / moved", four lines) is as tall as both now
    assert _height(drift, row, CHANGED) <= _height(drift, row, 2)
    _no_word_split(drift)
    assert window.selected_partner().id == pid
    copied = _copied(qtbot, drift, row)
    assert f"endpoint locations (SENDER) moved\t{was} → {now}" in copied
    # accepted: three rows, a scroll bar beside them, a narrower column: still whole
    press(Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)  # &Accept drift
    qtbot.waitUntil(lambda: drift.rowCount() >= 3 and not drift.fitting(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: drift.verticalScrollBar().isVisible(), timeout=5000)
    _no_word_split(drift)


def _no_word_split(drift: QTableWidget) -> None:
    """Every Before → after cell shows its text whole, each path segment on one line."""
    urls = drift.itemDelegateForColumn(CHANGED)
    for row in range(drift.rowCount()):
        index = drift.model().index(row, CHANGED)
        lines = urls.lines(drift, index)
        assert "".join(lines) == index.data().replace("\n", LINE_BREAK), lines
        for segment in index.data().replace("\n", "/").replace(" ", "/").split("/"):
            assert any(segment in line for line in lines), (segment, lines)


def test_a_url_on_another_host_is_elided_in_the_middle_past_three_lines(
    qtbot: Any, window: Any, controller: Any
) -> None:
    """A URL that is not below the partner's base is shown whole up to URL_LINES lines,
    then elided in the middle: both ends show, the tooltip has it whole."""
    window.resize(*SIZE)
    _registered(qtbot, window, controller)
    partner = window.selected_partner()
    far = "https://ocpi-gateway.eu-central-1.partner-platform.example.com/cpo/2.3.0/locations"
    moved = {"what": "endpoint locations (SENDER) moved", "before": partner.versions_url}
    Snapshots(controller.vault).record(
        partner.id, "check", Observation(), baseline=False, drift=[{**moved, "after": far}]
    )
    window.partner_view.refresh()
    tab = window.health_ui.tab
    activate(qtbot, window)
    press(Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: tab.drift.isVisible() and not tab.drift.fitting(), timeout=5000)
    cell = tab.drift.item(0, CHANGED)
    assert cell.text() == f"…/versions\n→ {far}"
    assert cell.toolTip() == f"Before: {partner.versions_url}\nAfter: {far}"
    lines = tab.drift.itemDelegateForColumn(CHANGED).lines(tab.drift, tab.drift.model().index(0, 3))
    assert lines[0] == f"…/versions{LINE_BREAK}"
    shown = "".join(lines[1:])
    assert len(lines) - 1 <= URL_LINES and "…" in shown  # it took six lines whole
    assert shown.startswith("→ https://ocpi-") and shown.endswith("/locations")
    assert far in _copied(qtbot, tab.drift, 0)


def test_the_endpoints_tab_shows_both_ends_of_a_url_and_copies_it_whole(
    qtbot: Any, window: Any, controller: Any
) -> None:
    window.resize(*SIZE)
    _registered(qtbot, window, controller)
    partner = window.selected_partner()
    activate(qtbot, window)
    press(Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)  # E&ndpoints
    table = window.partner_view.endpoints
    assert window.partner_view.tabs.currentWidget() is table
    urls = {str(e["identifier"]): str(e["url"]) for e in partner.endpoints}
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "locations")
    cell = table.item(row, 2)
    assert cell.toolTip() == urls["locations"]
    # narrower than the URL at 1024 px, each cell showed the same first part,
    # "http://127.0.0.1:port/ocpi/2.3.0/…": the cells of two modules look alike no more
    mono = QFontMetrics(cell.font())  # the URLs' own (fixed-width) font
    assert table.columnWidth(2) < mono.horizontalAdvance(urls["locations"])
    sessions = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "sessions")
    shown = _look(table.viewport())
    cells = [shown.copy(table.visualRect(table.model().index(r, 2))) for r in (row, sessions)]
    assert cells[0] != cells[1]
    assert _copied(qtbot, table, row) == f"locations\tSENDER\t{urls['locations']}"
    assert QApplication.focusWidget() is table


def _detail(window: Any) -> QScrollArea:
    """The partner's detail: the scroll area that holds it."""
    scroll = window.partner_view.stack.currentWidget()
    assert isinstance(scroll, QScrollArea)
    return scroll


def _two_partners_first_selected(qtbot: Any, window: Any, vault: Vault) -> Any:
    """Two partners listed at 1024x700, the first selected by keys: the detail's scroll bar."""
    window.resize(*SIZE)
    add_partners(vault, 2)
    window.reload_partners()
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 2, timeout=5000)
    _tab_into_the_list(qtbot, window)
    press(Qt.Key.Key_Down)
    assert window.selected_partner() is not None
    bar = _detail(window).verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=5000)  # taller than its room
    return bar


def test_another_partner_is_shown_from_its_head(
    themed: None, qtbot: Any, window: Any, vault: Vault
) -> None:
    bar = _two_partners_first_selected(qtbot, window, vault)
    first = window.selected_partner().id
    scroll = _detail(window)
    unfocused = _look(scroll)
    press(Qt.Key.Key_Tab)  # from the list into the detail: a stop you can see
    assert QApplication.focusWidget() is scroll
    assert _look(scroll) != unfocused
    press(Qt.Key.Key_PageDown)
    assert bar.value() > 0
    press(Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is window.table
    press(Qt.Key.Key_Down)
    assert window.selected_partner().id != first
    assert bar.value() == 0  # the next partner from its name down


def test_a_tab_picked_by_its_letter_comes_into_view(qtbot: Any, window: Any, vault: Vault) -> None:
    bar = _two_partners_first_selected(qtbot, window, vault)
    view = window.partner_view
    assert bar.value() == 0
    tabs_top = view.tabs.mapTo(_detail(window).widget(), QPoint(0, 0)).y()
    below = tabs_top + view.tabs.height() - _detail(window).viewport().height()
    assert below > 0  # part of the tabs is under the fold
    press(Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)  # Hea&lth
    assert view.tabs.currentWidget() is window.health_ui.tab
    assert bar.value() == min(tabs_top, bar.maximum())  # the tab's bar at the top
    press(Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)  # again: it stays
    assert bar.value() == min(tabs_top, bar.maximum())


def test_the_show_button_of_a_token_field_shows_its_focus(
    themed: None, qtbot: Any, window: Any
) -> None:
    wizard = open_sandbox_wizard(qtbot, window)
    page = wizard.receive_page
    activate(qtbot, wizard)
    page.url_edit.setFocus()
    press(Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is page.token.edit
    toggle = page.token.toggle
    unfocused = _look(toggle)
    press(Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is toggle
    assert _look(toggle) != unfocused
    wizard.reject()


def test_view_audit_trail_brings_the_audit_pane_to_the_front(qtbot: Any, window: Any) -> None:
    window.resize(*SIZE)
    activate(qtbot, window)
    assert window.log_pane.isVisible() and not window.audit_pane.isVisible()
    press(Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.audit_action.isChecked()
    # in front (Qt parks a pane behind its tab outside the window: nothing of it shows)
    qtbot.waitUntil(lambda: _on_screen(window.audit_pane), timeout=2000)
    assert not _on_screen(window.log_pane)
    # the log, open behind the audit's tab, comes to the front (it was hidden: press twice)
    press(Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: _on_screen(window.log_pane), timeout=2000)
    assert not _on_screen(window.audit_pane)


def _on_screen(widget: QWidget) -> bool:
    """Some of `widget` shows in its window."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


def test_every_tab_stop_of_the_window_is_on_screen(qtbot: Any, window: Any, vault: Vault) -> None:
    """Tab walks the window round: it stopped on the partner's detail with no sign of it
    (now framed: see above) and on a tab bar Qt parks outside the window."""
    _two_partners_first_selected(qtbot, window, vault)
    assert window.partner_view.built  # the detail, with its tabs

    def parked_bars_take_tab() -> bool:  # Qt's tab bar for the Log | Audit panes
        bars = window.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly)
        return any(bar.focusPolicy() != Qt.FocusPolicy.NoFocus for bar in bars)

    qtbot.waitUntil(lambda: not parked_bars_take_tab(), timeout=5000)  # once the start is over
    press(Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    start = QApplication.focusWidget()
    stops = []
    for _ in range(40):
        press(Qt.Key.Key_Tab)
        widget = QApplication.focusWidget()
        if widget is start:
            break
        stops.append(widget)
    assert QApplication.focusWidget() is start  # round the window and back
    hidden = [f"{type(w).__name__} {w.accessibleName()}" for w in stops if not _on_screen(w)]
    assert not hidden
    assert _detail(window) in stops and window.log_pane.table in stops


def test_tab_into_the_export_formats_lands_on_the_checked_one(
    qtbot: Any, window: Any, controller: Any
) -> None:
    _registered(qtbot, window, controller)
    activate(qtbot, window)
    press(Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)  # Export transcript…
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None, timeout=5000)
    dialog = QApplication.activeModalWidget()
    assert dialog.fmt() == "html"
    dialog.run_combo.setFocus()
    press(Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.format_buttons["html"]
    press(Qt.Key.Key_Down)  # the format below the checked one
    assert dialog.fmt() == "md" and dialog.path_edit.text().endswith(".md")
    press(Qt.Key.Key_Tab)
    press(Qt.Key.Key_Backtab)  # back into the formats: the one now checked
    assert QApplication.focusWidget() is dialog.format_buttons["md"]
    with qtbot.waitSignal(dialog.rejected, timeout=2000):
        press(Qt.Key.Key_Escape)


def test_a_line_with_a_diagnosis_leaves_the_log_pane_its_height(qtbot: Any, window: Any) -> None:
    window.resize(*SIZE)
    wizard = run_sender_wizard(qtbot, window, "no-callback")  # discovery incomplete: a warning
    wizard.reject()
    pane = window.log_pane
    activate(qtbot, window)
    qtbot.waitUntil(lambda: pane.proxy.rowCount() > 0, timeout=5000)
    QApplication.processEvents()
    heights = (pane.height(), window.table.height())
    pane.table.setFocus()
    for _ in range(pane.proxy.rowCount()):  # Down line by line to the first with a diagnosis
        press(Qt.Key.Key_Down)
        if pane.explain.isVisibleTo(pane):
            break
    assert pane.explain.isVisibleTo(pane), "no line with a diagnosis"
    qtbot.wait(50)  # the window's layout has run: the pane grew 20 px here, the list shrank
    assert (pane.height(), window.table.height()) == heights


def test_rotate_credentials_says_it_asks_first(qtbot: Any, window: Any, controller: Any) -> None:
    _registered(qtbot, window, controller)
    activate(qtbot, window)
    seen: list[str] = []
    answer_box(qtbot, "Cancel", seen)
    press(Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen[0].startswith("Rotate credentials\n")  # a question before anything is sent
    assert window.rotate_action.text() == "&Rotate credentials…"
    assert window.rotate_action.iconText() == "Rotate"  # the toolbar's short label


def test_a_log_line_cut_at_the_edge_reads_whole_in_its_details(
    qtbot: Any, window: Any, controller: Any
) -> None:
    window.resize(*SIZE)
    _registered(qtbot, window, controller, "drift-endpoint")
    base = window.selected_partner().versions_url.rsplit("/", 1)[0]
    activate(qtbot, window)
    with qtbot.waitSignal(controller.operationFinished, timeout=WAIT_MS):
        press(Qt.Key.Key_F5)  # Check connection: the drift is a line of the check's log
    pane = window.log_pane
    pane.table.setFocus()
    for _ in range(pane.proxy.rowCount()):
        press(Qt.Key.Key_Down)
        if pane.details.toPlainText().startswith("Drift:"):
            break
    said = pane.details.toPlainText()
    assert said.startswith("Drift: endpoint locations (SENDER) moved"), said
    assert f"{base}/2.3.0/locations" in said and f"{base}/2.3.0/v2/locations" in said


def test_settings_open_ready_to_type_our_country_code(qtbot: Any, window: Any) -> None:
    activate(qtbot, window)
    press(Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)  # Settings…
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None, timeout=5000)
    dialog = QApplication.activeModalWidget()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=2000)
    press(Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(QApplication.focusWidget(), "BE")
    assert dialog.country.text() == "BE"
    with qtbot.waitSignal(dialog.rejected, timeout=2000):
        press(Qt.Key.Key_Escape)


def _in_view(scroll: QScrollArea, widget: QWidget) -> bool:
    """`widget` lies wholly inside the scroll area's visible part."""
    top_left = widget.mapTo(scroll.viewport(), QPoint(0, 0))
    return scroll.viewport().rect().contains(widget.rect().translated(top_left))


def test_a_detail_button_pressed_by_its_letter_comes_into_view(
    themed: None, qtbot: Any, window: Any, controller: Any
) -> None:
    window.resize(*SIZE)
    _registered(qtbot, window, controller)
    view = window.partner_view
    scroll = _detail(window)
    activate(qtbot, window)
    view.credentials.setFocus()
    press(Qt.Key.Key_Down)  # the first token, TOKEN_C
    assert view.selected_credential() is not None
    assert not _in_view(scroll, view.reveal_button)  # below the fold at 1024x700
    press(Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)  # &Reveal (an animated click)
    qtbot.waitUntil(view.revealed.isVisible, timeout=2000)
    assert view.revealed.text()
    qtbot.waitUntil(lambda: _in_view(scroll, view.revealed), timeout=2000)
    assert _in_view(scroll, view.reveal_button) and _in_view(scroll, view.note)
    assert view.note.text() == "Shown for 30 s."
    press(Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)  # Hi&de (Alt+H: the Help menu)
    qtbot.waitUntil(lambda: not view.revealed.isVisible(), timeout=2000)
    assert "Shown" not in view.note.text()  # it said "Shown for 30 s." on, nothing shown


def _shared_letters(window: Any) -> dict[str, list[str]]:
    """The Alt+letters that more than one visible widget of the window answers to."""
    owners: dict[str, list[str]] = {}

    def add(text: str, who: str) -> None:
        found = re.search(r"&([^&])", text.replace("&&", ""))
        if found:
            owners.setdefault(found.group(1).lower(), []).append(f"{who} {text!r}")

    for button in window.findChildren(QAbstractButton):
        if button.isVisible() and not button.visibleRegion().isEmpty():
            add(button.text(), type(button).__name__)
    for label in window.findChildren(QLabel):
        if label.isVisible() and label.buddy() is not None:
            add(label.text(), "label")
    for bar in window.findChildren(QTabBar):
        if bar.isVisible() and not bar.visibleRegion().isEmpty():
            for tab in range(bar.count()):
                add(bar.tabText(tab), "tab")
    for action in window.menuBar().actions():
        add(action.text(), "menu")
    return {letter: who for letter, who in owners.items() if len(who) > 1}


def test_no_two_visible_widgets_share_a_letter(qtbot: Any, window: Any, controller: Any) -> None:
    window.resize(*SIZE)
    _registered(qtbot, window, controller)
    activate(qtbot, window)
    press(Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: _on_screen(window.audit_pane), timeout=2000)  # Verify trail
    view = window.partner_view
    view.credentials.setFocus()
    press(Qt.Key.Key_Down)
    press(Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)  # &Reveal: the button reads Hide
    qtbot.waitUntil(view.revealed.isVisible, timeout=2000)
    assert not _shared_letters(window)
    press(Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)  # the Health tab
    assert not _shared_letters(window)


def test_a_failed_rows_forget_leaves_alt_f_to_the_file_menu(qtbot: Any, window: Any) -> None:
    window.resize(*SIZE)
    wizard = run_sender_wizard(qtbot, window, "callback-with-token-a")  # registration fails
    partner_id = wizard.sender_flow._reg.partner_id
    wizard.reject()
    qtbot.waitUntil(lambda: window.select_partner(partner_id), timeout=WAIT_MS)
    view = window.partner_view
    qtbot.waitUntil(view.forget_button.isVisible, timeout=5000)  # Retry…, Forget…
    activate(qtbot, window)
    press(Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)  # the Health tab too
    assert not _shared_letters(window)
    press(Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)  # the File menu opens
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is not None, timeout=2000)
    press(Qt.Key.Key_Escape)
    # Resume shows beside the Health tab's Suspected co&mpromise… for a row stopped mid-way
    assert "&m" not in view.resume_button.text().lower()


def test_escape_clears_the_partners_search(qtbot: Any, window: Any, vault: Vault) -> None:
    add_partners(vault, 2)
    window.reload_partners()
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 2, timeout=5000)
    activate(qtbot, window)
    press(Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(window.search, "zzz")
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 0, timeout=5000)
    press(Qt.Key.Key_Escape)
    assert window.search.text() == ""
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 2, timeout=5000)
    assert QApplication.focusWidget() is window.search


def test_once_registered_the_wizard_offers_close_not_cancel(
    qtbot: Any, window: Any, controller: Any
) -> None:
    wizard = run_sender_wizard(qtbot, window)  # ends on Register, registered
    partner_id = wizard.sender_flow.result.partner_id
    cancel = wizard.button(QWizard.WizardButton.CancelButton)
    assert cancel.isVisible() and cancel.text() == "Close" and cancel.accessibleName() == "Close"
    activate(qtbot, wizard)
    with qtbot.waitSignal(wizard.rejected, timeout=5000):
        press(Qt.Key.Key_Escape)
    assert controller.partner(partner_id).status == "registered"  # nothing was undone


def test_invite_once_registered_offers_close(qtbot: Any, window: Any) -> None:
    wizard = window.open_invite_wizard()
    qtbot.waitUntil(wizard.issue_page.isComplete, timeout=WAIT_MS)
    cancel = wizard.button(QWizard.WizardButton.CancelButton)
    assert cancel.text() == "Cancel"  # an invitation not answered yet can be withdrawn
    go_next(qtbot, wizard)
    qtbot.mouseClick(wizard.wait_page.demo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(wizard.wait_page.isComplete, timeout=WAIT_MS)
    assert cancel.text() == "Close"
    wizard.reject()
