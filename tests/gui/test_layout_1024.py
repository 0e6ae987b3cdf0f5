"""At 1024×700 nothing a person needs is hidden, cut or collapsed.

Issue 9: two toolbar actions vanished with no overflow, the token table collapsed to its
header when a banner showed, hint and settings texts were clipped, labels showed a literal
"&", the token table's last header read "sed · ende". Each window and dialog is laid out at
1024×700 (the dialogs at their own size, which must fit in it) and measured: every
toolbar action has a visible button or sits behind a visible extension button, labels
and buttons get the width (and, wrapped, the height) their text needs.
"""

from __future__ import annotations

from typing import Any

from PySide6 import QtGui, QtWidgets
from PySide6.QtCore import QSize
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QHeaderView,
    QLabel,
    QToolButton,
    QWidget,
)

from app.gui.window_layout import DEFAULT_SIZE, FRAME_ROOM, first_size
from tests.gui.helpers import WAIT_MS, register_sandbox

SIZE = (1024, 700)


def _plain(text: str) -> str:
    """The text as drawn: mnemonic markers gone, "&&" a single "&"."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def literal_ampersands(root: QWidget) -> list[str]:
    """Labels that would draw their "&": a mnemonic with no buddy to give it to."""
    found = []
    for label in root.findChildren(QLabel):
        text = label.text()
        if not label.isVisible() or QtGui.Qt.mightBeRichText(text):
            continue
        if "&" in text.replace("&&", "") and label.buddy() is None:
            found.append(text)
    return found


def clipped(root: QWidget) -> list[str]:
    """Visible labels and buttons narrower (or, wrapped, shorter) than their text."""
    found = []
    for label in root.findChildren(QLabel):
        text = label.text()
        if not label.isVisible() or not text or QtGui.Qt.mightBeRichText(text):
            continue
        if label.pixmap() is not None and not label.pixmap().isNull():
            continue
        room = label.contentsRect()
        if label.wordWrap():
            if label.heightForWidth(label.width()) > label.height() + 1:
                found.append(f"wrapped label cut: {text!r} ({label.width()}x{label.height()})")
            continue
        lines = _plain(text).splitlines() or [""]
        needed = max(label.fontMetrics().horizontalAdvance(line) for line in lines)
        if needed > room.width() + 1:
            found.append(f"label cut: {text!r} needs {needed}px, has {room.width()}px")
    for button in root.findChildren(QAbstractButton):
        if not button.isVisible() or not button.text():
            continue
        if button.objectName() == "qt_toolbar_ext_button":
            continue
        if button.sizeHint().width() > button.width() + 1:
            found.append(
                f"button cut: {button.text()!r} needs {button.sizeHint().width()}px,"
                f" has {button.width()}px"
            )
    return found


def hidden_toolbar_actions(window: Any) -> list[str]:
    toolbar = window.toolbar
    extension = toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    overflow = extension is not None and extension.isVisible()
    missing = []
    for action in toolbar.actions():
        if action.isSeparator() or not action.text():
            continue
        widget = toolbar.widgetForAction(action)
        if widget is not None and widget.isVisible():
            if widget.sizeHint().width() > widget.width() + 1:
                missing.append(f"{action.text()} (cut)")
            continue
        if not overflow:
            missing.append(action.text())
    return missing


def header_cut(header: QHeaderView) -> list[str]:
    found = []
    metrics = header.fontMetrics()
    model = header.model()
    for section in range(header.count()):
        if header.isSectionHidden(section):
            continue
        text = str(model.headerData(section, header.orientation()) or "")
        needed = metrics.horizontalAdvance(text) + 12  # the header's own padding
        if header.sectionSize(section) < needed:
            found.append(f"{text!r}: {header.sectionSize(section)}px < {needed}px")
    return found


def _settle(qtbot: Any, widget: QWidget) -> None:
    qtbot.waitExposed(widget)
    for _ in range(3):
        QApplication.processEvents()
        qtbot.wait(20)


def _main_window_with_a_banner(qtbot: Any, window: Any) -> None:
    register_sandbox(qtbot, window.controller)
    window.resize(*SIZE)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == 1, timeout=5000)
    window.table.selectRow(0)
    qtbot.waitUntil(window.check_action.isEnabled, timeout=5000)
    # the Check action (F5) as a person runs it; its result shows as a banner
    window.check_action.trigger()
    qtbot.waitUntil(window.partner_view.banner.isVisible, timeout=WAIT_MS)
    _settle(qtbot, window)


def test_toolbar_shows_every_action_or_an_overflow(qtbot: Any, window: Any) -> None:
    for width in (1024, 760):
        window.resize(width, 700)
        _settle(qtbot, window)
        assert not hidden_toolbar_actions(window), (width, hidden_toolbar_actions(window))
    window.resize(*SIZE)
    _settle(qtbot, window)
    every = [a for a in window.toolbar.actions() if isinstance(a, QAction) and a.text()]
    shown = [a for a in every if window.toolbar.widgetForAction(a).isVisible()]
    assert shown == every, "at 1024 px every toolbar action has its own button"


def test_main_window_at_1024_with_a_banner(qtbot: Any, window: Any) -> None:
    _main_window_with_a_banner(qtbot, window)
    view = window.partner_view
    table = view.credentials
    rows = table.verticalHeader().defaultSectionSize()
    assert table.viewport().height() >= 2 * rows, (
        f"token table shows {table.viewport().height()}px, less than two rows ({rows}px each)"
    )
    assert not header_cut(table.horizontalHeader())
    assert (
        not header_cut(window.table.horizontalHeader())
        or window.table.horizontalScrollBar().maximum() > 0
    )
    name_column = 2
    assert window.table.columnWidth(name_column) >= window.table.fontMetrics().horizontalAdvance(
        "Sandbox Charging"
    )
    assert not literal_ampersands(window)
    assert not clipped(view), clipped(view)
    assert not hidden_toolbar_actions(window)
    assert window.count.text() == "1 partner"


def test_the_partners_list_shows_a_whole_name_at_1024(qtbot: Any, window: Any) -> None:
    """Seen in a screenshot of the real app at 1024x700: the list read "Sandbox Charging
    (dem…" beside the detail. The Name column was measured for a shorter name, and the
    detail's minimum width (the Health tab's four buttons in one row, every token column
    whole) left the list about 445 px. The first columns up to the name lie in the list's
    view, and the sandbox partner's name fits its column (its "[sandbox]" tag may not)."""
    _main_window_with_a_banner(qtbot, window)
    table, name = window.table, 2
    header = table.horizontalHeader()
    shown = header.sectionViewportPosition(name) + header.sectionSize(name)
    assert header.sectionViewportPosition(name) >= 0 and shown <= table.viewport().width(), (
        window.splitter.sizes(),
        shown,
        table.viewport().width(),
    )
    cell = str(table.model().index(0, name).data())
    text = window.selected_partner().business_name  # the cell adds "  [sandbox]" after it
    assert text == "Sandbox Charging (demo partner)" and cell.startswith(text), cell
    room = header.sectionSize(name) - 12  # the cell's own margins
    drawn = table.fontMetrics().elidedText(cell, QtGui.Qt.TextElideMode.ElideRight, room)
    assert drawn.startswith(text), (drawn, header.sectionSize(name))


