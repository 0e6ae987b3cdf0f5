"""Small wrong things seen walking the real app by keyboard (session 22, Xvfb 1024x700).

- A thin strip like another window's edge showed under the Create vault / Unlock vault
  dialog: it was the dialog's own resize handle, drawn by the window manager (openbox)
  for a resizable window; the dialog is now its content's size, which it tells the window
  manager (minimum = maximum), and grows by itself when it shows an error.

- A failed discovery spread the Discover page's checklist rows and its failure banner
  over the whole page (the modules summary that takes the room was hidden).
- A fault picked from Sandbox > Rehearse a fault was named in the wizard's banner by its
  CLI name only ("token-c-equals-b"); what it does was in the menu's tip, gone once
  clicked. The banner now says it too.
- Escape on a registration in progress closed the wizard and ended its run in the vault,
  but the log pane's label went on saying "register · running"; and the row's detail
  said "Waiting for the partner to register" (said of every unnamed pending row, where
  only an open invitation waits).
- After Verify connection the log pane and the History tab said "check": a Verify is
  stored as a check run marked op=verify. They say "verify" now.
- Back from a failed Register to Discover offered Retry, which discovered again with the
  TOKEN_A the registration had spent: the partner answered 401 and the page blamed the
  token's encoding. With TOKEN_A spent, Discover offers no Retry (Back says it is spent).
- Alt+T (the underlined T of "TOKEN_A" in the Onboard wizard) did nothing: the label's
  buddy, the token field with its Show button, took no focus itself.
- In the regenerated README pictures every cell of a partner row was drawn in the row's
  health colour, and bold once the Status column was in view: the model's one-call
  paint (multiData) left the roles it had no value for as the previous cell set them.
- A registered sandbox partner whose sandbox is gone said "... or forget this row" (in its
  health banner, and in Verify's and Unregister's answers) while Forget was disabled for
  it: such a row is ended by Unregister, which calls nobody; the words now say that.
- In a one-row partners list, Tab into the list then Down selected nothing (Qt puts the
  focus frame on the first row without selecting it, and Down moves from there): only
  Space picked the only partner. The log (a one-line run: the Unregister of a gone
  sandbox), the token table and the audit table did the same.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QTabWidget, QWizard

from app.gui.settings_dialog import SettingsDialog
from app.gui.unlock import MIN_WIDTH, PassphraseDialog
from app.vault import PartnerRecord, Vault
from tests.gui.helpers import WAIT_MS, activate, add_partners, invite_the_sandbox, press
from tests.gui.test_row_actions import answer_box


def _tab_into_the_list(qtbot: Any, window: Any) -> None:
    """Ctrl+F (the search field), then Tab past the status filter into the list."""
    activate(qtbot, window)
    press(Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.search
    for _ in range(3):
        if QApplication.focusWidget() is window.table:
            break
        press(Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is window.table


def _ids_by_row(window: Any) -> list[int]:
    from app.gui.models import RecordRole

    proxy = window.proxy
    return [proxy.index(row, 0).data(RecordRole).id for row in range(proxy.rowCount())]


@pytest.mark.parametrize("first", [Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown])
def test_an_arrow_selects_the_only_partner(
    qtbot: Any, window: Any, vault: Vault, first: Qt.Key
) -> None:
    (only,) = add_partners(vault, 1)
    window.reload_partners()
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 1, timeout=5000)
    assert window.selected_partner() is None
    _tab_into_the_list(qtbot, window)
    assert window.table.currentIndex().row() == 0  # the focus frame is on the row
    assert window.selected_partner() is None  # Tab alone selects nothing
    press(first)
    partner = window.selected_partner()
    assert partner is not None and partner.id == only.id
    press(Qt.Key.Key_Down)  # nowhere further to go: it stays selected
    press(Qt.Key.Key_Up)
    partner = window.selected_partner()
    assert partner is not None and partner.id == only.id


def _three_rows_focused(qtbot: Any, window: Any, vault: Vault) -> list[int]:
    """Three partners listed, nothing selected, the list focused by Tab: their ids by row."""
    add_partners(vault, 3)
    window.reload_partners()
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 3, timeout=5000)
    ids = _ids_by_row(window)
    _tab_into_the_list(qtbot, window)
    return ids


def test_in_a_longer_list_the_first_down_picks_the_framed_row(
    qtbot: Any, window: Any, vault: Vault
) -> None:
    ids = _three_rows_focused(qtbot, window, vault)
    press(Qt.Key.Key_Down)  # the row with the focus frame, not the one after it
    assert window.selected_partner().id == ids[0]
    press(Qt.Key.Key_Down)  # then Down moves as in any list
    assert window.selected_partner().id == ids[1]
    press(Qt.Key.Key_PageDown)
    assert window.selected_partner().id == ids[2]
    press(Qt.Key.Key_PageUp)
    assert window.selected_partner().id == ids[0]


def test_page_down_with_nothing_selected_goes_to_the_last_row(
    qtbot: Any, window: Any, vault: Vault
) -> None:
    ids = _three_rows_focused(qtbot, window, vault)
    press(Qt.Key.Key_PageDown)
    assert window.selected_partner().id == ids[2]


@pytest.mark.parametrize("new", [True, False])
def test_the_passphrase_dialog_is_not_resizable_and_grows_for_an_error(
    qtbot: Any, tmp_path: Any, new: bool
) -> None:
    dialog = PassphraseDialog(new, tmp_path / "vault.db")
    qtbot.addWidget(dialog)
    dialog.show()
    activate(qtbot, dialog)
    assert dialog.minimumSize() == dialog.maximumSize() == dialog.size()
    assert dialog.width() >= MIN_WIDTH  # as wide as it was when resizable
    before = dialog.height()
    assert QApplication.focusWidget() is dialog.passphrase
    for k in (Qt.Key.Key_A, Qt.Key.Key_B):
        press(k)
    if new:
        press(Qt.Key.Key_Return)  # too short: the dialog says so
    else:  # empty: the dialog says so
        dialog.passphrase.selectAll()
        press(Qt.Key.Key_Delete)
        press(Qt.Key.Key_Return)
    assert dialog.error.isVisible()
    qtbot.waitUntil(lambda: dialog.height() > before, timeout=5000)
    assert dialog.minimumSize() == dialog.maximumSize() == dialog.size()
    bottom = dialog.buttons.mapTo(dialog, dialog.buttons.rect().bottomLeft()).y()
    assert bottom < dialog.height()  # the buttons are still inside
    dialog.close()


def test_a_failed_discovery_keeps_the_page_compact(qtbot: Any, window: Any) -> None:
    activate(qtbot, window)
    shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    press(Qt.Key.Key_N, shift)  # the sandbox partner
    qtbot.waitUntil(lambda: window.sender_wizard is not None, timeout=5000)
    wizard = window.sender_wizard
    activate(qtbot, wizard)
    page = wizard.receive_page
    qtbot.waitUntil(lambda: bool(page.url_edit.text()) and page.isComplete(), timeout=WAIT_MS)
    press(Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)  # &TOKEN_A
    assert QApplication.focusWidget() is page.token.edit
    press(Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(page.token.edit, "not-the-partners-token-0123456789")
    qtbot.waitUntil(page.isComplete, timeout=5000)
    press(Qt.Key.Key_Return)
    discover = wizard.discover_page
    qtbot.waitUntil(discover.error.isVisible, timeout=WAIT_MS)
    assert any("401" in label.text() for label in discover.error.findChildren(QLabel))
    assert not discover.summary.isVisible()
    assert discover.retry.isVisible()  # TOKEN_A was never sent: discovering again is fine
    for widget in (discover.checklist, discover.error):
        assert widget.height() <= widget.sizeHint().height() + 2, (
            type(widget).__name__,
            widget.height(),
            widget.sizeHint().height(),
        )
    press(Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.sender_wizard is None, timeout=5000)


def _mnemonic_labels(root: Any) -> list[tuple[QLabel, str]]:
    found = []
    for label in root.findChildren(QLabel):
        match = re.search(r"&([^&])", label.text())
        if label.isVisible() and label.buddy() is not None and match:
            found.append((label, match.group(1).upper()))
    return found


def _check_mnemonics(qtbot: Any, root: Any, away: Any) -> list[str]:
    """Alt+<letter> of each form label, from a field elsewhere: the focus lands in the
    label's field. Returns the labels checked."""
    checked = []
    for label, letter in _mnemonic_labels(root):
        buddy = label.buddy()
        away.setFocus()
        qtbot.waitUntil(away.hasFocus, timeout=5000)
        press(getattr(Qt.Key, f"Key_{letter}"), Qt.KeyboardModifier.AltModifier)
        focus = QApplication.focusWidget()
        assert focus is not None and (focus is buddy or buddy.isAncestorOf(focus)), (
            label.text(),
            focus and focus.accessibleName(),
        )
        checked.append(label.text())
    return checked


