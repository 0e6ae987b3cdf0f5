"""Inviting a partner as credentials Receiver: Issue, Wait, Confirm.

We issue a TOKEN_A and show it (masked, Reveal/Copy) with our versions URL to send out of
band; then wait, with live progress, for the partner to register; then confirm. Cancel
stops waiting and revokes an invitation nobody answered.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.http import is_loopback_host
from app.gui.checklist import StepChecklist
from app.gui.clipboard import SecretClipboard
from app.gui.controller import Controller
from app.gui.flows import InviteFlow, Phase
from app.gui.models import roles_text, status_key, status_text
from app.gui.theme import mono_font
from app.gui.widgets import (
    Banner,
    CopyField,
    Pill,
    card,
    mono_label,
    muted,
    section_title,
)
from app.gui.wizard_base import FlowPage, FlowWizard

MASK = "•" * 24


class IssuePage(FlowPage):
    """Step 1: a new TOKEN_A and our versions URL, to hand over out of band."""

    def __init__(self, flow: InviteFlow, clipboard: SecretClipboard) -> None:
        super().__init__(
            "Invite a partner",
            "We issue a TOKEN_A. Send it and our versions URL to the partner, "
            "preferably over two different channels.",
        )
        self.flow = flow
        self.clipboard = clipboard
        layout = self.body
        box = card()
        form = QFormLayout(box)
        form.setContentsMargins(16, 14, 16, 14)
        form.setVerticalSpacing(8)
        self.url = CopyField("Our versions URL")
        self.url.copyRequested.connect(clipboard.copy_text)
        token_row = QWidget()
        row = QHBoxLayout(token_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.token_edit = QLineEdit()
        self.token_edit.setReadOnly(True)
        self.token_edit.setFont(mono_font())
        self.token_edit.setAccessibleName("TOKEN_A")
        self.reveal = QPushButton("&Reveal")
        self.reveal.setCheckable(True)
        self.reveal.setAccessibleName("Reveal TOKEN_A")
        self.copy = QPushButton("&Copy")
        self.copy.setAccessibleName("Copy TOKEN_A")
        row.addWidget(self.token_edit, 1)
        row.addWidget(self.reveal)
        row.addWidget(self.copy)
        form.addRow("Our versions URL", self.url)
        form.addRow("TOKEN_A", token_row)
        self.fingerprint = muted()
        form.addRow("", self.fingerprint)
        layout.addWidget(box)
        self.reach = Banner()
        layout.addWidget(self.reach)
        self.error = Banner()
        layout.addWidget(self.error)
        self.copied = muted()
        layout.addWidget(self.copied)
        layout.addStretch(1)
        self.reveal.toggled.connect(self._on_reveal_toggled)
        self.copy.clicked.connect(self._on_copy_clicked)
        clipboard.cleared.connect(lambda: self.copied.setText("The clipboard was cleared."))
        flow.changed.connect(self._on_flow_changed)

    def initializePage(self) -> None:
        self.flow.issue()
        self._on_flow_changed()

    def isComplete(self) -> bool:
        return self.flow.invitation is not None

    def _on_reveal_toggled(self, shown: bool) -> None:
        invitation = self.flow.invitation
        self.token_edit.setText(
            invitation.token_a.reveal() if shown and invitation else (MASK if invitation else "")
        )
        self.reveal.setText("&Hide" if shown else "&Reveal")

    def _on_copy_clicked(self) -> None:
        invitation = self.flow.invitation
        if invitation is not None:
            self.clipboard.copy_secret(invitation.token_a.reveal())
            self.copied.setText(
                f"TOKEN_A {invitation.token_a.fingerprint} copied; "
                f"the clipboard is cleared in {self.clipboard.clear_after_ms // 1000} s."
            )

    def _on_flow_changed(self) -> None:
        invitation = self.flow.invitation
        self.copy.setEnabled(invitation is not None)
        self.reveal.setEnabled(invitation is not None)
        if invitation is not None:
            self.url.set_text(invitation.versions_url)
            if not self.reveal.isChecked():
                self.token_edit.setText(MASK)
            self.fingerprint.setText(
                f"Fingerprint {invitation.token_a.fingerprint}: valid for one registration."
            )
            host = urlsplit(invitation.versions_url).hostname
            if is_loopback_host(host):
                self.reach.show_message(
                    "warning",
                    "Reachable from this computer only",
                    f"{host} cannot be reached by a partner elsewhere.",
                    "Set a public URL (and listen address) in Settings for a real partner; "
                    "the sandbox partner works as is.",
                )
            else:
                self.reach.hide()
        if self.flow.phase == Phase.FAILED and self.flow.diagnosis and invitation is None:
            self.error.show_diagnosis(self.flow.diagnosis, "Could not issue an invitation")
        else:
            self.error.hide()
        self.notify_complete()


class WaitPage(FlowPage):
    """Step 2: wait for the partner's registration, with live progress."""

    def __init__(self, flow: InviteFlow) -> None:
        super().__init__(
            "Wait for the partner",
            "The partner registers with our versions URL and TOKEN_A; each step appears here.",
        )
        self.flow = flow
        layout = self.body
        box = card()
        inner = QVBoxLayout(box)
        inner.setContentsMargins(16, 14, 16, 14)
        self.checklist = StepChecklist()
        inner.addWidget(self.checklist)
        self.elapsed = muted()
        inner.addWidget(self.elapsed)
        layout.addWidget(box)
        self.demo = card()
        demo = QHBoxLayout(self.demo)
        demo.setContentsMargins(16, 10, 16, 10)
        demo_text = QVBoxLayout()
        demo_text.addWidget(section_title("No partner at hand?"))
        demo_text.addWidget(
            muted("A demo eMSP on this computer can register with this invitation.")
        )
        demo.addLayout(demo_text, 1)
        self.demo_button = QPushButton("Let the &sandbox partner register")
        self.demo_button.setAccessibleName("Let the sandbox partner register")
        self.demo_button.clicked.connect(self._on_demo_button_clicked)
        demo.addWidget(self.demo_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.demo)
        self.mixup = Banner()
        layout.addWidget(self.mixup)
        self.error = Banner()
        self.retry = self.error.add_button("&Wait again", "Wait again")
        self.retry.clicked.connect(self._on_retry_clicked)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self._started = 0.0
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._on_tick_timeout)
        flow.changed.connect(self._on_flow_changed)

    def initializePage(self) -> None:
        self._started = time.monotonic()
        self.flow.wait()
        self._tick.start()
        self._on_flow_changed()

    def cleanupPage(self) -> None:
        self._tick.stop()
        self.flow.stop_waiting()

    def isComplete(self) -> bool:
        return self.flow.phase == Phase.DONE

    def holds_back(self) -> bool:
        """Registered: Back showed the spent TOKEN_A as "valid for one registration" and
        Next would wait on it again (seen in a real window)."""
        return self.flow.phase == Phase.DONE

    def _on_demo_button_clicked(self) -> None:
        self.demo_button.setEnabled(False)
        self.flow.let_demo_partner_register()

    def _on_retry_clicked(self) -> None:
        self._started = time.monotonic()
        self.flow.wait()

    def _on_tick_timeout(self) -> None:
        if self.flow.phase == Phase.RUNNING:
            seconds = int(time.monotonic() - self._started)
            self.elapsed.setText(f"Waiting: {seconds // 60:d}:{seconds % 60:02d} so far …")
        else:
            self._tick.stop()

    def _on_flow_changed(self) -> None:
        flow = self.flow
        self.checklist.set_steps(flow.steps, [s.key for s in flow.steps if s.key != "issue"])
        self.mixup.show_mixups(flow.confusions)
        if flow.phase == Phase.DONE:
            self.elapsed.setText("The partner is registered.")
            self.demo.hide()
        if flow.phase == Phase.FAILED and flow.diagnosis is not None:
            self.error.show_diagnosis(flow.diagnosis)
        else:
            self.error.hide()
        self.notify_complete()


