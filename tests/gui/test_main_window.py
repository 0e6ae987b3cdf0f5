"""Main window: thousands of partners, filtering, remembered geometry, keyboard and names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLineEdit,
    QTableView,
    QWidget,
)

from app.gui.main_window import MainWindow, window_state
from app.gui.models import CredentialsModel, PartnersFilterProxy, PartnersTableModel
from app.vault import PartnerRecord
from tests.gui.helpers import register_sandbox


def _partners(n: int) -> list[PartnerRecord]:
    countries = ("DE", "NL", "FR", "BE", "AT")
    statuses = ("registered", "pending", "unregistered", "failed")
    return [
        PartnerRecord(
            id=i,
            country_code=countries[i % 5],
            party_id=f"P{i:02d}"[-3:].upper(),
            business_name=f"Charging Company {i}",
            roles=[{"role": "CPO" if i % 2 else "EMSP"}],
            ocpi_version="2.2.1",
            status=statuses[i % 4],
            last_checked=None if i % 3 else "2025-01-01T10:00:00Z",
        )
        for i in range(1, 5001)
    ]


def test_partners_model_filters_and_sorts_thousands(qapp: QApplication) -> None:
    model = PartnersTableModel()
    proxy = PartnersFilterProxy()
    proxy.setSourceModel(model)
    records = _partners(5000)
    model.set_partners(records)
    proxy.sort(6)
    proxy.set_text("fr-p12 emsp")
    filtered = proxy.rowCount()
    proxy.set_text("")
    proxy.set_status("registered")
    registered = proxy.rowCount()
    assert filtered == 1
    assert registered == 1250
    # same rows again: updated in place, no reset
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    model.set_partners(records)
    assert not resets


def test_credentials_model_orders_active_first(qtbot: Any, window: Any, controller: Any) -> None:
    result = register_sandbox(qtbot, controller)
    model = CredentialsModel()
    model.set_credentials(controller.credentials(result.partner_id))
    states = [model.record(r).state for r in range(model.rowCount())]
    assert states[0] == "active" and states[-1] == "consumed"
    assert model.index(0, 0).data().startswith(("B·", "C·"))


def test_geometry_is_remembered(qtbot: Any, controller: Any, tmp_path: Path) -> None:
    state = tmp_path / "window.ini"
    first = MainWindow(controller, state=window_state(state))
    qtbot.addWidget(first)
    first.show()
    first.resize(781, 701)
    first.log_pane.hide()
    first.close()
    second = MainWindow(controller, state=window_state(state))
    qtbot.addWidget(second)
    second.show()
    assert (second.width(), second.height()) == (781, 701)
    assert not second.log_pane.isVisible()
    second.close()


def test_controls_have_accessible_names_and_keyboard_order(qtbot: Any, window: Any) -> None:
    wizard = window.open_sender_wizard()
    for root in (window, wizard):
        unnamed = []
        for widget in root.findChildren(QWidget):
            if not isinstance(widget, QLineEdit | QComboBox | QTableView | QAbstractButton):
                continue
            # Qt's own parts: table corners, dock title buttons, combo/spin internals, tab scrollers
            parent = type(widget.parent()).__name__ if widget.parent() is not None else ""
            if (
                parent
                in (
                    "QComboBox",
                    "QLineEdit",
                    "QTabBar",
                    "QTableView",
                    "QDockWidget",
                    "QSpinBox",
                    "QDoubleSpinBox",
                )
                or widget.objectName().startswith("qt_")
                or type(widget).__name__ == "QAbstractButton"
            ):
                continue
            name = widget.accessibleName() or (
                widget.text() if isinstance(widget, QAbstractButton) else ""
            )
            if not name:
                unnamed.append(f"{type(widget).__name__} in {parent}")
        assert not unnamed, unnamed
    page = wizard.receive_page
    page.url_edit.setFocus()
    qtbot.waitUntil(page.url_edit.hasFocus, timeout=2000)
    qtbot.keyClick(page.url_edit, Qt.Key.Key_Tab)
    assert page.token.edit.hasFocus()
    wizard.reject()


def test_keyboard_shortcuts_open_the_wizards(qtbot: Any, window: Any) -> None:
    window.activateWindow()
    window.onboard_action.trigger()
    assert window.sender_wizard is not None and window.sender_wizard.isVisible()
    window.sender_wizard.reject()
    assert window.onboard_action.shortcut().toString() == "Ctrl+N"
    assert window.invite_action.shortcut().toString() == "Ctrl+I"
    assert window.check_action.shortcut().toString() == "F5"