def test_every_form_label_mnemonic_reaches_its_field(qtbot: Any, window: Any) -> None:
    activate(qtbot, window)
    press(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.sender_wizard is not None, timeout=5000)
    wizard = window.sender_wizard
    activate(qtbot, wizard)
    page = wizard.receive_page
    checked = _check_mnemonics(qtbot, page, wizard.button(QWizard.WizardButton.CancelButton))
    assert "&TOKEN_A" in checked and "Versions &URL" in checked
    press(Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.sender_wizard is None, timeout=5000)
    activate(qtbot, window)
    press(Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    settings = next(w for w in QApplication.topLevelWidgets() if isinstance(w, SettingsDialog))
    qtbot.waitUntil(settings.isVisible, timeout=5000)
    activate(qtbot, settings)
    tabs = settings.findChild(QTabWidget)
    for index in range(tabs.count()):
        tabs.setCurrentIndex(index)
        checked += _check_mnemonics(qtbot, settings, tabs.tabBar())
    press(Qt.Key.Key_Escape)
    assert len(checked) > 6, checked


def test_no_retry_of_discovery_with_a_spent_token_a(qtbot: Any, window: Any) -> None:
    from app.gui.flows import Phase
    from app.gui.wizard_sender import PAGE_DISCOVER, PAGE_RECEIVE

    sandbox = next(
        a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Sandbox"
    )
    faults = next(a.menu() for a in sandbox.actions() if a.menu() is not None)
    next(a for a in faults.actions() if a.text() == "token-c-equals-b").trigger()
    qtbot.waitUntil(lambda: window.sender_wizard is not None, timeout=5000)
    wizard = window.sender_wizard
    activate(qtbot, wizard)
    page = wizard.receive_page
    qtbot.waitUntil(lambda: bool(page.url_edit.text()) and page.isComplete(), timeout=WAIT_MS)
    said = page.sandbox_banner.text.text()
    assert "“token-c-equals-b”: The partner answers with our own TOKEN_B as its TOKEN_C." in said
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(wizard.discover_page.isComplete, timeout=WAIT_MS)
    press(Qt.Key.Key_Return)  # Register: the partner takes TOKEN_A, answers with TOKEN_B
    flow = wizard.sender_flow
    qtbot.waitUntil(lambda: flow.phase == Phase.FAILED, timeout=WAIT_MS)
    assert flow.token_a is not None and flow.token_a.fingerprint in flow.spent_tokens
    press(Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_DISCOVER, timeout=5000)
    discover = wizard.discover_page
    assert discover.error.isVisible() and "Registration failed" in discover.error.title.text()
    assert not discover.retry.isVisible()
    press(Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)  # nothing to retry (Register is off)
    assert flow.phase == Phase.FAILED and wizard.currentId() == PAGE_DISCOVER
    press(Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)  # Back says why and what to do
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_RECEIVE, timeout=5000)
    assert not page.isComplete()
    assert any(
        "is spent" in label.text() for label in page.findChildren(QLabel) if label.isVisible()
    )
    press(Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.sender_wizard is None, timeout=5000)


