"""Onboarding as credentials Sender: Receive, Discover, Register, Confirm.

The partner gave us TOKEN_A and their versions URL. Pages render the SenderFlow and forward
intents; the engine makes every protocol decision. Cancel (or closing the wizard) stops the
network work; the engine leaves the vault consistent.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.diagnosis import Diagnosis, Severity
from app.core.inputs import (
    check_identity,
    check_token,
    check_versions_url,
    errors,
    normalise_token_input,
)
from app.core.profile import ProfileError
from app.core.tokens import Secret, TokenRole, generate_token
from app.engine import CallbackSettings, Discovery
from app.engine.health import Health
from app.gui.clipboard import SecretClipboard
from app.gui.controller import Controller
from app.gui.flows import Phase, SenderFlow
from app.gui.models import roles_text, status_key, status_text
from app.gui.profile_widgets import PartnerTypeBox
from app.gui.theme import mono_font
from app.gui.widgets import (
    Banner,
    HintList,
    Pill,
    SecretInput,
    StepChecklist,
    card,
    mono_label,
    muted,
    section_title,
)
from app.gui.wizard_base import FlowPage, FlowWizard
from app.vault import PartnerRecord

PAGE_RECEIVE, PAGE_DISCOVER, PAGE_REGISTER, PAGE_CONFIRM = range(4)
VERSION_CHOICES = (
    ("Negotiate (highest common version)", ""),
    ("2.3.0", "2.3.0"),
    ("2.2.1", "2.2.1"),
    ("2.1.1", "2.1.1"),
)


class ReceivePage(FlowPage):
    """Step 1: paste TOKEN_A and the versions URL, checked as you type; who we are; callback."""

    settingsRequested = Signal()

    def __init__(
        self, flow: SenderFlow, controller: Controller, clipboard: SecretClipboard
    ) -> None:
        super().__init__(
            "Receive the partner's invitation",
            "Paste what the partner sent you: their OCPI versions URL and TOKEN_A.",
            scrolls=True,  # a hub's partner type adds rows: at 1024x700 they scroll
        )
        self.flow = flow
        self.controller = controller
        self.clipboard = clipboard
        layout = self.body

        self.sandbox_banner = Banner()
        layout.addWidget(self.sandbox_banner)

        box = card()
        form = QFormLayout(box)
        form.setContentsMargins(16, 14, 16, 14)
        form.setVerticalSpacing(6)
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://partner.example.com/ocpi/versions")
        self.url_edit.setFont(mono_font())
        self.url_edit.setAccessibleName("Partner versions URL")
        self.url_edit.setClearButtonEnabled(True)
        self.url_hints = HintList("A versions URL.")
        self.token = SecretInput("TOKEN_A")
        self.token.edit.setPlaceholderText("the token the partner gave you")
        self.token_hints = HintList()
        self.version_combo = QComboBox()
        self.version_combo.setAccessibleName("OCPI version")
        for text, value in VERSION_CHOICES:
            self.version_combo.addItem(text, value)
        form.addRow("Versions &URL", self.url_edit)
        form.addRow("", self.url_hints)
        form.addRow("&TOKEN_A", self.token)
        form.addRow("", self.token_hints)
        form.addRow("OCPI &version", self.version_combo)
        self.partner_type = PartnerTypeBox()
        type_label = QLabel("Partner &type")
        type_label.setBuddy(self.partner_type.combo)
        form.addRow(type_label, self.partner_type)
        layout.addWidget(box)

        who = card()
        who_layout = QHBoxLayout(who)
        who_layout.setContentsMargins(16, 10, 16, 10)
        self.identity_label = QLabel()
        self.identity_label.setWordWrap(True)
        self.identity_hints = HintList()
        text_col = QVBoxLayout()
        text_col.addWidget(section_title("We register as"))
        text_col.addWidget(self.identity_label)
        text_col.addWidget(self.identity_hints)
        who_layout.addLayout(text_col, 1)
        self.change_identity = QPushButton("&Change…")
        self.change_identity.setAccessibleName("Change our identity")
        self.change_identity.clicked.connect(self.settingsRequested)
        who_layout.addWidget(self.change_identity, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(who)

        self.callback_box = card()
        cb = QVBoxLayout(self.callback_box)
        cb.setContentsMargins(16, 10, 16, 12)
        cb.addWidget(section_title("Where the partner calls us back"))
        self.embedded_radio = QRadioButton("This app serves our endpoint (embedded)")
        self.embedded_radio.setAccessibleName("Callback mode: embedded")
        self.embedded_url = muted()
        self.embedded_url.setFont(mono_font())
        self.external_radio = QRadioButton("Our platform serves our versions endpoint")
        self.external_radio.setAccessibleName("Callback mode: our platform")
        group = QButtonGroup(self)
        group.addButton(self.embedded_radio)
        group.addButton(self.external_radio)
        self.embedded_radio.setChecked(True)
        self.external_fields = QWidget()
        ext = QFormLayout(self.external_fields)
        ext.setContentsMargins(24, 0, 0, 0)
        self.own_url_edit = QLineEdit()
        self.own_url_edit.setFont(mono_font())
        self.own_url_edit.setPlaceholderText("https://ocpi.our-company.example/versions")
        self.own_url_edit.setAccessibleName("Our platform's versions URL")
        self.token_b = SecretInput("TOKEN_B provisioned on our platform")
        self.generate_b = QPushButton("Generate")
        self.generate_b.setAccessibleName("Generate a TOKEN_B")
        self.generate_b.setToolTip(
            "Generate a TOKEN_B to provision on our platform (copied to the clipboard)"
        )
        row = QHBoxLayout()
        row.addWidget(self.token_b, 1)
        row.addWidget(self.generate_b)
        self.external_hints = HintList("Checked with TOKEN_B (pre-flight) before TOKEN_A is spent.")
        ext.addRow("Our versions URL", self.own_url_edit)
        ext.addRow("TOKEN_B", row)
        ext.addRow("", self.external_hints)
        cb.addWidget(self.embedded_radio)
        cb.addWidget(self.embedded_url)
        cb.addWidget(self.external_radio)
        cb.addWidget(self.external_fields)
        layout.addWidget(self.callback_box)
        layout.addStretch(1)

        self.url_edit.textChanged.connect(self._on_input_changed)
        self.token.textChanged.connect(self._on_input_changed)
        self.own_url_edit.textChanged.connect(self._on_input_changed)
        self.token_b.textChanged.connect(self._on_input_changed)
        self.embedded_radio.toggled.connect(self._on_input_changed)
        self.partner_type.changed.connect(self._on_input_changed)
        self.generate_b.clicked.connect(self._on_generate_b_clicked)
        controller.settingsChanged.connect(self._on_controller_settingsChanged)
        controller.endpointChanged.connect(self._on_controller_endpointChanged)
        flow.sandboxReady.connect(self._on_flow_sandboxReady)
        self._spent_seen = 0
        flow.changed.connect(self._on_flow_changed)
        engine = controller.engine_or_none
        if engine is not None and engine.embedded:
            self._on_controller_endpointChanged(engine.our_versions_url)
        else:
            self.embedded_url.setText("Started when needed, at the listen address in Settings.")
        self.external_radio.setChecked(controller.settings.callback_mode == "external")
        if controller.settings.own_versions_url:
            self.own_url_edit.setText(controller.settings.own_versions_url)
        self._on_controller_settingsChanged()

    # ---- rendering --------------------------------------------------------------------------
    def _identity_problems(self) -> list[Diagnosis]:
        s = self.controller.settings
        return check_identity(s.country_code, s.party_id, list(s.roles))

    def _on_controller_settingsChanged(self) -> None:
        s = self.controller.settings
        self.identity_label.setText(
            f"<b>{s.country_code.upper()}-{s.party_id.upper()}</b>"
            f" · {', '.join(s.roles) or 'no role'}"
            f" · {s.business_name or 'no business name'}"
        )
        self.identity_hints.set_hints(self._identity_problems(), empty=True)
        self._on_input_changed()

    def _on_controller_endpointChanged(self, url: str) -> None:
        self.embedded_url.setText(f"The partner calls {url}")

    def _on_flow_sandboxReady(self, url: str) -> None:
        token = self.flow.sandbox_token
        self.url_edit.setText(url)
        self.token.setText(token.reveal() if token else "")
        fault = self.flow.sandbox_fault or "none"
        extra = "" if fault == "none" else f" It rehearses the fault “{fault}”."
        self.sandbox_banner.show_message(
            "info",
            "Sandbox partner ready",
            "A demo partner runs on this computer; its versions URL and TOKEN_A"
            f" are filled in.{extra}",
            "Press Next to discover it.",
        )
        self.callback_box.hide()
        self.completeChanged.emit()

    def external(self) -> bool:
        return self.external_radio.isChecked()

    def _on_input_changed(self) -> None:
        allow = self.controller.settings.allow_insecure
        url = self.url_edit.text()
        self.url_hints.set_hints(
            check_versions_url(url, allow) if url.strip() else [], empty=not url.strip()
        )
        token = self.token.text()
        token_hints = check_token(token) if token else []
        spent = self._spent(token)
        if spent:
            token_hints = [spent, *token_hints]
        self.token_hints.set_hints(token_hints, empty=True)
        if token and not token_hints:
            self.token_hints.ok_text = (
                f"{Secret(token.strip(), TokenRole.A).fingerprint}: looks like a token."
            )
            self.token_hints.set_hints([])
        self.external_fields.setEnabled(self.external())
        if self.external():
            problems = []
            own = self.own_url_edit.text()
            if own.strip():
                problems += [
                    d
                    for d in check_versions_url(own, allow)
                    if d.code != "input.version_details_url"
                ]
            if self.token_b.text():
                problems += check_token(self.token_b.text())
            self.external_hints.set_hints(problems)
        self.completeChanged.emit()

    def _spent(self, token: str) -> Diagnosis | None:
        """A TOKEN_A that already left with our credentials (this wizard, or the row retried)."""
        if not token.strip():
            return None
        fingerprint = Secret(normalise_token_input(token), TokenRole.A).fingerprint
        if fingerprint not in self.flow.spent_tokens:
            return None
        return Diagnosis(
            "token.a_spent",
            f"TOKEN_A {fingerprint} is spent: it was sent with our credentials, so the partner"
            " may have used it up.",
            "Ask the partner for a new TOKEN_A and paste it here.",
        )

    def _on_flow_changed(self) -> None:
        if len(self.flow.spent_tokens) != self._spent_seen:
            self._spent_seen = len(self.flow.spent_tokens)
            self._on_input_changed()

    def _on_generate_b_clicked(self) -> None:
        value = generate_token()
        self.token_b.setText(value)
        self.clipboard.copy_secret(value)
        self.external_hints.ok_text = (
            "A new TOKEN_B is in the clipboard for 30 s: provision it on our platform;"
            " it is checked before TOKEN_A is spent."
        )
        self._on_input_changed()

    # ---- QWizardPage ----------------------------------------------------------------------------
    def isComplete(self) -> bool:
        url, token = self.url_edit.text(), self.token.text()
        if not url.strip() or not token.strip() or self._spent(token) is not None:
            return False
        allow = self.controller.settings.allow_insecure
        if (
            errors(check_versions_url(url, allow))
            or errors(check_token(token))
            or self._identity_problems()
            or self.partner_type.problem()
        ):
            return False
        if self.external():
            if not self.own_url_edit.text().strip() or not self.token_b.text().strip():
                return False
            if errors(check_token(self.token_b.text())) or errors(
                check_versions_url(self.own_url_edit.text(), allow)
            ):
                return False
        return not self.flow.controller.busy("sandbox")

    def callback(self) -> CallbackSettings | None:
        if self.callback_box.isHidden() or not self.external():
            return None
        base = self.controller.settings.callback()
        return CallbackSettings(
            mode="external",
            listen_host=base.listen_host,
            listen_port=base.listen_port,
            own_versions_url=self.own_url_edit.text().strip(),
            token_b=Secret(self.token_b.text().strip(), TokenRole.B),
        )

    def validatePage(self) -> bool:
        try:
            profile = self.partner_type.profile()
        except ProfileError as exc:
            self.partner_type.hints.set_hints(
                [Diagnosis("input.profile", str(exc), "", Severity.WARNING)], empty=True
            )
            return False
        self.flow.set_input(
            self.url_edit.text(),
            self.token.text(),
            self.version_combo.currentData() or None,
            self.callback(),
            profile,
        )
        return True


class DiscoverPage(FlowPage):
    """Step 2: the partner's versions and modules, and the version we will speak."""

    def __init__(self, flow: SenderFlow) -> None:
        super().__init__(
            "Discover the partner",
            "With TOKEN_A we read the partner's versions and the endpoints of the shared version.",
        )
        self.flow = flow
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
        self.modules.setMinimumHeight(150)
        s.addWidget(self.modules, 1)
        layout.addWidget(self.summary, 1)
        self.warnings = Banner()
        layout.addWidget(self.warnings)
        self.error = Banner()
        self.retry = self.error.add_button("&Retry", "Retry discovery")
        self.retry.clicked.connect(flow.discover)
        layout.addWidget(self.error)
        self._shown: Discovery | None = None
        flow.changed.connect(self._on_flow_changed)
        self._on_flow_changed()

    def initializePage(self) -> None:
        self.flow.discover()

    def cleanupPage(self) -> None:
        if self.flow.phase == Phase.BUSY:
            self.flow.cancel()

    def isComplete(self) -> bool:
        return self.flow.phase == Phase.READY

    def validatePage(self) -> bool:
        """Next spends TOKEN_A: if this partner already has a working registration, ask."""
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
        else:
            self.error.hide()
        self.notify_complete()


