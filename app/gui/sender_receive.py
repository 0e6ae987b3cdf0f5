"""The Sender wizard's first page: the partner's TOKEN_A and versions URL, our TOKEN_B.

Split out of wizard_sender (issue 10: no module over 500 lines). It is the largest page:
input checks, the sandbox banner, our identity and callback endpoint; the wizard only
adds it to its pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.core.diagnosis import Diagnosis, Severity
from app.core.http import cannot_call_back
from app.core.inputs import (
    check_identity,
    check_token,
    check_versions_url,
    errors,
    normalise_token_input,
)
from app.core.profile import ProfileError
from app.core.tokens import Secret, TokenRole, generate_token
from app.engine import CallbackSettings
from app.gui.clipboard import SecretClipboard
from app.gui.controller import Controller
from app.gui.flows import SenderFlow
from app.gui.profile_widgets import PartnerTypeBox
from app.gui.theme import mono_font
from app.gui.widgets import (
    Banner,
    HintList,
    SecretInput,
    card,
    muted,
    section_title,
)
from app.gui.wizard_base import FlowPage
from app.sandbox.faults import FAULT_NOTES

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
        self,
        flow: SenderFlow,
        controller: Controller,
        clipboard: SecretClipboard,
        *,
        in_steps: bool = False,
    ) -> None:
        """`in_steps`: only the page's frame now; its cards come from `steps` (a wizard
        built ahead adds the page first and builds a card per turn of the loop)."""
        super().__init__(
            "Receive the partner's invitation",
            "Paste what the partner sent you: their OCPI versions URL and TOKEN_A.",
            scrolls=True,  # a hub's partner type adds rows: at 1024x700 they scroll
        )
        self.flow = flow
        self.controller = controller
        self.clipboard = clipboard
        self._our_url = ""  # our embedded endpoint's versions URL, once it is up
        self.steps: Iterator[None] = self._cards(polish=in_steps)
        if not in_steps:
            for _ in self.steps:
                pass

    def _cards(self, polish: bool) -> Iterator[None]:
        """The body a card at a time; with `polish`, each card is polished against the
        style sheet as it is made (else the first show polishes them all at once)."""
        controller, flow = self.controller, self.flow
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
        layout.addWidget(box)
        if polish:
            self.sandbox_banner.ensurePolished()
            box.ensurePolished()
            yield
        form.addRow("OCPI &version", self.version_combo)
        self.partner_type = PartnerTypeBox()
        type_label = QLabel("Partner t&ype")  # Alt+T is TOKEN_A
        type_label.setBuddy(self.partner_type.combo)
        form.addRow(type_label, self.partner_type)
        if polish:  # the card is polished: its new rows are not yet
            for widget in (self.version_combo, type_label, self.partner_type):
                widget.ensurePolished()
            yield

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
        if polish:
            who.ensurePolished()
            yield

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
        # a partner elsewhere cannot call back a loopback endpoint: said before TOKEN_A is
        # spent (the Invite wizard says it of its URL; verify only after the registration)
        self.callback_hints = HintList()
        cb.addWidget(self.embedded_radio)
        cb.addWidget(self.embedded_url)
        cb.addWidget(self.callback_hints)
        cb.addWidget(self.external_radio)
        cb.addWidget(self.external_fields)
        layout.addWidget(self.callback_box)
        layout.addStretch(1)
        if polish:
            self.callback_box.ensurePolished()
            yield

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
        self._our_url = url
        self.embedded_url.setText(f"The partner calls {url}")
        self._on_input_changed()

    def _on_flow_sandboxReady(self, url: str) -> None:
        token = self.flow.sandbox_token
        self.url_edit.setText(url)
        self.token.setText(token.reveal() if token else "")
        fault = self.flow.sandbox_fault or "none"
        # what the rehearsal does, as the menu's tip said it (the tip is gone once clicked)
        note = next((n for f, n in FAULT_NOTES.items() if f.value == fault), "")
        extra = "" if fault == "none" else f" It rehearses the fault “{fault}”"
        extra += (f": {note}" if note else ".") if extra else ""
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
        self.callback_hints.set_hints(self._unreachable_callback(url), empty=True)
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

    def _unreachable_callback(self, url: str) -> list[Diagnosis]:
        """Our embedded endpoint on this computer only, the partner elsewhere: its calls to
        us during the registration (our versions and details, with TOKEN_B) cannot arrive."""
        if self.external():
            return []
        s = self.controller.settings
        ours = urlsplit(self._our_url or s.public_url or "").hostname or s.listen_host
        try:
            theirs = urlsplit(url.strip()).hostname
        except ValueError:
            return []
        if not cannot_call_back(ours, theirs):
            return []
        return [
            Diagnosis(
                "callback.loopback",
                f"{theirs} cannot reach our endpoint at {ours}: the partner calls us back"
                " during the registration.",
                "Set a public URL (and listen address) in Settings, or let our platform"
                " serve our versions endpoint.",
                Severity.WARNING,
            )
        ]

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
