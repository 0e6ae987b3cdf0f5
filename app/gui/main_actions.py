"""The main window's actions: how they are built, what they ask, how their results read.

Split out of main_window (issue 10: no module over 500 lines): the QActions with their
shortcuts and tips, the toolbar and menus that hold them, the confirmation questions
asked before a partner-changing action, and the titles and texts of the results.
The window keeps the slots; this module only wires them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QMenu,
    QMessageBox,
    QToolBar,
    QToolButton,
    QWidget,
)

from app.sandbox import Fault
from app.sandbox.faults import FAULT_NOTES
from app.vault import PartnerRecord

if TYPE_CHECKING:
    from app.engine.results import RunResult
    from app.gui.main_window import MainWindow

RESULT_TITLES = {
    "resume": "Registration resumed",
    "rotate": "Credentials rotated",
    "unregister": "Unregistered",
    "check": "Connection OK",
}
FAILED_TITLES = {
    "resume": "Resume failed",
    "rotate": "Rotation failed",
    "unregister": "Unregister failed",
    "check": "Check failed",
}


def make_action(
    owner: QObject,
    text: str,
    slot: Callable[[], object],
    shortcut: str | None = None,
    tip: str = "",
) -> QAction:
    """An action whose slot is called with no arguments.

    `triggered` carries `checked` (False): connected directly, it would land in the
    slot's first parameter (open_sender_wizard's sandbox fault, setFocus's reason).
    """
    action = QAction(text, owner)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.setToolTip(tip or text.replace("&", "").rstrip("…"))
    action.setStatusTip(action.toolTip())
    action.triggered.connect(lambda _checked=False, run=slot: run())
    return action


def build_actions(window: MainWindow) -> None:
    """The actions, the toolbar and the menu bar (File, Partner, Sandbox, View, Help)."""
    window.onboard_action = make_action(
        window,
        "&Onboard partner…",
        window.open_sender_wizard,
        "Ctrl+N",
        "Register with a partner who gave you a TOKEN_A (we are the Sender)",
    )
    window.invite_action = make_action(
        window,
        "&Invite partner…",
        window.open_invite_wizard,
        "Ctrl+I",
        "Give a partner a TOKEN_A and wait for them to register (we are the Receiver)",
    )
    window.rotate_action = make_action(
        window,
        "&Rotate credentials…",  # it asks first (confirm_rotate)
        window.rotate_selected,
        "Ctrl+R",
        "Exchange new tokens with the selected partner (PUT)",
    )
    window.unregister_action = make_action(
        window,
        "&Unregister…",
        window.unregister_selected,
        None,
        "End the registration with the selected partner (DELETE)",
    )
    window.check_action = make_action(
        window,
        "&Check connection",
        window.check_selected,
        "F5",
        "Call the selected partner's versions with our token (GET)",
    )
    window.retry_action = make_action(
        window,
        "Re&try registration…",
        window.retry_selected,
        None,
        "Onboard this partner again in a new wizard (an unspent TOKEN_A is filled in)",
    )
    window.resume_action = make_action(
        window,
        "Resu&me registration",
        window.resume_selected,
        None,
        "Continue a registration that stopped mid-way (after a POST: TOKEN_A is probed first)",
    )
    window.forget_action = make_action(
        window,
        "&Forget…",
        window.forget_selected,
        None,
        "Retire the tokens this failed or unfinished row still holds (recorded in History)",
    )
    window.export_action = make_action(
        window,
        "&Export transcript…",
        window.open_export_for_selection,
        "Ctrl+E",
        "Write a redacted transcript of a run for support",
    )
    window.settings_action = make_action(
        window,
        "&Settings…",
        window.open_settings,
        "Ctrl+,",
        "Our identity, endpoint and network settings",
    )
    window.sandbox_action = make_action(
        window,
        "Onboard the &sandbox partner",
        lambda: window.open_sender_wizard(sandbox_fault="none"),
        "Ctrl+Shift+N",
        "A demo partner on this computer: a whole onboarding in seconds",
    )
    quit_action = make_action(window, "&Quit", window.close, "Ctrl+Q")
    # Ctrl+Q quits from every window of the app, not only this one: with --sandbox the
    # Sender wizard opens at start and is the active window, where a window-wide Quit
    # did nothing and the app never ended (issue 9). A modal dialog still blocks it.
    quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    toolbar = QToolBar("Actions")
    toolbar.setObjectName("Actions")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    for action in (window.onboard_action, window.invite_action):
        toolbar.addAction(action)
    toolbar.addSeparator()
    for action in (window.check_action, window.rotate_action, window.unregister_action):
        toolbar.addAction(action)
    toolbar.addSeparator()
    toolbar.addAction(window.export_action)
    # no expanding spacer: with one, QToolBar hid the last actions at 1024 px wide and
    # showed no extension button; a separator keeps the sandbox and settings apart
    toolbar.addSeparator()
    toolbar.addAction(window.sandbox_action)
    toolbar.addAction(window.settings_action)
    # short toolbar labels (menus keep the full text, tooltips explain): all fit at
    # 1024 px; narrower windows get the extension button (»), never a silent cut
    for action, short in (
        (window.check_action, "Check"),
        (window.rotate_action, "Rotate"),
        (window.export_action, "Export"),
        (window.sandbox_action, "Sandbox demo"),
    ):
        action.setIconText(short)
    extension = toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    if extension is not None:
        extension.setToolTip("More actions")
        extension.setAccessibleName("More actions")
    window.addToolBar(toolbar)
    window.toolbar = toolbar

    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(window.settings_action)
    file_menu.addSeparator()
    file_menu.addAction(quit_action)
    partner_menu = bar.addMenu("&Partner")
    partner_menu.addActions([window.onboard_action, window.invite_action])
    partner_menu.addSeparator()
    partner_menu.addActions([window.check_action, window.rotate_action, window.unregister_action])
    partner_menu.addSeparator()
    partner_menu.addActions([window.retry_action, window.resume_action, window.forget_action])
    partner_menu.addSeparator()
    partner_menu.addAction(window.export_action)
    sandbox_menu = bar.addMenu("&Sandbox")
    sandbox_menu.addAction(window.sandbox_action)
    faults = QMenu("Rehearse a &fault", window)
    for fault in Fault:
        if fault == Fault.NONE:
            continue
        action = QAction(fault.value, window)  # the CLI's --fault name; the tip says it
        action.setToolTip(FAULT_NOTES.get(fault, ""))
        action.setStatusTip(action.toolTip())
        action.triggered.connect(
            lambda _checked=False, f=fault.value: window.open_sender_wizard(sandbox_fault=f)
        )
        faults.addAction(action)
    faults.setToolTipsVisible(True)
    sandbox_menu.addMenu(faults)
    window.view_menu = bar.addMenu("&View")
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(make_action(window, "&About OCPI Onboard", window._on_about_triggered))


def _ask(parent: QWidget, title: str, text: str) -> bool:
    """Yes or Cancel, Cancel by default: each of these actions cannot be undone."""
    Button = QMessageBox.StandardButton
    answer = QMessageBox.question(parent, title, text, Button.Yes | Button.Cancel, Button.Cancel)
    return answer == Button.Yes


def ask_rotate(parent: QWidget, partner: PartnerRecord) -> bool:
    """Rotate asks first: both sides' old tokens stop working."""
    return _ask(
        parent,
        "Rotate credentials",
        f"Rotate the credentials with {partner.ref}? We send a new TOKEN_B (PUT) and the"
        " partner answers with a new TOKEN_C; the old tokens stop working on both sides.",
    )


