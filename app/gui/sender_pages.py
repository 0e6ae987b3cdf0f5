"""The Sender wizard's later pages: Discover, Register, Confirm.

Split out of wizard_sender (issue 10: no module over 500 lines). Each page renders the
SenderFlow's state for one step and forwards intents; none knows the wizard around it.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWizard,
)

from app.engine import Discovery
from app.engine.health import Health
from app.gui.checklist import StepChecklist
from app.gui.flows import Phase, SenderFlow
from app.gui.models import roles_text, status_key, status_text
from app.gui.theme import mono_font
from app.gui.widgets import (
    Banner,
    Pill,
    card,
    mono_label,
    muted,
    section_title,
)
from app.gui.wizard_base import FlowPage

REGISTER_BUTTON = "&Register >"
SPEND_NOTE = (
    "Register sends our credentials to the partner with TOKEN_A; the partner then"
    " retires TOKEN_A, so it cannot be used again."
)


class DiscoverPage(FlowPage):
    """Step 2: the partner's versions and modules, and the version we will speak.

    Going on from here starts the registration and spends TOKEN_A, so the forward button
    says Register and the page says what it does before anyone presses it.
    """

    def __init__(self, flow: SenderFlow) -> None:
        super().__init__(
            "Discover the partner",
            "With TOKEN_A we read the partner's versions and the endpoints of the shared version.",
            later=True,
        )
        self.flow = flow
        self.setButtonText(QWizard.WizardButton.NextButton, REGISTER_BUTTON)

    def build(self) -> None:
        flow = self.flow
        layout = self.body
        self.checklist = StepChecklist()
        layout.addWidget(self.checklist)
        self.summary = card()
        s = QVBoxLayout(self.summary)
        s.setContentsMargins(16, 12, 16, 12)
        head = QHBoxLayout()
        self.versions_label = QLabel()
        self.versions_label.setWordWrap(True)
        self.negotiated = Pill()
        head.addWidget(self.versions_label, 1)
        head.addWidget(self.negotiated)
        s.addLayout(head)
        self.credentials_url = muted()
        self.credentials_url.setFont(mono_font())
        s.addWidget(self.credentials_url)
        s.addWidget(section_title("Modules the partner offers"))
        self.modules = QTableWidget(0, 3)
        self.modules.setHorizontalHeaderLabels(["Module", "Role", "URL"])
        self.modules.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.modules.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.modules.verticalHeader().setVisible(False)
        self.modules.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.modules.setAccessibleName("Partner modules")
        self.modules.setTabKeyNavigation(False)  # Tab goes on to the buttons
        self.modules.setMinimumHeight(150)
        s.addWidget(self.modules, 1)
        layout.addWidget(self.summary, 1)
        self.warnings = Banner()
        layout.addWidget(self.warnings)
        self.error = Banner()
        self.retry = self.error.add_button("&Retry", "Retry discovery")
        self.retry.clicked.connect(flow.discover)
        layout.addWidget(self.error)
        self.spend_note = Banner()
        layout.addWidget(self.spend_note)
        # the room the summary leaves when hidden (a failed discovery): without it the
        # checklist's rows and the failure banner were spread over the whole page
        layout.addStretch(0)
        self._shown: Discovery | None = None
        flow.changed.connect(self._on_flow_changed)
        self._on_flow_changed()

    def initializePage(self) -> None:
        super().initializePage()
        self.flow.discover()

    def cleanupPage(self) -> None:
        if self.flow.phase == Phase.BUSY:
            self.flow.cancel()

    def isComplete(self) -> bool:
        return self.flow.phase == Phase.READY

    def validatePage(self) -> bool:
        """Register spends TOKEN_A: if this partner already has a working registration, ask."""
        twin = self.flow.live_twin()
        if twin is None:
            return True
        wizard = self.wizard()
        ask = getattr(wizard, "confirm_replace", None)
        return bool(ask(twin)) if ask is not None else True

    def _on_flow_changed(self) -> None:
        flow = self.flow
        self.checklist.set_steps(flow.steps, ("versions", "details"))
        d = flow.discovery
        self.summary.setVisible(d is not None)
        if d is not None and d is not self._shown:
            self._shown = d
            self.versions_label.setText(
                f"The partner offers OCPI <b>{', '.join(d.versions) or 'none'}</b>."
            )
            self.negotiated.set_status(
                f"We use {d.chosen_version}" if d.chosen_version else "No common version",
                "ok" if d.chosen_version else "error",
            )
            self.credentials_url.setText(f"Credentials endpoint: {d.credentials_url or 'none'}")
            self.modules.setRowCount(len(d.modules))
            for row, (identifier, role, url) in enumerate(d.modules):
                for col, text in enumerate((identifier, role or "", url)):
                    item = QTableWidgetItem(text)
                    if col == 2:
                        item.setFont(mono_font())
                    self.modules.setItem(row, col, item)
            self.modules.resizeColumnToContents(0)
            self.modules.resizeColumnToContents(1)
            if d.warnings:
                first = d.warnings[0]
                more = f" (+{len(d.warnings) - 1} more in the log)" if len(d.warnings) > 1 else ""
                self.warnings.show_diagnosis(
                    first, ("Token mix-up" if first.token_confusion else "Note") + more
                )
            else:
                self.warnings.hide()
        elif d is None:
            self._shown = None
            self.warnings.hide()
        if flow.phase == Phase.FAILED and flow.diagnosis is not None:
            # Back from a failed Register lands here with Next disabled: say why
            self.error.show_diagnosis(
                flow.diagnosis,
                "Discovery failed" if flow.failed_stage == "discover" else "Registration failed",
            )
            # Retry discovers again with TOKEN_A: once it left with our credentials the
            # partner may have retired it, and the retry ended in a 401 that blamed the
            # token's encoding (seen in a real window); Back shows TOKEN_A is spent
            token = flow.token_a
            self.retry.setVisible(token is None or token.fingerprint not in flow.spent_tokens)
        else:
            self.error.hide()
        if flow.phase == Phase.READY:  # said before Register is pressed, never after
            self.spend_note.show_message("info", "Register spends TOKEN_A", SPEND_NOTE)
        else:
            self.spend_note.hide()
        self.notify_complete()


class RegisterPage(FlowPage):
    """Step 3: TOKEN_B, the POST, and the partner's calls back to us, live."""

    exportRequested = Signal(str)

    def __init__(self, flow: SenderFlow) -> None:
        super().__init__(
            "Register with the partner",
            "We send our credentials with a new TOKEN_B; the partner checks our endpoints "
            "and answers with TOKEN_C.",
            later=True,
        )
        self.flow = flow
        self.setCommitPage(True)

    def build(self) -> None:
        layout = self.body
        box = card()
        inner = QVBoxLayout(box)
        inner.setContentsMargins(16, 14, 16, 14)
        self.checklist = StepChecklist()
        inner.addWidget(self.checklist)
        layout.addWidget(box)
        self.mixup = Banner()
        layout.addWidget(self.mixup)
        self.error = Banner()
        self.export = self.error.add_button("&Export transcript…", "Export transcript")
        self.export.clicked.connect(self._on_export_clicked)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.flow.changed.connect(self._on_flow_changed)
        self._on_flow_changed()  # the checklist's rows made with the page, not on Next

    def initializePage(self) -> None:
        super().initializePage()
        self.flow.register()
        self._on_flow_changed()

    def cleanupPage(self) -> None:
        if self.flow.phase == Phase.RUNNING:
            self.flow.cancel()

    def isComplete(self) -> bool:
        return self.flow.phase == Phase.DONE

    def holds_back(self) -> bool:
        """Registered: Back led to Discover with Register disabled and no way on (seen in a
        real window); the only ways are Next (Confirm) and Cancel."""
        return self.flow.phase == Phase.DONE

    def _on_export_clicked(self) -> None:
        if self.flow.run_id:
            self.exportRequested.emit(self.flow.run_id)

    def _on_flow_changed(self) -> None:
        flow = self.flow
        keys = ("token_b", "post", "their_versions", "their_details", "token_c", "verify")
        self.checklist.set_steps(flow.steps, keys)
        failure = flow.diagnosis.code if flow.diagnosis is not None else None
        self.mixup.show_mixups([c for c in flow.confusions if c.get("code") != failure])
        if (
            flow.phase == Phase.FAILED
            and flow.diagnosis is not None
            and flow.failed_stage == "register"
        ):
            self.error.show_diagnosis(
                flow.diagnosis, None if flow.diagnosis.token_confusion else "Registration failed"
            )
        else:
            self.error.hide()
        self.notify_complete()