def _pixels_near(image: Any, rect: Any, colour: Any) -> int:
    near = 0
    for y in range(rect.top(), rect.bottom()):
        for x in range(rect.left(), rect.right()):
            c = image.pixelColor(x, y)
            if (
                abs(c.red() - colour.red())
                + abs(c.green() - colour.green())
                + abs(c.blue() - colour.blue())
                < 60
            ):
                near += 1
    return near


def test_a_rows_health_colour_stays_in_its_cells(qtbot: Any, window: Any, vault: Vault) -> None:
    with vault.transaction():
        for i, status in enumerate(("failed", "registered", "failed")):
            vault.save_partner(
                PartnerRecord(
                    id=None,
                    country_code="DE",
                    party_id=f"R{i:02d}",
                    business_name="Plain Name Charging",
                    roles=[{"role": "CPO"}],
                    versions_url="http://127.0.0.1:9/versions",
                    status=status,
                )
            )
    window.reload_partners()
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 3, timeout=5000)
    model, proxy, table = window.model, window.proxy, window.table
    window.resize(1600, 1000)
    window.splitter.setSizes([1200, 400])  # the Status column in view, as at 1600 px
    qtbot.waitUntil(
        lambda: table.visualRect(proxy.index(0, model.COL_STATUS)).right() < table.width(),
        timeout=5000,
    )
    image = table.viewport().grab().toImage()
    checked = 0
    for row in range(proxy.rowCount()):
        health = proxy.index(row, model.COL_HEALTH).data(Qt.ItemDataRole.ForegroundRole)
        if health is None:
            continue
        colour = health.color()
        channels = (colour.red(), colour.green(), colour.blue())
        if max(channels) - min(channels) < 80:
            continue  # a grey (never checked): too near the text's own antialiasing
        assert _pixels_near(image, table.visualRect(proxy.index(row, model.COL_HEALTH)), colour)
        for column in (1, 2, 3):  # country, party id, name: the palette's text colour
            rect = table.visualRect(proxy.index(row, column))
            assert _pixels_near(image, rect, colour) == 0, (row, column)
            checked += 1
    assert checked >= 6  # the two failing rows


