"""Small wrong things seen walking the real app by keyboard (session 24, Xvfb 1024x700).

- A partner with no business name yet (an invitation, cancelled or open) showed a blank
  line under "Partner #2" in the detail's head: the empty subtitle still took its line
  and the layout's spacing. It is hidden when it has nothing to say.
- The drift advice "(Accept drift, or check --accept-drift)" wrapped inside the CLI flag
  in its banner ("check --" / "accept-drift", or "--accept-" / "drift"): Qt breaks a line
  after any hyphen. The command is unbreakable now (non-breaking space and hyphens).
- An invitation's first log line ("Invited a partner: TOKEN_A …") was shown in the log
  pane but never stored in its run's transcript: the recorder buffers entries until the
  run's next state, and an invitation has none until the partner registers; a cancelled
  (or timed-out: tests/engine/test_rows.py) invitation ended with the line still in the
  buffer. Selecting the row later showed an empty log, and the export held nothing.
- End in the partners list (and the log, the token and audit tables) went to the last
  column, not the last row: the list scrolled sideways, its Health cells cut, and the
  selection stayed. Home and End go to the first and the last row, as in any list.
- Settings' spin boxes (our port, the two timeouts) drew their step buttons as two blank
  boxes under the app's style sheet: no arrows. They have the combo's chevrons now.
- Help > About said tokens are "shown only as fingerprints", while Reveal and Copy (the
  partner's detail, the Invite wizard) give a token's value: it says so now.
- The partners list's Health column (shown first) kept Qt's default 100 px: a row with no
  connection read "not register…". It is as wide as "not registered".
- The Onboard wizard with a partner elsewhere (https://partner.example.com/…) and our
  embedded endpoint on 127.0.0.1 said "The partner calls http://127.0.0.1:…" and nothing
  else: the partner's calls back during the registration cannot arrive (only verify said
  so, after TOKEN_A was spent; the Invite wizard says it of its own URL). A warning says
  it under our endpoint now, before anything is sent.
- View > Log (Ctrl+L) with the audit trail in front closed the log, unseen behind its tab:
  nothing seemed to happen (the panes' tab bars take no focus, so the View actions are the
  keyboard's way to a pane). A pane open behind the other's tab comes to the front.
- Forget on a row with no token left to retire (a cancelled invitation) asked "Forget #5?
  nothing is sent to the partner." — a sentence begun in lower case.
- An outcome banner (a rotation that failed, "Connection OK") is shown at the top of the
  partner's detail: asked from the Health tab (Alt+L scrolls the detail to it at
  1024x700), it appeared above the fold, unseen. It comes into view now.
- Rotate and Suspected compromise of a sandbox partner whose sandbox is gone said "Could not
  connect to 127.0.0.1:…; check the host name and port, the firewall…", while the row's own
  banner said the sandbox is not running: they say so now, as Check and Verify do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QTextDocument
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QLabel,
    QStyle,
    QStyleOptionSpinBox,
    QTabWidget,
)

from app.engine.results import Invitation
from app.gui import entries as E
from app.gui.detail_floor import DETAIL_SPACING
from app.gui.export_dialog import ExportDialog
from app.vault import Vault
from tests.gui.helpers import (
    WAIT_MS,
    activate,
    add_partners,
    app_style_sheet,
    click,
    invite_the_sandbox,
    invite_to_wait_page,
    press,
    register_sandbox,
    select_when_listed,
)
from tests.gui.test_health_ui import _registered
from tests.gui.test_row_actions import answer_box
from tests.gui.test_walk_findings_s22 import _tab_into_the_list
from tests.gui.test_walk_findings_s23 import _in_view, _on_screen

SIZE = (1024, 700)


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[None]:
    """The app's style sheet, set before the window is built (as the app does)."""
    with app_style_sheet(qapp):
        yield


NO_BREAK_SPACE, NO_BREAK_HYPHEN = "\u00a0", "\u2011"  # drawn as a space, a hyphen


def _cancelled_invitation(qtbot: Any, window: Any, controller: Any) -> tuple[Invitation, list]:
    """Invite partner (Ctrl+I), on to the Wait page, then Escape: the invitation and the
    log pane's lines of its run, as the pane showed them live."""
    wizard = invite_to_wait_page(qtbot, window)
    invitation = wizard.invite_flow.invitation
    pane = window.log_pane
    qtbot.waitUntil(
        lambda: pane.model.run_id == invitation.run_id and pane.model.rowCount() > 0,
        timeout=5000,
    )
    shown = [pane.model.entry(row) for row in range(pane.model.rowCount())]
    with qtbot.waitSignal(wizard.rejected, timeout=5000):
        press(Qt.Key.Key_Escape)
    qtbot.waitUntil(
        lambda: controller.run_record(invitation.run_id).outcome == "cancelled", timeout=5000
    )
    qtbot.waitUntil(lambda: not controller.busy("invite"), timeout=5000)
    return invitation, shown


