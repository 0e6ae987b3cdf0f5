"""The vault key derived from OCPI_ONBOARD_PASSPHRASE while the window loads (issue 13).

app.vault.key_ahead starts scrypt before the GUI's modules load; app.gui.unlock then takes
that key for the same file and passphrase instead of deriving again. Every other case
(wrong passphrase, team vault, no variable) must behave exactly as the ordinary unlock.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from app.gui import unlock
from app.gui.app import start_launch_key
from app.settings import Settings, save_settings
from app.vault import Vault, key_ahead
from app.vault.key_ahead import start_env_key
from tests.conftest import TEST_PASSPHRASE


def _dialog(qapp: QApplication) -> unlock.PassphraseDialog | None:
    for widget in qapp.topLevelWidgets():
        if isinstance(widget, unlock.PassphraseDialog) and widget.isVisible():
            return widget
    return None


def _no_second_derivation(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = unlock.derive_key

    def spy(passphrase: str, params: Any) -> Any:
        calls.append(threading.current_thread().name)
        return real(passphrase, params)

    monkeypatch.setattr(unlock, "derive_key", spy)
    return calls


def test_the_early_key_opens_the_vault_without_a_second_derivation(
    qtbot: Any, qloop: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "vault.db"
    Vault.open(path, passphrase=TEST_PASSPHRASE, use_keyring=False).close()
    monkeypatch.setenv("OCPI_ONBOARD_PASSPHRASE", TEST_PASSPHRASE)
    calls = _no_second_derivation(monkeypatch)
    early = start_env_key(path)
    assert early is not None
    task = asyncio.ensure_future(unlock.unlock_vault(path, use_keyring=False, early=early))
    qtbot.waitUntil(task.done, timeout=10000)
    vault = task.result()
    assert isinstance(vault, Vault)
    vault.close()
    assert calls == []  # the key came from the early derivation
    assert early.future.done()


def _answer_the_prompt_after_a_wrong_env_passphrase(
    qtbot: Any, qapp: QApplication, task: Any
) -> None:
    """The prompt says the environment's passphrase did not unlock; the right one typed
    there opens the vault."""
    qtbot.waitUntil(lambda: _dialog(qapp) is not None, timeout=10000)
    dialog = _dialog(qapp)
    assert dialog is not None and not dialog.new
    assert "OCPI_ONBOARD_PASSPHRASE is set but does not unlock" in dialog.error.title.text()
    dialog.passphrase.setText(TEST_PASSPHRASE)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(task.done, timeout=10000)
    vault = task.result()
    assert isinstance(vault, Vault)
    vault.close()


def test_a_wrong_passphrase_in_the_environment_still_asks(
    qtbot: Any, qloop: Any, qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "vault.db"
    Vault.open(path, passphrase=TEST_PASSPHRASE, use_keyring=False).close()
    monkeypatch.setenv("OCPI_ONBOARD_PASSPHRASE", "not the passphrase")
    early = start_env_key(path)
    assert early is not None
    task = asyncio.ensure_future(unlock.unlock_vault(path, use_keyring=False, early=early))
    _answer_the_prompt_after_a_wrong_env_passphrase(qtbot, qapp, task)


def test_a_new_vault_is_created_with_the_early_key(
    qtbot: Any, qloop: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "new" / "vault.db"
    monkeypatch.setenv("OCPI_ONBOARD_PASSPHRASE", TEST_PASSPHRASE)
    early = start_env_key(path)
    assert early is not None
    task = asyncio.ensure_future(unlock.unlock_vault(path, use_keyring=False, early=early))
    qtbot.waitUntil(task.done, timeout=10000)
    task.result().close()
    Vault.open(path, passphrase=TEST_PASSPHRASE, use_keyring=False).close()


def test_nothing_starts_early_without_the_variable_or_for_a_team_vault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OCPI_ONBOARD_PASSPHRASE", raising=False)
    assert start_env_key(tmp_path / "vault.db") is None
    monkeypatch.setenv("OCPI_ONBOARD_PASSPHRASE", TEST_PASSPHRASE)
    assert start_env_key("postgresql://member@db.example/vault") is None


def test_an_early_key_for_another_file_is_not_used(
    qtbot: Any, qloop: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "vault.db"
    Vault.open(path, passphrase=TEST_PASSPHRASE, use_keyring=False).close()
    monkeypatch.setenv("OCPI_ONBOARD_PASSPHRASE", TEST_PASSPHRASE)
    calls = _no_second_derivation(monkeypatch)
    other = start_env_key(tmp_path / "other.db")
    task = asyncio.ensure_future(unlock.unlock_vault(path, use_keyring=False, early=other))
    qtbot.waitUntil(task.done, timeout=10000)
    task.result().close()
    assert len(calls) == 1  # derived again, for the file actually opened


def test_the_vault_opens_without_the_loop_when_the_key_was_derived_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app shows its window before asyncio loads: unlock_now opens with the early key."""
    path = tmp_path / "vault.db"
    Vault.open(path, passphrase=TEST_PASSPHRASE, use_keyring=False).close()
    monkeypatch.setenv("OCPI_ONBOARD_PASSPHRASE", TEST_PASSPHRASE)
    calls = _no_second_derivation(monkeypatch)
    early = start_env_key(path)
    quiet = unlock.unlock_now(path, use_keyring=False, early=early)
    assert isinstance(quiet.vault, Vault) and quiet.tried
    quiet.vault.close()
    assert calls == []


