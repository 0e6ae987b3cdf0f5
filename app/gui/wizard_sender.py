"""Onboarding as credentials Sender: Receive, Discover, Register, Confirm.

The partner gave us TOKEN_A and their versions URL. Pages render the SenderFlow and forward
intents; the engine makes every protocol decision. Cancel (or closing the wizard) stops the
network work; the engine leaves the vault consistent. The pages live in sender_receive
(Receive) and sender_pages (Discover, Register, Confirm); this module assembles them.
"""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QMessageBox,
    QWidget,
)

from app.gui.clipboard import SecretClipboard
from app.gui.controller import Controller
from app.gui.flows import SenderFlow
from app.gui.sender_pages import ConfirmPage, DiscoverPage, RegisterPage
from app.gui.sender_receive import ReceivePage
from app.gui.wizard_base import FlowWizard
from app.vault import PartnerRecord

PAGE_RECEIVE, PAGE_DISCOVER, PAGE_REGISTER, PAGE_CONFIRM = range(4)
# Between two steps of a wizard built ahead: none, each is a posted event of its own, so
# the loop's other events and timers run between two (Qt never runs an event posted while
# it delivers others in the same pass). With 5 ms, a wizard reopened ~60 ms after one
# closed (ui_latency's handshakes) found half its steps left: open + first paint 27-32 ms
# median against 9-12 ms now (main d563e4e's fewer, larger steps: 12-18 ms).
AHEAD_GAP_MS = 0
_DONE = object()
_SPARE = "_sender_wizard_ahead"  # the parent's attribute holding the wizard built ahead


def _callback_settings(controller: Controller) -> tuple[str, str]:
    """What the Receive page reads from the settings once, when it is built."""
    s = controller.settings
    return (s.callback_mode, s.own_versions_url or "")