def _bottom(*widgets: Any) -> int:
    return max(w.geometry().bottom() for w in widgets if w.isVisible())


def test_a_partner_without_a_name_has_no_blank_line_under_its_title(
    qtbot: Any, window: Any, controller: Any
) -> None:
    window.resize(*SIZE)
    invitation, _ = _cancelled_invitation(qtbot, window, controller)
    select_when_listed(qtbot, window, invitation.partner_id)
    view = window.partner_view
    qtbot.waitUntil(view.health_banner.isVisible, timeout=5000)
    assert view.title.text() == f"Partner #{invitation.partner_id}"
    assert not view.subtitle.isVisible()
    head = _bottom(view.title, view.role_pill, view.status_pill)
    # the banner follows the head at the layout's spacing: there was an empty line between
    assert view.health_banner.geometry().top() - head - 1 == DETAIL_SPACING
    # a partner with a name shows it there
    partner_id = register_sandbox(qtbot, controller).partner_id
    select_when_listed(qtbot, window, partner_id)
    qtbot.waitUntil(lambda: view.title.text() == "NL-SBX", timeout=5000)
    assert view.subtitle.isVisible() and view.subtitle.text() == "Sandbox Charging (demo partner)"


def _lines(label: QLabel, width: int) -> list[str]:
    """The label's text as Qt lays it out at `width`, line by line."""
    document = QTextDocument()
    document.setDefaultFont(label.font())
    document.setDocumentMargin(0)
    document.setPlainText(label.text())
    document.setTextWidth(width)
    document.size()  # lays it out
    block = document.firstBlock()
    layout = block.layout()
    lines = []
    for number in range(layout.lineCount()):
        line = layout.lineAt(number)
        lines.append(block.text()[line.textStart() : line.textStart() + line.textLength()])
    return lines


def _plain(text: str) -> str:
    return text.replace(NO_BREAK_SPACE, " ").replace(NO_BREAK_HYPHEN, "-")


def test_the_drift_advice_keeps_its_cli_command_on_one_line(
    qtbot: Any, window: Any, controller: Any
) -> None:
    window.resize(*SIZE)
    _registered(qtbot, window, controller, "drift-endpoint")
    activate(qtbot, window)
    with qtbot.waitSignal(controller.operationFinished, timeout=WAIT_MS):
        press(Qt.Key.Key_F5)  # Check connection: the partner has moved its locations
    banner = window.partner_view.health_banner
    qtbot.waitUntil(lambda: "accept-drift" in _plain(banner.fix.text()), timeout=WAIT_MS)
    fix = banner.fix
    assert "check --accept-drift" in _plain(fix.text())  # reads the same
    assert QFontMetrics(fix.font()).inFontUcs4(ord(NO_BREAK_HYPHEN))  # and is drawn
    command = "check --accept-drift"
    widths = [fix.contentsRect().width(), *range(160, 640, 4)]
    for width in widths:  # the detail's width now, and any the splitter can give it
        lines = [_plain(line) for line in _lines(fix, width)]
        assert any(command in line for line in lines), (width, lines)


def test_an_invitations_first_line_is_in_its_transcript_and_export(
    qtbot: Any, window: Any, controller: Any, tmp_path: Path
) -> None:
    invitation, shown = _cancelled_invitation(qtbot, window, controller)
    said = [E.summary(entry) for entry in shown]
    assert any(line.startswith("Invited a partner") for line in said), said
    # another run takes the log pane; the invitation's row selected shows its stored run
    other = register_sandbox(qtbot, controller)
    pane = window.log_pane
    qtbot.waitUntil(lambda: pane.model.run_id == other.run_id, timeout=5000)
    select_when_listed(qtbot, window, invitation.partner_id)
    qtbot.waitUntil(lambda: pane.model.run_id == invitation.run_id, timeout=5000)
    stored = [E.summary(pane.model.entry(row)) for row in range(pane.model.rowCount())]
    assert stored[: len(said)] == said
    # the export holds every line the pane showed
    with qtbot.waitSignal(pane.exportRequested, timeout=2000):
        click(qtbot, pane.export_button)
    qtbot.waitUntil(lambda: window.findChild(ExportDialog) is not None, timeout=5000)
    dialog = window.findChild(ExportDialog)
    assert dialog.run_id() == invitation.run_id
    dialog.set_format("json")
    target = tmp_path / "invitation.json"
    dialog.path_edit.setText(str(target))
    with qtbot.waitSignal(dialog.exported, timeout=2000):
        click(qtbot, dialog.export_button)
    exported = [E.summary(entry) for entry in json.loads(target.read_text("utf-8"))["entries"]]
    assert all(line in exported for line in said), (said, exported)