class ConfirmPage(FlowPage):
    """Step 4: TOKEN_C by fingerprint, the verification, mutual discovery, stored."""

    def __init__(self, flow: SenderFlow) -> None:
        super().__init__(
            "Confirm",
            "The partner is registered; its TOKEN_C is stored encrypted in the vault.",
            later=True,
        )
        self.flow = flow
        self.health: Health | None = None
        self.setFinalPage(True)

    def build(self) -> None:
        layout = self.body
        box = card()
        grid = QFormLayout(box)
        grid.setContentsMargins(16, 14, 16, 14)
        grid.setVerticalSpacing(8)
        head = QHBoxLayout()
        self.partner_title = QLabel()
        self.partner_title.setObjectName("PartnerTitle")
        self.status = Pill()
        head.addWidget(self.partner_title, 1)
        head.addWidget(self.status)
        grid.addRow(head)
        self.name = QLabel()
        self.roles = QLabel()
        self.version = QLabel()
        self.token_c = mono_label()
        self.verified = QLabel()
        self.mutual = QLabel()
        self.stored = QLabel()
        for widget in (self.verified, self.mutual, self.stored):
            widget.setWordWrap(True)
        grid.addRow("Business name", self.name)
        grid.addRow("Roles", self.roles)
        grid.addRow("OCPI version", self.version)
        grid.addRow("TOKEN_C", self.token_c)
        grid.addRow("Verified", self.verified)
        grid.addRow("Mutual discovery", self.mutual)
        grid.addRow("Stored", self.stored)
        layout.addWidget(box)
        self.warnings = Banner()
        layout.addWidget(self.warnings)
        layout.addStretch(1)
        self.flow.changed.connect(self._render)
        self._render()  # a body built after the registration ended shows it at once

    def initializePage(self) -> None:
        super().initializePage()
        self._render()

    def _render(self) -> None:
        result = self.flow.result
        if result is None or result.status != "registered":
            return
        partner = (
            self.flow.controller.partner(result.partner_id)
            if result.partner_id is not None
            else None
        )
        peer = result.peer or {}
        ref = (
            partner.ref if partner else f"{peer.get('country_code', '')}-{peer.get('party_id', '')}"
        )
        self.partner_title.setText(ref)
        health = self.flow.controller.partner_health(partner) if partner is not None else None
        if partner is not None and health is not None:
            # the same verdict as the partners list and `peers show`: never a plain green
            # "Registered" when TOKEN_C is refused or mutual discovery is incomplete
            self.status.set_status(status_text(partner, health), status_key(partner, health))
        else:
            self.status.set_status("Registered", "registered")
        self.health = health
        self.name.setText(partner.business_name if partner else "")
        self.roles.setText(roles_text(partner) if partner else ", ".join(peer.get("roles", [])))
        self.version.setText(result.ocpi_version or "")
        self.token_c.setText(f"{result.token_c_fingerprint}   (we present it to the partner)")
        verify = self.flow.step("verify")
        self.verified.setText(
            "✓ The partner accepts TOKEN_C."
            if verify.state == "done"
            else f"! {verify.detail or 'Not verified.'}"
        )
        mutual = {
            "complete": "✓ Complete: the partner fetched our versions and our version details.",
            "incomplete": "! Incomplete: the partner did not fetch all of our endpoints.",
            "unknown": "Unknown: our platform serves our endpoint; check its logs.",
        }
        self.mutual.setText(mutual.get(result.mutual_discovery, result.mutual_discovery))
        self.stored.setText("✓ TOKEN_C and TOKEN_B stored encrypted; TOKEN_A is spent.")
        important = [w for w in result.warnings if w.code != "reg.discovery_unknown"]
        worst = health.worst if health is not None and not health.ok else None
        if worst is not None and worst.level in ("failing", "warning"):
            self.setSubTitle(
                "The partner registered us, but the connection does not work yet."
                if worst.level == "failing"
                else "The partner registered us; one thing still needs attention."
            )
            self.warnings.show_message(
                "error" if worst.level == "failing" else "warning",
                f"Registered, but {worst.label}" if worst.label else "Registered, with a problem",
                " ".join(f.message for f in health.findings if f.level != "unknown")
                if health is not None
                else worst.message,
                worst.hint,
            )
        elif important:
            first = important[0]
            more = f" (+{len(important) - 1} more in the log)" if len(important) > 1 else ""
            self.warnings.show_diagnosis(
                first, ("Token mix-up" if first.token_confusion else "Note") + more
            )
        else:
            self.warnings.hide()