def test_without_a_key_derived_ahead_unlock_now_leaves_it_to_the_loop(
    qtbot: Any, qloop: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No early key (another file): nothing is derived on the UI thread; unlock_vault
    derives in its worker thread, as always."""
    path = tmp_path / "vault.db"
    Vault.open(path, passphrase=TEST_PASSPHRASE, use_keyring=False).close()
    monkeypatch.setenv("OCPI_ONBOARD_PASSPHRASE", TEST_PASSPHRASE)
    calls = _no_second_derivation(monkeypatch)
    quiet = unlock.unlock_now(path, use_keyring=False, early=start_env_key(tmp_path / "o.db"))
    assert quiet.vault is None and not quiet.tried and calls == []
    task = asyncio.ensure_future(unlock.unlock_vault(path, use_keyring=False, quiet=quiet))
    qtbot.waitUntil(task.done, timeout=10000)
    task.result().close()
    assert len(calls) == 1 and calls[0] != threading.main_thread().name


def test_a_wrong_passphrase_found_before_the_loop_is_said_in_the_prompt(
    qtbot: Any, qloop: Any, qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "vault.db"
    Vault.open(path, passphrase=TEST_PASSPHRASE, use_keyring=False).close()
    monkeypatch.setenv("OCPI_ONBOARD_PASSPHRASE", "not the passphrase")
    quiet = unlock.unlock_now(path, use_keyring=False, early=start_env_key(path))
    assert quiet.vault is None and quiet.tried and "does not unlock" in quiet.notice
    task = asyncio.ensure_future(unlock.unlock_vault(path, use_keyring=False, quiet=quiet))
    _answer_the_prompt_after_a_wrong_env_passphrase(qtbot, qapp, task)


def _trace(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("vault-key:")]


def test_run_gui_takes_the_key_the_launch_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The packaged app's runtime hook starts the key (start_launch_key) for the vault the
    settings name; run_gui's take_or_start hands that same derivation on, once."""
    path = tmp_path / "vault.db"
    Vault.open(path, passphrase=TEST_PASSPHRASE, use_keyring=False).close()
    settings_file = tmp_path / "settings.json"
    save_settings(Settings(vault_path=str(path)), settings_file)
    monkeypatch.setenv("OCPI_ONBOARD_PASSPHRASE", TEST_PASSPHRASE)
    monkeypatch.setenv(key_ahead.TRACE_ENV, "1")
    calls = _no_second_derivation(monkeypatch)
    start_launch_key(["--gui", "--settings", str(settings_file)])
    assert _trace(capsys) == ["vault-key: derivation started (launch)"]
    early = key_ahead.take_or_start(path)
    assert early is not None and _trace(capsys) == []  # nothing new started
    quiet = unlock.unlock_now(path, use_keyring=False, early=early)
    assert isinstance(quiet.vault, Vault) and quiet.tried
    quiet.vault.close()
    assert calls == []
    # taken once: a later open (another window's) derives on its own
    again = key_ahead.take_or_start(path)
    assert again is not None and again is not early
    assert _trace(capsys) == ["vault-key: derivation started (open)"]
    again.future.result()


def test_a_launch_key_for_another_passphrase_or_file_is_not_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "vault.db"
    monkeypatch.setenv("OCPI_ONBOARD_PASSPHRASE", "the launch's passphrase")
    start_launch_key(["--vault", str(path)])
    monkeypatch.setenv("OCPI_ONBOARD_PASSPHRASE", TEST_PASSPHRASE)
    fresh = key_ahead.take_or_start(path)
    assert fresh is not None and fresh.passphrase == TEST_PASSPHRASE
    start_launch_key(["--vault", str(tmp_path / "other.db")])
    other = key_ahead.take_or_start(path)
    assert other is not None and other.path == path
    for ahead in (fresh, other):
        ahead.future.result()


def test_a_launch_the_gui_refuses_starts_nothing_and_prints_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--help or a bad option: run_gui says so; the hook stays silent and derives nothing."""
    monkeypatch.setenv("OCPI_ONBOARD_PASSPHRASE", TEST_PASSPHRASE)
    monkeypatch.setenv(key_ahead.TRACE_ENV, "1")
    for argv in (["--gui", "--help"], ["--gui", "--no-such-option"]):
        start_launch_key(argv)
        assert capsys.readouterr() == ("", "")
        assert key_ahead._launch is None