def _visible_dialog(kind: type) -> Any:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
    return found[0] if found else None


def _check_dialog(qtbot: Any, dialog: QWidget) -> None:
    _settle(qtbot, dialog)
    assert dialog.width() <= SIZE[0] and dialog.height() <= SIZE[1], dialog.size()
    assert dialog.minimumSizeHint().width() <= SIZE[0]
    assert not literal_ampersands(dialog), literal_ampersands(dialog)
    assert not clipped(dialog), clipped(dialog)


def test_settings_and_export_dialogs_fit(qtbot: Any, window: Any) -> None:
    from app.gui.export_dialog import ExportDialog
    from app.gui.settings_dialog import SettingsDialog

    _main_window_with_a_banner(qtbot, window)
    window.settings_action.trigger()
    qtbot.waitUntil(lambda: _visible_dialog(SettingsDialog) is not None, timeout=5000)
    settings = _visible_dialog(SettingsDialog)
    tabs = settings.findChild(type(window.partner_view.tabs))
    for index in range(tabs.count()):
        tabs.setCurrentIndex(index)
        _check_dialog(qtbot, settings)
    settings.reject()
    window.export_action.trigger()
    qtbot.waitUntil(lambda: _visible_dialog(ExportDialog) is not None, timeout=5000)
    export = _visible_dialog(ExportDialog)
    _check_dialog(qtbot, export)
    export.reject()


def test_wizard_pages_fit(qtbot: Any, window: Any) -> None:
    from app.gui.flows import Phase

    window.resize(*SIZE)
    window.sandbox_action.trigger()
    qtbot.waitUntil(lambda: window.sender_wizard is not None, timeout=5000)
    wizard = window.sender_wizard
    page = wizard.receive_page
    qtbot.waitUntil(lambda: bool(page.url_edit.text()) and page.isComplete(), timeout=WAIT_MS)
    _check_dialog(qtbot, wizard)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.sender_flow.phase == Phase.READY, timeout=WAIT_MS)
    _check_dialog(qtbot, wizard)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.sender_flow.phase == Phase.DONE, timeout=WAIT_MS)
    _check_dialog(qtbot, wizard)
    wizard.next()
    _check_dialog(qtbot, wizard)
    wizard.reject()
    qtbot.waitUntil(lambda: window.sender_wizard is None, timeout=5000)

    window.invite_action.trigger()
    qtbot.waitUntil(lambda: window.invite_wizard is not None, timeout=5000)
    invite = window.invite_wizard
    qtbot.waitUntil(invite.issue_page.isComplete, timeout=WAIT_MS)
    _check_dialog(qtbot, invite)
    invite.next()
    _check_dialog(qtbot, invite)
    invite.reject()


