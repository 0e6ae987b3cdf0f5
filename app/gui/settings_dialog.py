"""Settings: our identity, where our endpoint listens and is reached, CA bundle, timeouts.

Saved (by the controller) to the settings file; no secrets here. The theme follows the
system's light or dark scheme.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.diagnosis import Diagnosis, diagnose
from app.core.inputs import check_identity, check_versions_url
from app.core.models import ROLES_221
from app.gui.widgets import HintList, buddy_label, muted
from app.settings import Settings

TEAM_SCHEMES = ("postgresql://", "postgres://")


class SettingsDialog(QDialog):
    """Edits a copy of the settings; `result_settings()` after Accepted."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.original = settings
        self.setWindowTitle("Settings — OCPI Onboard")
        self.setMinimumWidth(640)  # the longest check box reads whole
        layout = QVBoxLayout(self)
        tabs = QTabWidget()
        tabs.setAccessibleName("Settings sections")
        layout.addWidget(tabs)

        identity = QWidget()
        form = QFormLayout(identity)
        self.country = QLineEdit(settings.country_code)
        self.country.setMaxLength(2)
        self.country.setAccessibleName("Our country code")
        self.country.setPlaceholderText("NL")
        self.party = QLineEdit(settings.party_id)
        self.party.setMaxLength(3)
        self.party.setAccessibleName("Our party id")
        self.party.setPlaceholderText("ABC")
        self.business = QLineEdit(settings.business_name)
        self.business.setAccessibleName("Our business name")
        self.website = QLineEdit(settings.website or "")
        self.website.setAccessibleName("Our website")
        self.website.setPlaceholderText("https://www.example.com (optional)")
        roles = QWidget()
        grid = QGridLayout(roles)
        grid.setContentsMargins(0, 0, 0, 0)
        self.role_boxes: dict[str, QCheckBox] = {}
        for i, role in enumerate(ROLES_221):
            box = QCheckBox(role)
            box.setAccessibleName(f"Role {role}")
            box.setChecked(role in [r.upper() for r in settings.roles])
            grid.addWidget(box, i // 4, i % 4)
            self.role_boxes[role] = box
        self.identity_hints = HintList("Our identity is complete.")
        form.addRow("&Country code", self.country)
        form.addRow("&Party ID", self.party)
        form.addRow("Roles", roles)
        form.addRow("&Business name", self.business)
        form.addRow("&Website", self.website)
        form.addRow("", self.identity_hints)
        tabs.addTab(identity, "Our &identity")

        endpoint = QWidget()
        ef = QFormLayout(endpoint)
        self.listen_host = QLineEdit(settings.listen_host)
        self.listen_host.setAccessibleName("Listen address")
        self.listen_port = QSpinBox()
        self.listen_port.setRange(0, 65535)
        self.listen_port.setSpecialValueText("any free port")
        self.listen_port.setValue(int(settings.listen_port or 0))
        self.listen_port.setAccessibleName("Listen port")
        listen = QHBoxLayout()
        listen.addWidget(self.listen_host, 1)
        listen.addWidget(self.listen_port)
        self.public_url = QLineEdit(settings.public_url or "")
        self.public_url.setAccessibleName("Public URL")
        self.public_url.setPlaceholderText(
            "https://ocpi.example.com (reverse proxy or tunnel; optional)"
        )
        self.own_versions_url = QLineEdit(settings.own_versions_url or "")
        self.own_versions_url.setAccessibleName("Our platform's versions URL")
        self.own_versions_url.setPlaceholderText("for 'our platform serves it' mode (optional)")
        self.external_default = QCheckBox("Our platform serves our versions endpoint by default")
        self.external_default.setChecked(settings.callback_mode == "external")
        self.endpoint_hints = HintList()
        ef.addRow(buddy_label("&Listen on", self.listen_host), listen)
        ef.addRow("Public U&RL", self.public_url)  # Alt+U is the Vault tab
        ef.addRow(
            "",
            muted(
                "Partners reach our embedded endpoint at this base URL; "
                "leave empty to use the listen address."
            ),
        )
        ef.addRow("Our platform", self.own_versions_url)
        ef.addRow("", self.external_default)
        ef.addRow("", self.endpoint_hints)
        tabs.addTab(endpoint, "Our &endpoint")

        network = QWidget()
        nf = QFormLayout(network)
        self.ca_bundle = QLineEdit(settings.ca_bundle or "")
        self.ca_bundle.setAccessibleName("CA bundle")
        self.ca_bundle.setPlaceholderText("system certificates")
        self.ca_browse = QPushButton("Browse…")
        self.ca_browse.setAccessibleName("Choose a CA bundle")
        ca = QHBoxLayout()
        ca.addWidget(self.ca_bundle, 1)
        ca.addWidget(self.ca_browse)
        self.allow_insecure = QCheckBox(
            "Allow plain http:// to hosts other than this computer (test only)"
        )
        self.allow_insecure.setChecked(settings.allow_insecure)
        self.request_timeout = QDoubleSpinBox()
        self.request_timeout.setRange(1, 600)
        self.request_timeout.setSuffix(" s")
        self.request_timeout.setValue(settings.request_timeout)
        self.request_timeout.setAccessibleName("Request timeout")
        self.post_timeout = QDoubleSpinBox()
        self.post_timeout.setRange(10, 900)
        self.post_timeout.setSuffix(" s")
        self.post_timeout.setValue(settings.post_timeout)
        self.post_timeout.setAccessibleName("Registration timeout")
        self.network_hints = HintList()
        nf.addRow(buddy_label("CA &bundle", self.ca_bundle), ca)
        nf.addRow("", self.allow_insecure)
        nf.addRow("&Request timeout", self.request_timeout)
        nf.addRow("Re&gistration timeout", self.post_timeout)
        nf.addRow(
            "",
            muted("The registration waits longest: the partner calls us back before it answers."),
        )
        nf.addRow("", self.network_hints)
        tabs.addTab(network, "&Network")

        vault_tab = QWidget()
        vf = QFormLayout(vault_tab)
        self.vault_location = QLineEdit(settings.vault_path or "")
        self.vault_location.setAccessibleName("Vault location")
        self.vault_location.setPlaceholderText("this computer's vault file (default)")
        vf.addRow("&Vault", self.vault_location)
        vf.addRow(
            "",
            muted(
                "A file for one person, or postgresql://host/database for the team vault "
                "(each member unlocks with their own passphrase; OCPI_ONBOARD_MEMBER names "
                "you). Used from the next start."
            ),
        )
        self.vault_hints = HintList()
        vf.addRow("", self.vault_hints)
        tabs.addTab(vault_tab, "Va&ult")

        layout.addWidget(muted("The theme follows the system's light or dark setting."))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.ca_browse.clicked.connect(self._on_ca_browse_clicked)
        for edit in (
            self.country,
            self.party,
            self.business,
            self.public_url,
            self.own_versions_url,
            self.ca_bundle,
            self.listen_host,
            self.vault_location,
        ):
            edit.textChanged.connect(self._validate)
        for box in self.role_boxes.values():
            box.toggled.connect(self._validate)
        self._validate()
        # the first field takes what is typed: the focus sat on the tabs, drawn unfocused
        # until a key moved it, and the first letters typed went nowhere (session 23 walk)
        self.country.setFocus()

    def roles(self) -> list[str]:
        return [role for role, box in self.role_boxes.items() if box.isChecked()]

    def problems(self) -> tuple[list[Diagnosis], list[Diagnosis], list[Diagnosis]]:
        identity = check_identity(self.country.text(), self.party.text(), self.roles())
        endpoint: list[Diagnosis] = []
        for edit in (self.public_url, self.own_versions_url):
            text = edit.text().strip()
            if text:
                endpoint += [
                    d
                    for d in check_versions_url(text, self.allow_insecure.isChecked())
                    if d.code != "input.version_details_url"
                ]
        if not self.listen_host.text().strip():
            endpoint.append(diagnose("input.url_invalid"))
        network: list[Diagnosis] = []
        bundle = self.ca_bundle.text().strip()
        if bundle and not Path(bundle).expanduser().is_file():
            network.append(diagnose("net.tls", f"the CA bundle {bundle} does not exist"))
        location = self.vault_location.text().strip()
        if location and "://" in location and not location.lower().startswith(TEAM_SCHEMES):
            network.append(diagnose("vault.unreachable", "only postgresql:// URLs are vaults"))
        return identity, endpoint, network

    def _validate(self) -> None:
        identity, endpoint, network = self.problems()
        self.identity_hints.set_hints(identity)
        self.endpoint_hints.set_hints(endpoint, empty=True)
        self.network_hints.set_hints(
            [d for d in network if not d.code.startswith("vault.")], empty=True
        )
        self.vault_hints.set_hints([d for d in network if d.code.startswith("vault.")], empty=True)
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setEnabled(not (identity or [d for d in endpoint + network if d.severity == "error"]))

    def _on_ca_browse_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "CA bundle", self.ca_bundle.text(), "PEM (*.pem *.crt);;All (*)"
        )
        if path:
            self.ca_bundle.setText(path)

    def result_settings(self) -> Settings:
        return replace(
            self.original,
            country_code=self.country.text().strip().upper(),
            party_id=self.party.text().strip().upper(),
            roles=self.roles(),
            business_name=self.business.text().strip(),
            website=self.website.text().strip() or None,
            listen_host=self.listen_host.text().strip(),
            listen_port=self.listen_port.value(),
            public_url=self.public_url.text().strip() or None,
            own_versions_url=self.own_versions_url.text().strip() or None,
            callback_mode="external" if self.external_default.isChecked() else "embedded",
            ca_bundle=self.ca_bundle.text().strip() or None,
            allow_insecure=self.allow_insecure.isChecked(),
            request_timeout=self.request_timeout.value(),
            post_timeout=self.post_timeout.value(),
            vault_path=self.vault_location.text().strip() or None,
        )