def ask_forget(parent: QWidget, partner: PartnerRecord, live: list[str]) -> bool:
    """Forget asks first, naming the tokens it retires (`live`)."""
    nothing = "nothing is sent to the partner."
    # with no token to retire it read "Forget #5? nothing is sent…" (session 24 walk)
    said = (
        f"The tokens it still holds ({', '.join(live)}) are retired; {nothing}"
        if live
        else nothing.capitalize()
    )
    return _ask(
        parent,
        "Forget this row",
        f"Forget {partner.ref}? {said} The row and its history stay, marked as forgotten.",
    )


def ask_unregister(parent: QWidget, partner: PartnerRecord) -> bool:
    """Unregister asks first: a new registration needs a new TOKEN_A."""
    return _ask(
        parent,
        "Unregister partner",
        f"Unregister from {partner.ref}? Both sides' tokens stop working; a new registration "
        "needs a new TOKEN_A.",
    )


def result_text(kind: str, result: RunResult) -> str:
    """The banner text for an operation that finished."""
    peer = result.peer or {}
    ref = f"{peer.get('country_code', '')}-{peer.get('party_id', '')}"
    if kind == "rotate":
        return f"{ref}: we now present {result.token_c_fingerprint}; the old tokens are retired."
    if kind == "unregister":
        return f"{ref} no longer knows us; every token for it is revoked."
    if kind == "resume":
        if result.status == "registered":
            return f"{ref} registered: we present {result.token_c_fingerprint}."
        return f"Run {result.run_id[:8]} ended: {result.status}."
    return f"{ref} accepts {result.token_c_fingerprint} (OCPI {result.ocpi_version})."