class InviteDonePage(FlowPage):
    """Step 3: who registered, the TOKEN_C we issued, the TOKEN_B we received."""

    def __init__(self, flow: InviteFlow) -> None:
        super().__init__(
            "Confirm",
            "The partner registered with us; TOKEN_A is spent and every token is stored encrypted.",
        )
        self.flow = flow
        self.setFinalPage(True)
        layout = self.body
        box = card()
        form = QFormLayout(box)
        form.setContentsMargins(16, 14, 16, 14)
        form.setVerticalSpacing(8)
        head = QHBoxLayout()
        self.partner_title = QLabel()
        self.partner_title.setObjectName("PartnerTitle")
        self.status = Pill("Registered", "registered")
        head.addWidget(self.partner_title, 1)
        head.addWidget(self.status)
        form.addRow(head)
        self.name = QLabel()
        self.roles = QLabel()
        self.version = QLabel()
        self.token_c = mono_label()
        self.token_b = mono_label()
        self.token_a = QLabel()
        form.addRow("Business name", self.name)
        form.addRow("Roles", self.roles)
        form.addRow("OCPI version", self.version)
        form.addRow("TOKEN_C (issued)", self.token_c)
        form.addRow("TOKEN_B (received)", self.token_b)
        form.addRow("TOKEN_A", self.token_a)
        layout.addWidget(box)
        self.warnings = Banner()
        layout.addWidget(self.warnings)
        layout.addStretch(1)

    def initializePage(self) -> None:
        result = self.flow.result
        if result is None or result.partner_id is None:
            return
        controller = self.flow.controller
        partner = controller.partner(result.partner_id)
        if partner is None:
            return
        self.partner_title.setText(partner.ref)
        # the verdict of the partners list, never a plain green: the demo eMSP, for one,
        # is gone once it registered (it read "Registered" in green, then failing in the list)
        health = controller.partner_health(partner)
        self.status.set_status(status_text(partner, health), status_key(partner, health))
        worst = health.worst if not health.ok else None
        if worst is not None and worst.level in ("failing", "warning"):
            self.warnings.show_message(
                "error" if worst.level == "failing" else "warning",
                f"Registered, but {worst.label}" if worst.label else "Registered, with a problem",
                worst.message,
                worst.hint,
            )
        else:
            self.warnings.hide()
        self.name.setText(partner.business_name)
        self.roles.setText(roles_text(partner))
        self.version.setText(partner.ocpi_version or "")
        self.token_c.setText(f"{result.token_c_fingerprint}   (the partner presents it to us)")
        outbound = [
            c
            for c in controller.credentials(result.partner_id)
            if c.role == "B" and c.direction == "outbound" and c.state == "active"
        ]
        self.token_b.setText(
            f"{outbound[-1].fingerprint}   (we present it to the partner)" if outbound else "—"
        )
        self.token_a.setText(f"{self.flow.token_fingerprint} is consumed and no longer accepted.")


class InviteWizard(FlowWizard):
    """Invite a partner as credentials Receiver."""

    def __init__(
        self, controller: Controller, clipboard: SecretClipboard, parent: QWidget | None = None
    ) -> None:
        self.invite_flow = InviteFlow(controller)
        super().__init__(
            self.invite_flow,
            ("Issue", "Wait", "Confirm"),
            "Invite a partner\n(we are the Receiver)",
            parent,
        )
        self.setWindowTitle("Invite partner — OCPI Onboard")
        self.issue_page = IssuePage(self.invite_flow, clipboard)
        self.wait_page = WaitPage(self.invite_flow)
        self.done_page = InviteDonePage(self.invite_flow)
        for page in (self.issue_page, self.wait_page, self.done_page):
            self.add(page)
        self.wait_page.setCommitPage(True)

    def partner_id(self) -> int | None:
        result = self.invite_flow.result
        return result.partner_id if result is not None and result.status == "registered" else None