class SenderWizard(FlowWizard):
    """Onboard a partner as credentials Sender.

    `SenderWizard.ready` hands out the wizard built ahead while the window was idle (a
    slice per loop turn, after the previous one closed), so opening it only shows it
    (issue 13: building and polishing the pages on open stopped the UI for 20-35 ms).
    """

    settingsRequested = Signal()

    def __init__(
        self,
        controller: Controller,
        clipboard: SecretClipboard,
        parent: QWidget | None = None,
        *,
        ahead: bool = False,
    ) -> None:
        self.sender_flow = SenderFlow(controller)
        super().__init__(
            self.sender_flow,
            ("Receive", "Discover", "Register", "Confirm"),
            "Onboard a partner\n(we are the Sender)",
            parent,
        )
        self.setWindowTitle("Onboard partner — OCPI Onboard")
        self._callback_seen = _callback_settings(controller)
        self._pages_added = False
        self._steps: Iterator[None] | None = self._build(controller, clipboard)
        if ahead:  # the base above, then a step per turn
            QTimer.singleShot(AHEAD_GAP_MS, self, self._build_some)
        else:
            self.finish_building()

    def _build(self, controller: Controller, clipboard: SecretClipboard) -> Iterator[None]:
        """The wizard in steps, each well under a frame (a `yield` between two)."""
        self.receive_page = ReceivePage(self.sender_flow, controller, clipboard, in_steps=True)
        self.add(self.receive_page)  # its frame only: the cards come a step at a time
        yield
        for _ in self.receive_page.steps:
            yield
        yield
        self.discover_page = DiscoverPage(self.sender_flow)
        self.register_page = RegisterPage(self.sender_flow)
        self.confirm_page = ConfirmPage(self.sender_flow)
        for page in (self.discover_page, self.register_page, self.confirm_page):
            self.add(page)
        self.receive_page.settingsRequested.connect(self.settingsRequested)
        self.register_page.exportRequested.connect(self.exportRequested)
        controller.warm_up()
        self._pages_added = True
        for page in (self.discover_page, self.register_page, self.confirm_page):
            yield  # a wizard built ahead builds every page (else: after it shows)
            page.ensure_built()
        yield
        self.ensurePolished()

    def finish_building(self) -> None:
        """Every page added, now (it is about to show); the bodies of the later pages still
        come a turn at a time, before the first use of each."""
        while self._steps is not None and not self._pages_added:
            if next(self._steps, _DONE) is _DONE:
                self._steps = None

    def _build_some(self) -> None:
        if self._steps is None:
            return
        parent = self.parentWidget()
        if not self.isVisible() and (parent is None or not parent.isVisible()):
            self._drop()  # its window closed while it was being built: never used
            return
        try:
            step = next(self._steps, _DONE)
        except Exception:
            self._drop()  # a wizard half built is never handed out
            raise
        if step is _DONE:
            self._steps = None
        else:
            QTimer.singleShot(AHEAD_GAP_MS, self, self._build_some)

    def _drop(self) -> None:
        self._steps = None
        parent = self.parentWidget()
        if parent is not None and getattr(parent, _SPARE, None) is self:
            setattr(parent, _SPARE, None)
        self.deleteLater()

    @classmethod
    def ready(
        cls, controller: Controller, clipboard: SecretClipboard, parent: QWidget
    ) -> SenderWizard:
        """The wizard built ahead for `parent` if it still says what a new one would, else
        a new one; then the next is built ahead once this one closes."""
        spare: SenderWizard | None = getattr(parent, _SPARE, None)
        setattr(parent, _SPARE, None)
        if spare is not None and spare._callback_seen == _callback_settings(controller):
            spare.finish_building()
            wizard = spare
        else:
            if spare is not None:
                spare.deleteLater()
            wizard = cls(controller, clipboard, parent)
        wizard.finished.connect(
            lambda _r: QTimer.singleShot(
                AHEAD_GAP_MS, parent, lambda: cls.build_ahead(controller, clipboard, parent)
            )
        )
        return wizard

    @classmethod
    def build_ahead(
        cls, controller: Controller, clipboard: SecretClipboard, parent: QWidget
    ) -> None:
        """Start building a wizard for `parent`'s next open, a step per turn (none if one
        is built or being built, or the window is gone or closing)."""
        if getattr(parent, _SPARE, None) is None and parent.isVisible() and not controller.closing:
            setattr(parent, _SPARE, cls(controller, clipboard, parent, ahead=True))

    def _close_flow(self) -> None:
        super()._close_flow()
        self.receive_page.token.setText("")  # the pasted TOKEN_A leaves the widget with the wizard
        self.receive_page.token_b.setText("")

    def confirm_replace(self, twin: PartnerRecord) -> bool:
        """Registering again replaces a registration: say what happens, ask first.

        "Working" only when its health says so (it said "registered and working" of a row
        whose sandbox was gone, failing in the list behind the dialog)."""
        controller = self.sender_flow.controller
        tokens = [
            c.fingerprint for c in controller.credentials(twin.id or 0) if c.state == "active"
        ]
        health = controller.partner_health(twin) if twin.id is not None else None
        working = health is not None and health.ok
        how = "registered and working" if working else "registered"
        if health is not None and not working and (health.badge or health.level):
            # the list's words for it, quoted: "registered, but drift" read as a slip
            how += f"; the list says “{health.badge or health.level}”"
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Replace a working registration?" if working else "Replace the registration?",
            f"{twin.ref} is already {how}." + (f" We hold {', '.join(tokens)}." if tokens else ""),
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setInformativeText(
            "Registering again spends this TOKEN_A. If the partner registers us again, the"
            " current registration is replaced: its tokens are retired here, the row stays"
            " in the list as Replaced, and the partner usually drops the old tokens too."
            " If the new registration fails, the current one is kept as it is."
        )
        go = box.addButton("&Register again", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is go

    def prefill(
        self, versions_url: str, token_a: str, ocpi_version: str | None, spent: str = ""
    ) -> None:
        """Retry of a failed row: its URL and version; TOKEN_A only while unspent."""
        page = self.receive_page
        page.url_edit.setText(versions_url)
        page.token.setText(token_a)
        index = page.version_combo.findData(ocpi_version or "")
        page.version_combo.setCurrentIndex(max(index, 0))
        note = (
            "The partner's versions URL and the unspent TOKEN_A are filled in."
            if token_a
            else f"The partner's versions URL is filled in. TOKEN_A {spent} is spent:"
            " ask the partner for a new one."
            if spent
            else "The partner's versions URL is filled in; paste the TOKEN_A."
        )
        page.sandbox_banner.show_message("info", "Retry the registration", note)
        if not token_a:
            page.token.edit.setFocus()

    def start_sandbox(self, fault: str = "none") -> None:
        self.setWindowTitle("Onboard the sandbox partner — OCPI Onboard")
        self.sender_flow.start_sandbox(fault)

    def partner_id(self) -> int | None:
        result = self.sender_flow.result
        return result.partner_id if result is not None and result.status == "registered" else None
