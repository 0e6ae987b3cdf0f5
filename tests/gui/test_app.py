"""The README's first command: `python main.py --sandbox` completes an onboarding, unaided."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWizard

from app.gui.app import run_gui
from app.gui.main_window import MainWindow
from app.settings import Settings, save_settings
from app.vault import Vault
from tests.conftest import TEST_PASSPHRASE


def test_sandbox_first_run_completes_in_under_a_minute(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OCPI_ONBOARD_PASSPHRASE", TEST_PASSPHRASE)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    settings = tmp_path / "settings.json"
    save_settings(
        Settings(country_code="DE", party_id="ONB", roles=["CPO"], business_name="Test"), settings
    )
    vault_path = tmp_path / "vault.db"
    started = time.monotonic()
    seen: dict[str, Any] = {"pages": [], "finished": False}

    def step() -> None:
        windows = [w for w in qapp.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            return
        window = windows[0]
        if time.monotonic() - started > 50:
            window.close()
            return
        wizard = window.sender_wizard
        if seen["finished"]:
            if window.selected_partner() is not None:
                seen["partner"] = window.selected_partner().ref
                window.close()
            return
        if wizard is None or not wizard.isVisible():
            return
        page = wizard.currentPage()
        if page is None or not page.isComplete():
            return
        if not seen["pages"] or seen["pages"][-1] != wizard.currentId():
            seen["pages"].append(wizard.currentId())
        finish = wizard.button(QWizard.WizardButton.FinishButton)
        if finish is not None and finish.isVisible():
            seen["finished"] = True
            finish.click()
            return
        commit = wizard.button(QWizard.WizardButton.CommitButton)
        (
            commit
            if commit is not None and commit.isVisible()
            else wizard.button(QWizard.WizardButton.NextButton)
        ).click()

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(20)
    code = run_gui(["--sandbox", "--vault", str(vault_path), "--settings", str(settings)])
    timer.stop()
    assert code == 0
    assert seen["pages"] == [0, 1, 2, 3], seen
    assert seen.get("partner") == "NL-SBX"
    with Vault.open(vault_path, passphrase=TEST_PASSPHRASE, use_keyring=False) as vault:
        assert vault.partner("NL-SBX").status == "registered"
