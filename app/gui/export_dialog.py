"""Export a run's transcript for support: HAR, HTML report, Markdown or JSON; always redacted.

The transcript is stored redacted (tokens only as fingerprints), and the writers of
app.core.transcript_export add nothing but formatting, so no export can hold a token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.core.atomic import write_private
from app.core.diagnosis import OnboardingError
from app.core.transcript_export import export
from app.core.transcript_export import run_meta as export_meta
from app.engine.health import kind_words
from app.gui.controller import Controller
from app.gui.errors import show_error
from app.gui.models import short_time
from app.gui.widgets import Banner, buddy_label, muted
from app.vault import RunRecord

FORMATS = (
    ("har", "HAR (for browser dev tools and HTTP analysers)", "har"),
    ("html", "HTML report (readable, for a support ticket)", "html"),
    ("md", "Markdown", "md"),
    ("json", "JSON (the raw transcript entries)", "json"),
)


def run_meta(controller: Controller, run: RunRecord) -> dict[str, Any]:
    partner = controller.partner(run.partner_id) if run.partner_id is not None else None
    code = (run.diagnosis or {}).get("code")
    return export_meta(
        run.id,
        run.kind,
        run.state,
        run.outcome,
        run.created,
        partner.ref if partner else None,
        code,
    )


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, text)


class ExportDialog(QDialog):
    """Pick a run and a format, write the redacted transcript."""

    exported = Signal(str)  # path written

    def __init__(
        self,
        controller: Controller,
        run_id: str | None = None,
        partner_id: int | None = None,
        directory: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.directory = directory or Path.home()
        self.setWindowTitle("Export transcript — OCPI Onboard")
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        note = Banner()
        note.show_message(
            "info",
            "Always redacted",
            "Tokens appear only as fingerprints (A·…, B·…, C·…); Authorization headers "
            "keep their scheme and encoding but never the value.",
        )
        layout.addWidget(note)
        form = QFormLayout()
        self.run_combo = QComboBox()
        self.run_combo.setAccessibleName("Run to export")
        runs = controller.runs(partner_id)
        if run_id is not None and all(r.id != run_id for r in runs):
            extra = controller.run_record(run_id)
            runs = ([extra] if extra else []) + runs
        runs.sort(key=lambda r: r.created, reverse=True)
        for run in runs:
            partner = controller.partner(run.partner_id) if run.partner_id is not None else None
            who = partner.ref if partner else "—"
            self.run_combo.addItem(
                f"{short_time(run.created)} · {kind_words(run)} · {who} · {run.outcome}", run.id
            )
        if run_id is not None:
            self.run_combo.setCurrentIndex(max(self.run_combo.findData(run_id), 0))
        form.addRow("&Run", self.run_combo)
        formats = QWidget()
        fl = QVBoxLayout(formats)
        fl.setContentsMargins(0, 0, 0, 0)
        self.format_group = QButtonGroup(self)
        self.format_buttons: dict[str, QRadioButton] = {}
        for key, text, _ext in FORMATS:
            button = QRadioButton(text)
            button.setAccessibleName(f"Format {key}")
            self.format_group.addButton(button)
            self.format_buttons[key] = button
            fl.addWidget(button)
        self.set_format("html")
        form.addRow("Format", formats)
        path_row = QHBoxLayout()
        self.path_edit = QLineEdit()
        self.path_edit.setAccessibleName("Export file")
        self.browse = QPushButton("&Browse…")
        self.browse.setAutoDefault(False)  # Return exports, even when Tab reached Browse…
        self.browse.setAccessibleName("Choose the export file")
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse)
        form.addRow(buddy_label("&File", self.path_edit), path_row)
        layout.addLayout(form)
        self.status = muted()
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton(
            "&Export", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.export_button.setAccessibleName("Export")
        layout.addWidget(self.buttons)
        # only once the button is inside this dialog does setDefault make it the dialog's
        # default (before, the button box chose Cancel, and Return cancelled the export)
        self.export_button.setDefault(True)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        self.browse.clicked.connect(self._on_browse_clicked)
        self.run_combo.currentIndexChanged.connect(self._suggest_path)
        self.format_group.buttonToggled.connect(lambda *_: self._suggest_path())
        self._suggest_path()
        self.export_button.setEnabled(self.run_combo.count() > 0)

    def fmt(self) -> str:
        return next(k for k, b in self.format_buttons.items() if b.isChecked())

    def set_format(self, fmt: str) -> None:
        """Check `fmt`; Tab into the formats lands on it (Qt's own rule, once one of them
        had the focus): it landed on HAR, unchecked, and Down went to the checked HTML."""
        for key, button in self.format_buttons.items():
            button.setChecked(key == fmt)
            policy = Qt.FocusPolicy.StrongFocus if key == fmt else Qt.FocusPolicy.ClickFocus
            button.setFocusPolicy(policy)

    def run_id(self) -> str | None:
        data = self.run_combo.currentData()
        return str(data) if data else None

    def _suggest_path(self) -> None:
        run_id = self.run_id()
        if not run_id:
            return
        ext = next(e for k, _t, e in FORMATS if k == self.fmt())
        current = Path(self.path_edit.text()) if self.path_edit.text() else None
        folder = current.parent if current else self.directory
        self.path_edit.setText(str(folder / f"ocpi-transcript-{run_id[:8]}.{ext}"))

    def _on_browse_clicked(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, "Export transcript", self.path_edit.text()
        )
        if path:
            self.path_edit.setText(path)

    def export_to(self, path: Path) -> int:
        """Write the chosen run in the chosen format; returns the number of entries."""
        run_id = self.run_id()
        if run_id is None:
            return 0
        run = self.controller.run_record(run_id)
        if run is None:
            return 0
        entries = self.controller.transcript(run_id)
        audit = self.controller.audit_transcript_export(run)
        write_atomic(path, export(entries, run_meta(self.controller, run), self.fmt(), audit))
        return len(entries)

    def _on_buttons_accepted(self) -> None:
        path = Path(self.path_edit.text().strip()).expanduser()
        if not self.path_edit.text().strip():
            self.status.setText("Choose a file to write.")
            return
        try:
            count = self.export_to(path)
        except OnboardingError as exc:
            show_error(exc.diagnosis, self)
            return
        except OSError as exc:
            self.status.setText(f"Could not write {path}: {exc.strerror or type(exc).__name__}.")
            return
        self.status.setText(f"Wrote {count} entries to {path}.")
        self.exported.emit(str(path))
        self.accept()