def test_passphrase_dialog_fits(qtbot: Any, tmp_path: Any) -> None:
    from app.gui.unlock import PassphraseDialog

    for new in (True, False):
        dialog = PassphraseDialog(new, tmp_path / "vault.db", notice="" if new else "A notice")
        qtbot.addWidget(dialog)
        dialog.show()
        _check_dialog(qtbot, dialog)
        assert dialog.windowTitle().startswith("Create" if new else "Unlock")
        dialog.close()


def squashed(root: QWidget) -> list[str]:
    """Visible widgets given less height than they need (drawn over each other)."""
    found = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisible() or widget.isWindow():
            continue
        if isinstance(widget, QLabel | QAbstractButton | QtWidgets.QLineEdit | QtWidgets.QComboBox):
            need = widget.minimumSizeHint().height()
            if widget.height() + 1 < need:
                found.append(
                    f"{type(widget).__name__} {widget.accessibleName() or ''}"
                    f" {getattr(widget, 'text', lambda: '')()!r}:"
                    f" {widget.height()}px < {need}px"
                )
    return found


def test_onboard_wizard_with_a_hub_preset_fits(qtbot: Any, window: Any) -> None:
    """Issue 9 (found in the README screenshots): Ctrl+N, then a partner type that needs
    mutual TLS; with the callback box of a real partner the page had no room and squashed
    the partner type's combo, explanation and certificate fields into a few pixels."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    window.resize(*SIZE)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.sender_wizard is not None, timeout=5000)
    wizard = window.sender_wizard
    box = wizard.receive_page.partner_type
    combo = box.combo
    combo.setFocus()
    for _ in range(combo.count()):
        if combo.currentData() == "gireve-hub":
            break
        QTest.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentData() == "gireve-hub"
    _check_dialog(qtbot, wizard)
    assert box.cert_edit.isVisible() and box.key_edit.isVisible()
    assert not squashed(wizard), squashed(wizard)
    for edit in (box.cert_edit, box.key_edit):  # each can be reached and typed into
        edit.setFocus()
        QTest.keyClicks(edit, "/tmp/x.pem")
        assert edit.text() == "/tmp/x.pem"
    wizard.reject()


def test_status_column_shows_a_warning_status_whole(qtbot: Any, window: Any) -> None:
    """Issue 9 (found in the README screenshots): "Registered · TOKEN_C refused" read
    "Registere…" in the list even at 1600 px, its column sized for "Unregistered"."""
    from PySide6.QtGui import QFont

    register_sandbox(qtbot, window.controller, fault="401-after-registration")
    window.resize(1600, 1000)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == 1, timeout=5000)
    column = window.model.COL_STATUS
    proxy = window.table.model()
    qtbot.waitUntil(
        lambda: "TOKEN_C refused" in str(proxy.index(0, column).data() or ""), timeout=WAIT_MS
    )
    _settle(qtbot, window)
    index = proxy.index(0, column)
    text = str(index.data())
    font = index.data(QtGui.Qt.ItemDataRole.FontRole) or window.table.font()
    assert isinstance(font, QFont)
    needed = QtGui.QFontMetrics(font).horizontalAdvance(text) + 12  # the cell's own margins
    assert window.table.columnWidth(column) >= needed, (text, window.table.columnWidth(column))


def test_a_first_start_fits_the_screen(qtbot: Any, window: Any) -> None:
    """A first start (no saved geometry) opened at 1200x780 on any screen: past the edge of
    a smaller one (here the offscreen platform's 800x800; tests/desktop has a real 1024x700
    desktop with a window manager's frames)."""
    _settle(qtbot, window)
    room = window.screen().availableGeometry()
    assert room.contains(window.frameGeometry()), (window.frameGeometry(), room)
    assert window.size() == first_size(room.size(), window.minimumSize())


def test_the_first_size_is_the_default_where_it_fits_and_never_below_the_minimum() -> None:
    minimum = QSize(760, 520)
    assert first_size(QSize(1920, 1080), minimum) == DEFAULT_SIZE == QSize(1200, 780)
    assert first_size(QSize(1024, 700), minimum) == QSize(1024, 700) - FRAME_ROOM
    assert first_size(QSize(1280, 800), minimum) == QSize(1200, 800 - FRAME_ROOM.height())
    assert first_size(QSize(640, 480), minimum) == minimum