def test_home_and_end_go_to_the_first_and_the_last_partner(
    qtbot: Any, window: Any, vault: Vault
) -> None:
    window.resize(*SIZE)
    add_partners(vault, 30)
    window.reload_partners()
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 30, timeout=5000)
    _tab_into_the_list(qtbot, window)
    press(Qt.Key.Key_Down)  # the first partner
    table, last = window.table, window.proxy.rowCount() - 1
    assert table.currentIndex().row() == 0
    column = table.currentIndex().column()  # Health's, shown first
    press(Qt.Key.Key_End)
    assert table.currentIndex().row() == last
    assert table.currentIndex().column() == column
    assert [i.row() for i in table.selectionModel().selectedRows()] == [last]
    assert table.horizontalScrollBar().value() == 0  # the Health column still in sight
    selected = window.selected_partner()
    assert selected is not None and selected.party_id == "01D"  # the list's last (by country)
    press(Qt.Key.Key_Home)
    assert table.currentIndex().row() == 0 and table.horizontalScrollBar().value() == 0
    assert window.selected_partner().party_id == "000"


def _arrow_pixels(spin: QAbstractSpinBox, part: QStyle.SubControl) -> int:
    """Pixels of the chevron's bluish grey in a step button (the bevel's greys are neutral,
    the focus frame a saturated blue)."""
    option = QStyleOptionSpinBox()
    spin.initStyleOption(option)
    rect = spin.style().subControlRect(QStyle.ComplexControl.CC_SpinBox, option, part, spin)
    image = spin.grab().toImage()
    count = 0
    for x in range(rect.left(), rect.right() + 1):
        for y in range(rect.top(), rect.bottom() + 1):
            color = image.pixelColor(x, y)
            count += 10 < color.blue() - color.red() < 40
    return count


def test_the_settings_spin_boxes_show_their_arrows(themed: None, qtbot: Any, window: Any) -> None:
    activate(qtbot, window)
    press(Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)  # Settings…
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None, timeout=5000)
    dialog = QApplication.activeModalWidget()
    spins = dialog.findChildren(QAbstractSpinBox)
    assert len(spins) >= 3  # our port, the request and the registration timeouts
    seen = set()
    for _ in range(dialog.findChild(QTabWidget).count()):
        press(Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)  # the next tab
        QApplication.processEvents()
        for spin in spins:
            if spin.isVisible() and not spin.hasFocus():
                for part in (QStyle.SubControl.SC_SpinBoxUp, QStyle.SubControl.SC_SpinBoxDown):
                    assert _arrow_pixels(spin, part) >= 2, (spin.accessibleName(), part)
                seen.add(spin)
    assert seen == set(spins)
    with qtbot.waitSignal(dialog.rejected, timeout=2000):
        press(Qt.Key.Key_Escape)


def test_about_says_when_a_tokens_value_is_shown(qtbot: Any, window: Any) -> None:
    seen: list[str] = []
    answer_box(qtbot, "OK", seen)
    activate(qtbot, window)
    press(Qt.Key.Key_H, Qt.KeyboardModifier.AltModifier)  # Help
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is not None, timeout=5000)
    menu = QApplication.activePopupWidget()  # the keys go to the open menu
    QTest.keyClick(menu, Qt.Key.Key_A)  # &About OCPI Onboard
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    said = seen[0]
    assert "About OCPI Onboard" in said
    assert "only as fingerprints" not in said, said
    assert "fingerprints" in said and "Reveal or Copy" in said, said


def test_the_health_column_shows_not_registered_whole(
    themed: None, qtbot: Any, window: Any, vault: Vault
) -> None:
    from app.gui.models import PartnersTableModel

    window.resize(*SIZE)
    add_partners(vault, 2, status="unregistered")
    window.reload_partners()
    window.status_filter.setCurrentIndex(window.status_filter.findData("*"))
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 2, timeout=5000)
    table, column = window.table, PartnersTableModel.COL_HEALTH
    cell = window.proxy.index(0, column)
    assert cell.data() == "not registered"
    QApplication.processEvents()
    assert table.columnWidth(column) >= table.sizeHintForIndex(cell).width()


