"""Opening the vault from the GUI: keyring or passphrase, key derivation off the UI thread.

`unlock_vault` tries OCPI_ONBOARD_PASSPHRASE, then the OS keyring; when the vault is locked
it asks for the passphrase (a new vault: choose one). scrypt runs in a worker thread
(loop.run_in_executor) so the window stays responsive; the SQLite connection is opened on
the UI thread, which is the thread that uses it.

`unlock_now` is the same first two steps without the asyncio loop: the app opens the vault
with it (the key derived ahead, or the keyring) and shows the main window before asyncio
and qasync load (issue 13); only a question (or a key not derived ahead) needs the loop.
This module therefore does not import asyncio at load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.diagnosis import Diagnosis
from app.gui.widgets import Banner, muted
from app.vault import (
    Vault,
    VaultError,
    default_vault_path,
    derive_key,
    is_database_url,
    keyring_usable,
    redact_url,
)
from app.vault.key_ahead import KeyAhead
from app.vault.keys import PASSPHRASE_ENV, env_passphrase

if TYPE_CHECKING:
    import asyncio

MIN_NEW_PASSPHRASE = 8
MIN_WIDTH = 460
ASK = ("vault.locked", "vault.wrong_passphrase")
WRONG_ENV = f"{PASSPHRASE_ENV} is set but does not unlock this vault; enter the passphrase."


class PassphraseDialog(QDialog):
    """Asks for the vault's passphrase (or a new one); `submitted` carries it."""

    submitted = Signal(str)

    def __init__(
        self,
        new: bool,
        path: Path | str | None = None,
        parent: QWidget | None = None,
        notice: str = "",
    ) -> None:
        super().__init__(parent)
        self.new = new
        self.setWindowTitle(f"{'Create' if new else 'Unlock'} the vault — OCPI Onboard")
        layout = QVBoxLayout(self)
        # one size, its content's: a resizable dialog got the window manager's resize
        # handle, which under its bottom edge read as a strip of another window behind
        # it (session 22 walk, openbox); nothing here gains from a bigger dialog
        layout.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)
        margins = layout.contentsMargins()
        layout.addStrut(MIN_WIDTH - margins.left() - margins.right())  # at least this wide
        title = QLabel("Create the vault: choose a passphrase" if new else "Unlock the vault")
        title.setObjectName("PageTitle")
        layout.addWidget(title)
        layout.addWidget(
            muted(
                "Partner tokens are stored encrypted under a key derived from this passphrase. "
                "There is no way to recover it."
                if new
                else "Enter the passphrase that protects your stored partner tokens."
            )
        )
        if path is not None:
            where = muted(str(path))
            where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(where)
        form = QFormLayout()
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        form.addRow("&Passphrase", self.passphrase)
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm.setAccessibleName("Repeat passphrase")
        if new:
            form.addRow("&Repeat", self.confirm)
        layout.addLayout(form)
        self.error = Banner()
        layout.addWidget(self.error)
        if notice:  # e.g. OCPI_ONBOARD_PASSPHRASE was set but did not open this vault
            self.error.show_message("warning", notice)
        self.busy = muted("")
        layout.addWidget(self.busy)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Create vault" if new else "Unlock")
        ok.setAccessibleName("Create vault" if new else "Unlock")
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)

    def _on_buttons_accepted(self) -> None:
        text = self.passphrase.text()
        if self.new:
            if len(text) < MIN_NEW_PASSPHRASE:
                self.error.show_message("error", f"Use at least {MIN_NEW_PASSPHRASE} characters.")
                return
            if text != self.confirm.text():
                self.error.show_message("error", "The two passphrases differ.")
                return
        if not text:
            self.error.show_message("error", "Enter the passphrase.")
            return
        self.set_busy(True)
        self.submitted.emit(text)

    def set_busy(self, busy: bool) -> None:
        self.buttons.setEnabled(not busy)
        self.passphrase.setEnabled(not busy)
        self.confirm.setEnabled(not busy)
        self.busy.setText("Deriving the key…" if busy else "")
        if busy:
            self.error.hide()

    def show_diagnosis(self, diagnosis: Diagnosis) -> None:
        self.set_busy(False)
        self.error.show_diagnosis(diagnosis, "Could not unlock")
        self.passphrase.selectAll()
        self.passphrase.setFocus()


async def open_with_passphrase(
    path: Path | str | None, passphrase: str, early: KeyAhead | None = None
) -> Vault:
    """Derive the key in a worker thread (or take the one `early` derived for this path and
    passphrase), then open the vault on this (the UI) thread."""
    import asyncio

    if early is not None and early.matches(path, passphrase):
        derived = await asyncio.wrap_future(early.future)
    else:
        loop = asyncio.get_running_loop()
        params = Vault.kdf_params(path)
        derived = await loop.run_in_executor(None, derive_key, passphrase, params)
    return Vault.open(path, derived, use_keyring=False)


