"""Partner profiles in the GUI: the wizard's "Partner type" choice and the partner's profile
view. Both only draw profiles; reading presets, storing and applying proposals go through
app.engine.profiles and the vault's ProfileStore (no SQL here).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.core.diagnosis import Diagnosis, Severity
from app.gui.widgets import HintList, muted, section_title
from app.vault import PartnerRecord

if TYPE_CHECKING:  # the profile model (tomllib, the OCPI versions) loads with its first use:
    from app.core.profile import Profile  # the partner detail is empty until one is chosen

DEFAULT_TITLE = "Spec-faithful partner (no preset)"


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


_PRESETS: dict[str, list[Profile]] = {}


def built_in_presets() -> list[Profile]:
    """The built-in presets, read once per folder: each Sender wizard asked for them, and
    reading and parsing the TOML files was 4-9 ms of opening it (issue 13)."""
    from app.engine.profiles import listing, presets_dir

    folder = str(presets_dir())
    if folder not in _PRESETS:
        _PRESETS[folder] = listing()
    return list(_PRESETS[folder])


class PartnerTypeBox(QWidget):
    """A preset chooser that says in plain words what the chosen preset changes, with the
    client certificate and key fields a mutual-TLS hub needs."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from app.core.profile import ProfileError

        try:
            self.presets = built_in_presets()
        except ProfileError:  # a broken preset file must not break the wizard
            self.presets = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.combo = QComboBox()
        self.combo.setAccessibleName("Partner type")
        self.combo.addItem(DEFAULT_TITLE, "")
        for preset in self.presets:
            self.combo.addItem(preset.title, preset.name)
        self.explain = muted()
        self.explain.setAccessibleName("What this partner type changes")
        self.cert_edit = QLineEdit()
        self.cert_edit.setAccessibleName("Client certificate file")
        self.cert_edit.setPlaceholderText("client certificate (PEM)")
        self.key_edit = QLineEdit()
        self.key_edit.setAccessibleName("Client key file")
        self.key_edit.setPlaceholderText("its private key (PEM); stored encrypted")
        self.cert_browse = QPushButton("Browse…")
        self.key_browse = QPushButton("Browse…")
        self.tls = QWidget()
        tls_form = QFormLayout(self.tls)
        tls_form.setContentsMargins(0, 4, 0, 0)
        for text, edit, button in (
            ("Client &certificate", self.cert_edit, self.cert_browse),
            ("Client &key", self.key_edit, self.key_browse),
        ):
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(button)
            label = QLabel(text)
            label.setBuddy(edit)
            tls_form.addRow(label, row)
        self.hints = HintList()
        layout.addWidget(self.combo)
        layout.addWidget(self.explain)
        layout.addWidget(self.tls)
        layout.addWidget(self.hints)
        self.combo.currentIndexChanged.connect(self._on_combo_currentIndexChanged)
        self.cert_edit.textChanged.connect(self._on_input_changed)
        self.key_edit.textChanged.connect(self._on_input_changed)
        self.cert_browse.clicked.connect(lambda: self._browse(self.cert_edit, "certificate"))
        self.key_browse.clicked.connect(lambda: self._browse(self.key_edit, "private key"))
        self._on_combo_currentIndexChanged()

    # ---- state -------------------------------------------------------------------------
    def chosen(self) -> Profile | None:
        name = self.combo.currentData()
        return next((p for p in self.presets if p.name == name), None)

    def needs_certificate(self) -> bool:
        chosen = self.chosen()
        return bool(chosen and chosen.client_cert_required)

    def problem(self) -> str | None:
        """Why the page cannot go on yet (None when it can)."""
        cert, key = self.cert_edit.text().strip(), self.key_edit.text().strip()
        if self.needs_certificate() and not (cert and key):
            return "This partner requires mutual TLS: choose the client certificate and key."
        if bool(cert) != bool(key):
            return "A client certificate goes with its private key: choose both."
        return None

    def profile(self) -> Profile | None:
        """The chosen preset with the certificate files read in; ProfileError if unusable."""
        chosen = self.chosen()
        cert, key = self.cert_edit.text().strip(), self.key_edit.text().strip()
        if chosen is None and not cert:
            return None
        from app.core.profile import Profile
        from app.engine.profiles import materialize

        base = chosen or Profile()
        merged = replace(base, client_cert=cert or None, client_key=key or None)
        return materialize(merged)

    # ---- slots -------------------------------------------------------------------------
    def _on_combo_currentIndexChanged(self, _index: int = 0) -> None:
        from app.core.profile import Profile

        chosen = self.chosen()
        profile = chosen or Profile()
        self.explain.setText(f"Changes: {profile.summary()}.")
        details = profile.changes() + ([profile.notes] if profile.notes else [])
        self.explain.setToolTip(_bullets(details))
        self.combo.setToolTip(_bullets(details))
        self.tls.setVisible(bool(chosen and (chosen.client_cert_required or chosen.client_cert)))
        self._on_input_changed()

    def _on_input_changed(self) -> None:
        problem = self.problem()
        shown = [Diagnosis("input.profile", problem, "", Severity.WARNING)] if problem else []
        self.hints.set_hints(shown, empty=True)
        self.changed.emit()

    def _browse(self, edit: QLineEdit, what: str) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, f"Choose the {what}", "", "PEM (*.pem *.crt *.key);;All files (*)"
        )
        if path:
            edit.setText(path)