def test_a_gone_sandbox_names_an_action_the_row_offers(qtbot: Any, window: Any) -> None:
    """The Invite wizard's demo eMSP lives only for its own registration: its row says so,
    and the way to end the row it names is enabled; Check/Verify stay enabled (they say the
    same, truly) and Unregister ends the row without the network."""
    invite_the_sandbox(qtbot, window)
    view = window.partner_view
    hint = view.health_banner.fix.text()
    assert "Unregister" in hint and "forget" not in hint.lower(), hint
    assert window.unregister_action.isEnabled() and not window.forget_action.isEnabled()
    assert window.health_ui.verify_action.isEnabled()  # enabled: its answer is true
    activate(qtbot, window)
    press(Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    said = lambda: [  # noqa: E731
        b for b in view.findChildren(type(view.health_banner))
        if b.isVisible() and b is not view.health_banner and "Verify" in b.title.text()
    ]  # fmt: skip
    qtbot.waitUntil(lambda: bool(said()), timeout=WAIT_MS)
    verify = said()[0]
    assert "not running" in verify.text.text()
    assert "Unregister" in verify.fix.text() and "forget" not in verify.fix.text().lower()
    seen: list[str] = []
    answer_box(qtbot, "Yes", seen)  # Unregister asks first
    window.unregister_action.trigger()
    assert seen and "Unregister" in seen[0]
    qtbot.waitUntil(lambda: window.selected_partner().status == "unregistered", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: view.banner.isVisible(), timeout=5000)
    assert "not running" in view.banner.text.text()  # said, and the row ended here
    assert "forget" not in view.banner.fix.text().lower()


def test_down_in_the_log_shows_the_framed_lines_details(
    qtbot: Any, window: Any, controller: Any
) -> None:
    from tests.gui.helpers import register_sandbox, select_when_listed

    result = register_sandbox(qtbot, controller)
    select_when_listed(qtbot, window, result.partner_id)
    pane = window.log_pane
    qtbot.waitUntil(lambda: pane.proxy.rowCount() > 0, timeout=5000)
    activate(qtbot, window)
    pane.export_button.setFocus()
    press(Qt.Key.Key_Tab)  # from Export… into the log's lines
    assert QApplication.focusWidget() is pane.table
    framed = pane.table.currentIndex()
    assert framed.isValid() and not pane.table.selectionModel().hasSelection()
    assert pane.details.toPlainText() == ""
    press(Qt.Key.Key_Down)
    assert [i.row() for i in pane.table.selectionModel().selectedRows()] == [framed.row()]
    assert pane.details.toPlainText()  # the framed line's details, not the next line's


def test_the_log_says_a_closed_wizards_run_ended(qtbot: Any, window: Any) -> None:
    """Discovered, then Escape before Register: the wizard ends its run in the vault (no
    engine event says so); the log pane showing that run must say it ended."""
    activate(qtbot, window)
    shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    press(Qt.Key.Key_N, shift)  # the sandbox partner
    qtbot.waitUntil(lambda: window.sender_wizard is not None, timeout=5000)
    wizard = window.sender_wizard
    activate(qtbot, wizard)
    page = wizard.receive_page
    qtbot.waitUntil(lambda: bool(page.url_edit.text()) and page.isComplete(), timeout=WAIT_MS)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(wizard.discover_page.isComplete, timeout=WAIT_MS)
    label = window.log_pane.run_label
    qtbot.waitUntil(lambda: "register" in label.text() and "running" in label.text(), timeout=5000)
    press(Qt.Key.Key_Escape)  # not now, after all
    qtbot.waitUntil(lambda: window.sender_wizard is None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "running" not in label.text(), timeout=5000)
    assert "cancelled" in label.text(), label.text()
    _tab_into_the_list(qtbot, window)
    press(Qt.Key.Key_Down)  # the one row: the cancelled registration
    partner = window.selected_partner()
    assert partner is not None and partner.status == "pending" and not partner.business_name
    view = window.partner_view
    assert "cancelled" in view.status_pill.text()
    assert "Waiting" not in view.subtitle.text(), view.subtitle.text()
    # an open invitation does wait for the partner: said so
    press(Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.invite_wizard is not None, timeout=5000)
    invite = window.invite_wizard
    activate(qtbot, invite)
    qtbot.waitUntil(invite.issue_page.isComplete, timeout=WAIT_MS)
    press(Qt.Key.Key_Return)  # Wait
    qtbot.waitUntil(lambda: invite.currentId() == 1, timeout=5000)
    invited = invite.invite_flow.invitation.partner_id
    activate(qtbot, window)
    qtbot.waitUntil(lambda: window.select_partner(invited), timeout=5000)
    assert view.subtitle.text() == "Waiting for the partner to register"
    activate(qtbot, invite)
    press(Qt.Key.Key_Escape)


def test_a_verify_reads_verify_in_the_log_and_the_history(
    qtbot: Any, window: Any, controller: Any
) -> None:
    from tests.gui.helpers import register_sandbox, select_when_listed

    result = register_sandbox(qtbot, controller)
    select_when_listed(qtbot, window, result.partner_id)
    qtbot.waitUntil(lambda: window.health_ui.verify_action.isEnabled(), timeout=5000)
    activate(qtbot, window)
    press(Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    label = window.log_pane.run_label
    qtbot.waitUntil(
        lambda: "succeeded" in label.text() and "register" not in label.text(), timeout=WAIT_MS
    )
    assert " · verify · " in label.text() and "check" not in label.text(), label.text()
    history = window.partner_view.history
    kinds = [history.item(row, 1).text() for row in range(history.rowCount())]
    assert kinds[0] == "verify" and "register" in kinds, kinds