def test_the_onboard_wizard_warns_a_partner_elsewhere_cannot_call_back_this_computer(
    qtbot: Any, window: Any
) -> None:
    activate(qtbot, window)
    press(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # Onboard partner…
    qtbot.waitUntil(lambda: window.sender_wizard is not None, timeout=5000)
    wizard = window.sender_wizard
    page = wizard.receive_page
    qtbot.waitUntil(lambda: "127.0.0.1" in page.embedded_url.text(), timeout=WAIT_MS)
    activate(qtbot, wizard)
    page.url_edit.setFocus()
    QTest.keyClicks(page.url_edit, "https://partner.example.com/ocpi/versions")
    said = " ".join(page.callback_hints.texts())
    assert "partner.example.com cannot reach our endpoint at 127.0.0.1" in said, said
    assert page.callback_hints.isVisible()
    # a partner on this computer can; so can one calling our platform's endpoint
    page.url_edit.clear()
    QTest.keyClicks(page.url_edit, "http://127.0.0.1:9/ocpi/versions")
    assert page.callback_hints.texts() == []
    page.url_edit.clear()
    QTest.keyClicks(page.url_edit, "https://partner.example.com/ocpi/versions")
    assert page.callback_hints.texts()
    page.external_radio.setFocus()
    press(Qt.Key.Key_Space)  # Our platform serves our versions endpoint
    assert page.external() and page.callback_hints.texts() == []
    wizard.reject()


def test_view_log_brings_the_log_in_front_of_the_audit_trail(qtbot: Any, window: Any) -> None:
    window.resize(*SIZE)
    activate(qtbot, window)
    log, audit = window.log_pane, window.audit_pane
    log_action = log.toggleViewAction()
    press(Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: _on_screen(audit), timeout=2000)
    assert log_action.isChecked() and not _on_screen(log)  # open, behind the audit's tab
    press(Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # View > Log
    qtbot.waitUntil(lambda: _on_screen(log), timeout=2000)
    assert log_action.isChecked() and not _on_screen(audit)
    assert window.audit_action.isChecked()  # still open, behind the log's tab
    press(Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # in front: it closes
    qtbot.waitUntil(lambda: not log_action.isChecked(), timeout=2000)
    qtbot.waitUntil(lambda: _on_screen(audit), timeout=2000)
    assert not log.isVisible()


def test_forget_asks_in_whole_sentences(qtbot: Any, window: Any, controller: Any) -> None:
    invitation, _ = _cancelled_invitation(qtbot, window, controller)
    select_when_listed(qtbot, window, invitation.partner_id)
    qtbot.waitUntil(window.forget_action.isEnabled, timeout=5000)
    seen: list[str] = []
    answer_box(qtbot, "Cancel", seen)
    activate(qtbot, window)
    window.forget_action.trigger()
    asked = seen[0]
    assert f"Forget #{invitation.partner_id}? Nothing is sent to the partner." in asked, asked


def _gone_sandbox(qtbot: Any, window: Any) -> Any:
    """A partner whose sandbox lived only for its registration (selected)."""
    return invite_the_sandbox(qtbot, window)


def test_a_rotation_asked_from_the_health_tab_says_how_it_ended_in_view(
    qtbot: Any, window: Any
) -> None:
    window.resize(*SIZE)
    partner = _gone_sandbox(qtbot, window)
    view = window.partner_view
    activate(qtbot, window)
    press(Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)  # the Health tab, scrolled to
    qtbot.waitUntil(lambda: view.detail_scroll.verticalScrollBar().value() > 0, timeout=5000)
    assert not _in_view(view.detail_scroll, view.health_banner)
    seen: list[str] = []
    answer_box(qtbot, "Yes", seen)
    press(Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)  # Rotate credentials…
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    qtbot.waitUntil(view.banner.isVisible, timeout=WAIT_MS)
    assert view.banner.title.text() == "Rotation failed"
    said = f"{view.banner.text.text()} {view.banner.fix.text()}"
    assert "not running" in said and "firewall" not in said, said
    qtbot.waitUntil(lambda: _in_view(view.detail_scroll, view.banner), timeout=5000)
    assert window.selected_partner().id == partner.id
    # Suspected compromise rotates first: the same words
    view.banner.hide()
    seen.clear()
    answer_box(qtbot, "Yes", seen)
    activate(qtbot, window)
    press(Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)  # Suspected co&mpromise…
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    qtbot.waitUntil(view.banner.isVisible, timeout=WAIT_MS)
    said = f"{view.banner.text.text()} {view.banner.fix.text()}"
    assert "not running" in said and "firewall" not in said, said