class ProfileView(QScrollArea):
    """A partner's stored profile: what it changes, what runs proposed (with Apply), the
    last roster change a hub sent, and every key. Scrolls, so nothing hides at 1024x700."""

    applyRequested = Signal(str)  # a proposal's key

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(4)
        self.title = section_title("Profile")
        self.changes = muted()
        self.changes.setAccessibleName("What the profile changes")
        self.proposals_title = section_title("Proposed by the last run (not applied)")
        self.proposals = QVBoxLayout()
        self.roster_title = section_title("Last roster change from the partner")
        self.roster = muted()
        self.roster.setAccessibleName("Last roster change")
        self.keys_title = section_title("Every key")
        self.keys = muted()
        self.keys.setAccessibleName("Profile keys")
        self.keys.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for widget in (self.title, self.changes, self.proposals_title):
            layout.addWidget(widget)
        layout.addLayout(self.proposals)
        for widget in (self.roster_title, self.roster, self.keys_title, self.keys):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.setWidget(inner)

    def _on_apply_clicked(self) -> None:
        button = self.sender()
        key = button.property("proposal") if button is not None else None
        if key:
            # after the click has been delivered: redrawing deletes this very button
            QTimer.singleShot(0, lambda: self.applyRequested.emit(str(key)))

    def key_values(self, profile: Profile) -> dict[str, str]:
        from app.core.profile import SHOWN_KEYS

        shown = profile.to_json()
        out: dict[str, str] = {}
        for key in SHOWN_KEYS:
            value = shown.get(key)
            if value is None or value == "":
                out[key] = "—"
            elif isinstance(value, bool):
                out[key] = "true" if value else "false"
            else:
                out[key] = str(value)
        return out

    def show_profile(
        self,
        profile: Profile,
        proposals: list[dict[str, object]],
        roster: list[str] | None,
    ) -> None:
        self.title.setText(f"Profile: {profile.title}")
        self.changes.setText(_bullets(profile.changes()))
        self.keys.setText(" · ".join(f"{k}: {v}" for k, v in self.key_values(profile).items()))
        while self.proposals.count():
            item = self.proposals.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for proposal in proposals:
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            key = str(proposal.get("key"))
            said = muted(f'{key} = "{proposal.get("value")}": {proposal.get("why")}')
            button = QPushButton(f"Apply {key}")
            button.setAccessibleName(f"Apply proposal {key}")
            button.setProperty("proposal", key)
            button.clicked.connect(self._on_apply_clicked)
            line.addWidget(said, 1)
            line.addWidget(button)
            self.proposals.addWidget(row)
        self.proposals_title.setVisible(bool(proposals))
        self.roster_title.setVisible(roster is not None)
        self.roster.setVisible(roster is not None)
        self.roster.setText(_bullets(roster) if roster else "nothing but new tokens")


def fill_profile(view: ProfileView, vault: Any, partner: PartnerRecord) -> None:
    """Draw a partner's stored profile (the defaults when it has none)."""
    from app.engine.partner_profile import stored_profile
    from app.engine.roster import last_roster_change
    from app.vault.profiles import ProfileStore

    if partner.id is None:
        return
    profile = stored_profile(vault, partner)
    view.show_profile(
        profile, ProfileStore(vault).proposals(partner.id), last_roster_change(vault, partner.id)
    )


def apply_proposal(vault: Any, partner_id: int, key: str) -> None:
    """The person accepts what a run proposed: it becomes part of the partner's profile."""
    from app.vault.profiles import ProfileStore

    ProfileStore(vault).apply(partner_id, key)