def _where(path: Path | str | None, use_keyring: bool) -> tuple[Path | str, bool]:
    """The vault's file (or team URL) and whether the keyring may be asked."""
    if is_database_url(path):  # a team vault opens with the member's own passphrase only
        return str(path).strip(), False
    return (Path(path).expanduser() if path is not None else default_vault_path()), use_keyring


@dataclass
class QuietTry:
    """What `unlock_now` found without asking: the vault, or what `unlock_vault` still does."""

    vault: Vault | None = None
    tried: bool = False  # the environment's passphrase and the keyring were tried
    notice: str = ""  # for the prompt: the environment's passphrase did not unlock it


def _from_keyring(path: Path | str, use_keyring: bool) -> QuietTry:
    if use_keyring and keyring_usable():
        try:
            return QuietTry(Vault.open(path, use_keyring=True), True)
        except VaultError as exc:
            if exc.code not in ASK:
                raise
    return QuietTry(tried=True)


def unlock_now(
    path: Path | str | None, *, use_keyring: bool = True, early: KeyAhead | None = None
) -> QuietTry:
    """Open the vault without the event loop when no question is needed and no key has to
    be derived here: OCPI_ONBOARD_PASSPHRASE with the key `early` derived for this file
    (this waits for that thread), else the OS keyring. The same order and the same errors
    as `unlock_vault`, which takes over (`quiet=`) when `.vault` is None."""
    path, use_keyring = _where(path, use_keyring)
    env = env_passphrase()
    if env:
        if early is None or not early.matches(path, env):
            return QuietTry()  # derived off the UI thread by unlock_vault, as always
        try:
            return QuietTry(Vault.open(path, early.future.result(), use_keyring=False), True)
        except VaultError as exc:
            if exc.code not in ASK:
                raise
            return QuietTry(tried=True, notice=WRONG_ENV)
    return _from_keyring(path, use_keyring)


async def _without_asking(path: Path | str, use_keyring: bool, early: KeyAhead | None) -> QuietTry:
    """`unlock_now`'s steps, the key derived off the UI thread when none was derived ahead."""
    env = env_passphrase()
    if env:
        try:
            return QuietTry(await open_with_passphrase(path, env, early), True)
        except VaultError as exc:
            if exc.code not in ASK:
                raise
            return QuietTry(tried=True, notice=WRONG_ENV)
    return _from_keyring(path, use_keyring)


async def unlock_vault(
    path: Path | str | None,
    *,
    use_keyring: bool = True,
    parent: QWidget | None = None,
    before_prompt: Callable[[], None] | None = None,
    early: KeyAhead | None = None,
    quiet: QuietTry | None = None,
) -> Vault | None:
    """The open vault, or None if the person cancelled. VaultError for other failures.

    `early`: the key app.vault.key_ahead started deriving from OCPI_ONBOARD_PASSPHRASE.
    `quiet`: what `unlock_now` already tried (its vault, if any, is returned as is)."""
    import asyncio

    path, use_keyring = _where(path, use_keyring)
    first = quiet if quiet is not None and quiet.tried else None
    if first is None:
        first = await _without_asking(path, use_keyring, early)
    if first.vault is not None:
        return first.vault
    notice = first.notice
    if isinstance(path, str):
        new, shown = Vault.kdf_params(path) is None, redact_url(path)
    else:
        new, shown = not (path.exists() and path.stat().st_size > 0), str(path)
    if before_prompt is not None:
        before_prompt()
    dialog = PassphraseDialog(new, shown, parent, notice)
    loop = asyncio.get_running_loop()
    while True:
        answer: asyncio.Future[str | None] = loop.create_future()

        def on_submit(text: str, fut: asyncio.Future[str | None] = answer) -> None:
            if not fut.done():
                fut.set_result(text)

        def on_reject(fut: asyncio.Future[str | None] = answer) -> None:
            if not fut.done():
                fut.set_result(None)

        dialog.submitted.connect(on_submit)
        dialog.rejected.connect(on_reject)
        dialog.open()
        try:
            text = await answer
        finally:
            dialog.submitted.disconnect(on_submit)
            dialog.rejected.disconnect(on_reject)
        if text is None:
            dialog.deleteLater()
            return None
        try:
            vault = await open_with_passphrase(path, text)
        except VaultError as exc:
            if exc.code not in ASK:
                dialog.deleteLater()
                raise
            dialog.show_diagnosis(exc.diagnosis)
            continue
        dialog.accept()
        dialog.deleteLater()
        return vault
