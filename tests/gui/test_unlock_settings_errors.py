"""Unlocking the vault (key derivation off the UI thread), settings, and error dialogs."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from app.core.diagnosis import OnboardingError, diagnose
from app.gui import unlock
from app.gui.errors import ErrorDialog, diagnosis_for, install_error_handlers
from app.gui.settings_dialog import SettingsDialog
from app.settings import load_settings
from app.vault import Vault
from tests.conftest import TEST_PASSPHRASE


def _dialog(qapp: QApplication) -> unlock.PassphraseDialog | None:
    for widget in qapp.topLevelWidgets():
        if isinstance(widget, unlock.PassphraseDialog) and widget.isVisible():
            return widget
    return None


def test_unlock_asks_and_derives_off_the_ui_thread(
    qtbot: Any, qloop: Any, qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "vault.db"
    Vault.open(path, passphrase=TEST_PASSPHRASE, use_keyring=False).close()
    threads: list[str] = []
    real = unlock.derive_key

    def spy(passphrase: str, params: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(passphrase, params)

    monkeypatch.setattr(unlock, "derive_key", spy)
    task = asyncio.ensure_future(unlock.unlock_vault(path, use_keyring=False))
    qtbot.waitUntil(lambda: _dialog(qapp) is not None, timeout=5000)
    dialog = _dialog(qapp)
    assert dialog is not None and not dialog.new
    qtbot.keyClicks(dialog.passphrase, "not the passphrase")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10000)
    assert "Wrong passphrase" in dialog.error.text.text()
    dialog.passphrase.setText(TEST_PASSPHRASE)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(task.done, timeout=10000)
    vault = task.result()
    assert isinstance(vault, Vault)
    vault.close()
    assert threads and all(name != threading.main_thread().name for name in threads)


def test_new_vault_passphrase_is_checked(
    qtbot: Any, qloop: Any, qapp: QApplication, tmp_path: Path
) -> None:
    path = tmp_path / "new" / "vault.db"
    task = asyncio.ensure_future(unlock.unlock_vault(path, use_keyring=False))
    qtbot.waitUntil(lambda: _dialog(qapp) is not None, timeout=5000)
    dialog = _dialog(qapp)
    assert dialog is not None and dialog.new
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.passphrase.setText("short")
    ok.click()
    assert "at least" in dialog.error.title.text()
    dialog.passphrase.setText("a long passphrase")
    dialog.confirm.setText("another long one")
    ok.click()
    assert "differ" in dialog.error.title.text()
    dialog.confirm.setText("a long passphrase")
    ok.click()
    qtbot.waitUntil(task.done, timeout=10000)
    vault = task.result()
    vault.close()
    Vault.open(path, passphrase="a long passphrase", use_keyring=False).close()


def test_cancelled_unlock_returns_none(
    qtbot: Any, qloop: Any, qapp: QApplication, tmp_path: Path
) -> None:
    task = asyncio.ensure_future(unlock.unlock_vault(tmp_path / "vault.db", use_keyring=False))
    qtbot.waitUntil(lambda: _dialog(qapp) is not None, timeout=5000)
    _dialog(qapp).reject()  # type: ignore[union-attr]
    qtbot.waitUntil(task.done, timeout=5000)
    assert task.result() is None


def test_settings_dialog_saves_to_the_injected_file(
    qtbot: Any, window: Any, controller: Any, settings_path: Path
) -> None:
    dialog = window.open_settings()
    assert isinstance(dialog, SettingsDialog)
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    dialog.country.setText("F")
    assert not save.isEnabled()
    assert any("country code" in t for t in dialog.identity_hints.texts())
    dialog.country.setText("fr")
    dialog.party.setText("xyz")
    dialog.role_boxes["EMSP"].setChecked(True)
    dialog.public_url.setText("https://ocpi.example.fr")
    dialog.request_timeout.setValue(12)
    assert save.isEnabled()
    with qtbot.waitSignal(controller.settingsChanged, timeout=2000):
        save.click()
    stored = load_settings(settings_path)
    assert (stored.country_code, stored.party_id) == ("FR", "XYZ")
    assert stored.roles == ["CPO", "EMSP"] and stored.public_url == "https://ocpi.example.fr"
    assert stored.request_timeout == 12
    assert controller.settings.country_code == "FR"


def test_settings_choose_a_team_vault_for_the_next_start(
    qtbot: Any, window: Any, controller: Any, settings_path: Path
) -> None:
    from app.gui.app import vault_location

    dialog = window.open_settings()
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    qtbot.keyClicks(dialog.vault_location, "mysql://db.example/ocpi")
    assert not save.isEnabled() and dialog.vault_hints.texts()
    dialog.vault_location.clear()
    qtbot.keyClicks(dialog.vault_location, "postgresql://alice@db.example/ocpi")
    assert save.isEnabled() and not dialog.vault_hints.texts()
    with qtbot.waitSignal(controller.settingsChanged, timeout=2000):
        save.click()
    stored = load_settings(settings_path)
    assert stored.vault_path == "postgresql://alice@db.example/ocpi"
    assert vault_location(stored.vault_path) == "postgresql://alice@db.example/ocpi"
    assert vault_location("~/v.db") == Path("~/v.db")


def test_error_dialog_shows_the_diagnosis_never_a_traceback(qtbot: Any) -> None:
    token = "sekr1t-T0ken-value-123456"
    exc = ValueError(f"failed with {token}")
    diagnosis = diagnosis_for(exc)
    assert diagnosis.code == "internal" and "ValueError" in diagnosis.message
    dialog = ErrorDialog(diagnosis)
    qtbot.addWidget(dialog)
    shown = dialog.text() + dialog.informativeText()
    assert token not in shown and "Traceback" not in shown
    assert diagnosis.hint in shown
    confusion = ErrorDialog(diagnose("token.c_equals_b"))
    qtbot.addWidget(confusion)
    assert "token mix-up" in confusion.informativeText()


def test_unhandled_errors_reach_a_dialog(
    qtbot: Any,
    qloop: Any,
    controller: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shown: list[Any] = []
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    install_error_handlers(qloop, shower=shown.append)

    async def broken() -> None:
        raise KeyError("TOKEN-VALUE-NOT-TO-SHOW")

    controller.run("broken", broken())
    qtbot.waitUntil(lambda: bool(shown), timeout=2000)
    assert shown[0].code == "internal" and "KeyError" in shown[0].message
    assert "TOKEN-VALUE-NOT-TO-SHOW" not in capsys.readouterr().err
    # a handled failure (OnboardingError) goes to the operationFailed signal instead
    with qtbot.waitSignal(controller.operationFailed, timeout=2000) as failed:

        async def refused() -> None:
            raise OnboardingError(diagnose("token.a_reused"))

        controller.run("refused", refused())
    assert failed.args[1].code == "token.a_reused"
    loop_shown = len(shown)
    qloop.call_exception_handler({"message": "x", "exception": RuntimeError("boom")})
    assert len(shown) == loop_shown + 1
    assert QMessageBox is not None