class RegisterPage(FlowPage):
    """Step 3: TOKEN_B, the POST, and the partner's calls back to us, live."""

    exportRequested = Signal(str)

    def __init__(self, flow: SenderFlow) -> None:
        super().__init__(
            "Register with the partner",
            "We send our credentials with a new TOKEN_B; the partner checks our endpoints "
            "and answers with TOKEN_C.",
        )
        self.flow = flow
        self.setCommitPage(True)
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
        flow.changed.connect(self._on_flow_changed)

    def initializePage(self) -> None:
        self.flow.register()
        self._on_flow_changed()

    def cleanupPage(self) -> None:
        if self.flow.phase == Phase.RUNNING:
            self.flow.cancel()

    def isComplete(self) -> bool:
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
            "Confirm", "The partner is registered; its TOKEN_C is stored encrypted in the vault."
        )
        self.flow = flow
        self.health: Health | None = None
        self.setFinalPage(True)
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
        flow.changed.connect(self._render)

    def initializePage(self) -> None:
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


class SenderWizard(FlowWizard):
    """Onboard a partner as credentials Sender."""

    settingsRequested = Signal()

    def __init__(
        self, controller: Controller, clipboard: SecretClipboard, parent: QWidget | None = None
    ) -> None:
        self.sender_flow = SenderFlow(controller)
        super().__init__(
            self.sender_flow,
            ("Receive", "Discover", "Register", "Confirm"),
            "Onboard a partner\n(we are the Sender)",
            parent,
        )
        self.setWindowTitle("Onboard partner — OCPI Onboard")
        self.receive_page = ReceivePage(self.sender_flow, controller, clipboard)
        self.discover_page = DiscoverPage(self.sender_flow)
        self.register_page = RegisterPage(self.sender_flow)
        self.confirm_page = ConfirmPage(self.sender_flow)
        for page in (self.receive_page, self.discover_page, self.register_page, self.confirm_page):
            self.add(page)
        self.receive_page.settingsRequested.connect(self.settingsRequested)
        self.register_page.exportRequested.connect(self.exportRequested)
        controller.warm_up()

    def _close_flow(self) -> None:
        super()._close_flow()
        self.receive_page.token.setText("")  # the pasted TOKEN_A leaves the widget with the wizard
        self.receive_page.token_b.setText("")

    def confirm_replace(self, twin: PartnerRecord) -> bool:
        """Registering again replaces a working registration: say what happens, ask first."""
        tokens = [
            c.fingerprint
            for c in self.sender_flow.controller.credentials(twin.id or 0)
            if c.state == "active"
        ]
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Replace a working registration?",
            f"{twin.ref} is already registered and working"
            + (f" (we hold {', '.join(tokens)})" if tokens else "")
            + ".",
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
