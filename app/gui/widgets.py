"""Small building blocks shared by the windows: banners, pills, checklists, secret fields.

Each renders state it is given; none holds a token longer than the explicit Reveal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.diagnosis import Diagnosis
from app.gui.theme import mono_font

# a CLI flag with the word before it ("check --accept-drift"): Qt breaks a line after any
# hyphen, so the flag wrapped as "check --" / "accept-drift" in a banner's advice
_COMMAND = re.compile(r"(?:\b\w+ )?--\w[\w-]*")
NO_BREAK_SPACE, NO_BREAK_HYPHEN = "\u00a0", "\u2011"


def unbroken_commands(text: str) -> str:
    """The text with each CLI flag (and the command word before it) unbreakable: its
    space and hyphens made non-breaking, drawn the same. For labels nobody copies from
    (a banner's advice): a pasted U+2011 is no hyphen to a shell."""
    return _COMMAND.sub(
        lambda m: m.group().replace(" ", NO_BREAK_SPACE).replace("-", NO_BREAK_HYPHEN), text
    )


def set_prop(widget: QWidget, name: str, value: object) -> None:
    """Set a dynamic property the stylesheet reads, and re-polish (only a widget already
    polished: one being built reads it when first polished; polishing it here, before it
    has its parent, made the style sheet style it twice, issue 13)."""
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    if not widget.testAttribute(Qt.WidgetAttribute.WA_WState_Polished):
        return
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def card(parent: QWidget | None = None) -> QFrame:
    frame = QFrame(parent)
    frame.setObjectName("Card")
    return frame


def section_title(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("SectionTitle")
    return label


def muted(text: str = "", wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setObjectName("Muted")
    label.setWordWrap(wrap)
    return label


def buddy_label(text: str, buddy: QWidget) -> QLabel:
    """A form label whose mnemonic (&X) focuses `buddy`.

    QFormLayout sets the buddy only when the field is a widget; beside a layout the label
    would show the "&" itself and Alt+X would do nothing.
    """
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


def mono_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setFont(mono_font())
    label.setObjectName("Fingerprint")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class Pill(QLabel):
    """A rounded status label (colours from the stylesheet by `status`)."""

    def __init__(self, text: str = "", status: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setObjectName("Pill")
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.set_status(text, status)

    def set_status(self, text: str, status: str) -> None:
        if text == self.text() and self.property("status") == status:
            return  # a refresh with nothing new: no relayout (issue 13)
        self.setText(text)
        set_prop(self, "status", status)
        self.setAccessibleName(f"Status: {text}")


class WrappingPill(Pill):
    """A pill that reads on one line where it has the room and wraps where it has not.

    A word-wrapped QLabel prefers a narrow, two-line shape even with room to spare; this
    one asks for its one-line width, so a layout wraps it only when squeezed.
    """

    def __init__(self, text: str = "", status: str = "", parent: QWidget | None = None) -> None:
        self._one_line = QSize()
        super().__init__(text, status, parent)
        policy = QSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)  # what setWordWrap set, kept with the new policy
        self.setSizePolicy(policy)

    def set_status(self, text: str, status: str) -> None:
        if self._one_line.isValid() and text == self.text() and self.property("status") == status:
            return  # the same: neither wrap toggles nor a new measure (each a relayout)
        self.setWordWrap(False)
        super().set_status(text, status)
        self.ensurePolished()
        self._one_line = super().sizeHint()
        self.setWordWrap(True)

    def sizeHint(self) -> QSize:
        return self._one_line if self._one_line.isValid() else super().sizeHint()


class Banner(QFrame):
    """A coloured message box: title, text, fix; levels info/ok/warning/error/confusion."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Banner")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(4)
        self.title = QLabel()
        self.title.setObjectName("BannerTitle")
        self.title.setWordWrap(True)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fix = QLabel()
        self.fix.setWordWrap(True)
        self.action_row = QHBoxLayout()
        self.action_row.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addWidget(self.fix)
        layout.addLayout(self.action_row)
        self.hide()

    def show_message(self, level: str, title: str, text: str = "", fix: str = "") -> None:
        set_prop(self, "level", level)
        self.title.setText(title)
        self.text.setText(text)
        self.text.setVisible(bool(text))
        fix = unbroken_commands(fix)  # the fix label is not selectable: nothing to paste
        self.fix.setText(f"What to do: {fix}" if fix and level != "info" else fix)
        self.fix.setVisible(bool(fix))
        self.setAccessibleName(f"{title} {text}")
        self.show()

    def show_diagnosis(self, diagnosis: Diagnosis, title: str | None = None) -> None:
        confusion = diagnosis.token_confusion
        level = (
            "confusion"
            if confusion
            else ("warning" if diagnosis.severity == "warning" else "error")
        )
        heading = title or (
            "Token mix-up"
            if confusion
            else "Warning"
            if diagnosis.severity == "warning"
            else "It did not work"
        )
        self.show_message(level, heading, diagnosis.message, diagnosis.hint)

    def show_mixups(self, diagnoses: Sequence[dict[str, object]]) -> None:
        """Token mix-ups seen in a run (transcript diagnosis dicts), or hide."""
        if not diagnoses:
            self.hide()
            return
        first = diagnoses[0]
        more = f" (+{len(diagnoses) - 1} more in the log)" if len(diagnoses) > 1 else ""
        self.show_message(
            "confusion",
            f"Token mix-up{more}",
            str(first.get("message", "")),
            str(first.get("hint", "")),
        )

    def add_button(self, text: str, accessible: str | None = None) -> QPushButton:
        """A button in the banner; never auto-default, so Return in a dialog is not for it."""
        button = QPushButton(text)
        button.setAutoDefault(False)
        button.setAccessibleName(accessible or text)
        self.action_row.addWidget(button)
        return button


class HintList(QWidget):
    """Plain-language hints under an input: errors, warnings, or a quiet 'looks good'."""

    def __init__(self, ok_text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ok_text = ok_text
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self._labels: list[QLabel] = []

    def set_hints(self, diagnoses: Sequence[Diagnosis], empty: bool = False) -> None:
        for label in self._labels:
            label.deleteLater()
        self._labels = []
        rows: list[tuple[str, str]] = []
        for d in diagnoses:
            mark = "✗" if d.severity == "error" else "!"
            rows.append(
                ("error" if d.severity == "error" else "warning", f"{mark} {d.message} {d.hint}")
            )
        if not rows and not empty and self.ok_text:
            rows.append(("ok", f"✓ {self.ok_text}"))
        for level, text in rows:
            label = QLabel(text)
            label.setObjectName("Hint")
            label.setWordWrap(True)
            set_prop(label, "level", level)
            self._layout.addWidget(label)
            self._labels.append(label)

    def texts(self) -> list[str]:
        return [label.text() for label in self._labels]


class SecretInput(QWidget):
    """A password-style line edit with a Show toggle (for pasting TOKEN_A or TOKEN_B)."""

    textChanged = Signal(str)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setFont(mono_font())
        self.edit.setAccessibleName(name)
        self.edit.setClearButtonEnabled(True)
        self.toggle = QToolButton()
        self.toggle.setText("Show")
        self.toggle.setCheckable(True)
        self.toggle.setAccessibleName(f"Show {name}")
        self.toggle.toggled.connect(self._on_toggle_toggled)
        self.toggle.setEnabled(False)  # nothing to show yet
        self.edit.textChanged.connect(self._on_edit_textChanged)
        self.edit.textChanged.connect(self.textChanged)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.toggle)
        self.setFocusProxy(self.edit)
        # a form label's mnemonic (Alt+T for "&TOKEN_A") focuses its buddy only if the
        # buddy itself takes focus: with Qt's default NoFocus here Alt+T did nothing (session
        # 22 walk). Tab still stops on the edit alone (a widget with a proxy is skipped).
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def _on_edit_textChanged(self, text: str) -> None:
        """Show only with something to show; an emptied field is masked again."""
        self.toggle.setEnabled(bool(text))
        if not text:
            self.toggle.setChecked(False)

    def text(self) -> str:
        return self.edit.text()

    def setText(self, text: str) -> None:
        self.edit.setText(text)

    def _on_toggle_toggled(self, shown: bool) -> None:
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.toggle.setText("Hide" if shown else "Show")


class CopyField(QWidget):
    """A read-only value (URL, fingerprint) with a Copy button."""

    copyRequested = Signal(str)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit()
        self.edit.setReadOnly(True)
        self.edit.setFont(mono_font())
        self.edit.setAccessibleName(name)
        self.copy = QPushButton("Copy")
        self.copy.setAccessibleName(f"Copy {name}")
        self.copy.clicked.connect(lambda: self.copyRequested.emit(self.edit.text()))
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.copy)

    def set_text(self, text: str) -> None:
        self.edit.setText(text)
        self.edit.setCursorPosition(0)


class StepIndicator(QFrame):
    """The wizard's step list on its left side: done, current, to come."""

    def __init__(self, titles: Sequence[str], heading: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StepIndicator")
        self.setMinimumWidth(190)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 16, 12, 16)
        layout.setSpacing(6)
        head = QLabel(heading)
        head.setObjectName("SectionTitle")
        head.setWordWrap(True)
        layout.addWidget(head)
        layout.addSpacing(6)
        self._labels: list[QLabel] = []
        for number, title in enumerate(titles, start=1):
            label = QLabel(f"{number}   {title}")
            label.setObjectName("Step")
            layout.addWidget(label)
            self._labels.append(label)
        layout.addStretch(1)
        self.setAccessibleName("Wizard steps")
        self.set_current(0)

    def set_current(self, index: int) -> None:
        for i, label in enumerate(self._labels):
            state = "current" if i == index else ("done" if i < index else "todo")
            title = label.text().split("   ", 1)[-1]
            label.setText(f"{'✓' if state == 'done' else i + 1}   {title}")
            set_prop(label, "state", state)
            label.setAccessibleName(f"Step {i + 1}, {title}: {state}")

    def current(self) -> int:
        return next(
            (i for i, lab in enumerate(self._labels) if lab.property("state") == "current"), -1
        )
