"""Small wrong things seen walking the real app by keyboard (session 22, Xvfb 1024x700).

- A thin strip like another window's edge showed under the Create vault / Unlock vault
  dialog: it was the dialog's own resize handle, drawn by the window manager (openbox)
  for a resizable window; the dialog is now its content's size, which it tells the window
  manager (minimum = maximum), and grows by itself when it shows an error.

"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.gui.unlock import MIN_WIDTH, PassphraseDialog
from tests.gui.helpers import activate, press


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
