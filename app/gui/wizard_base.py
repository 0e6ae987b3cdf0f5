"""What both wizards share: the step indicator, buttons, and closing through the flow.

A page may build its body later (`FlowPage(..., later=True)` and a `build` method): the
wizard opens with its first page built and builds the others one per loop turn after it
is shown (issue 13: building all four Sender pages at once stopped the UI for 20-25 ms).
A page is always built before it is first shown, and on the first use of one of its
widgets; its title, subtitle, commit/final flags and completeness exist from the start,
so Next, Finish and the step list are the same as with every page built at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QFrame,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.gui.flows import _Flow
from app.gui.widgets import StepIndicator

BUILD_GAP_MS = 10  # between two pages built after the wizard shows: a frame's room


def _plain(text: str) -> str:
    """A button's text as a screen reader should say it: "< &Back" -> "Back"."""
    return text.replace("&", "").strip("<> ")


class FlowPage(QWizardPage):
    """A page drawn from a flow; tells the wizard only when its completeness really changes."""

    _complete_shown: bool | None = None
    _built = True  # a page without `later` builds its body in __init__

    def __init__(
        self, title: str, subtitle: str, *, scrolls: bool = False, later: bool = False
    ) -> None:
        """`scrolls`: the body scrolls up and down when the wizard is too short for it
        (a page whose content grows), instead of squashing its rows over each other.
        `later`: the body comes from `build`, called by `ensure_built`."""
        super().__init__()
        self._built = not later
        self.setTitle(title)
        self.setSubTitle(subtitle)
        if not scrolls:
            self.body = QVBoxLayout(self)
        else:
            outer = QVBoxLayout(self)
            outer.setContentsMargins(0, 0, 0, 0)
            area = QScrollArea()
            area.setObjectName("PageScroll")
            # never the focus itself: the page opened with the focus on the scroll area and
            # what a person typed first went nowhere (its fields scroll into view on Tab)
            area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            area.setWidgetResizable(True)
            area.setFrameShape(QFrame.Shape.NoFrame)
            area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            inner = QWidget()
            inner.setObjectName("PageBody")
            area.setWidget(inner)
            area.viewport().setAutoFillBackground(False)
            inner.setAutoFillBackground(False)
            outer.addWidget(area)
            self.body = QVBoxLayout(inner)
            self.body.setContentsMargins(0, 0, 4, 0)
        self.body.setSpacing(12)

    def build(self) -> None:
        """The body of a page made with `later=True`."""

    def ensure_built(self) -> None:
        if not self._built:
            self._built = True
            self.build()
            wizard = self.wizard()
            if isinstance(wizard, FlowWizard):
                wizard._keep_return_for_forward()

    def __getattr__(self, name: str) -> object:
        """A widget of a body not built yet: build it, then look again."""
        if name.startswith("_") or self.__dict__.get("_built", True):
            raise AttributeError(name)
        self.ensure_built()
        return object.__getattribute__(self, name)

    def initializePage(self) -> None:
        self.ensure_built()

    def holds_back(self) -> bool:
        """True once going Back would only undo what cannot be undone (a page whose
        registration ended: TOKEN_A is spent, the page before could only offer it again)."""
        return False

    def notify_complete(self) -> None:
        now = self.isComplete()
        if now != self._complete_shown:
            self._complete_shown = now
            self.completeChanged.emit()  # the wizard sets its buttons from it, Back too
        wizard = self.wizard()
        if wizard is not None and wizard.currentPage() is self and self.holds_back():
            back = wizard.button(QWizard.WizardButton.BackButton)
            if back is not None:
                back.setEnabled(False)
            # registered: nothing is undone by it any more ("Cancel" read as if it undid
            # the registration, as on the last page before it lost the button)
            wizard.setButtonText(QWizard.WizardButton.CancelButton, "Close")
            close = wizard.button(QWizard.WizardButton.CancelButton)
            if close is not None:
                close.setAccessibleName("Close")


class FlowWizard(QWizard):
    """A QWizard over a flow: pages render it; Cancel or close stops its tasks cleanly."""

    exportRequested = Signal(str)  # run id
    partnerReady = Signal(int)  # partner id, on Finish

    def __init__(
        self, flow: _Flow, steps: Sequence[str], heading: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.flow = flow
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.NoDefaultButton, False)
        # on the last page the registration is done: "Cancel" there read as if it undid it
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Next >")  # Alt+N as on Next
        self.indicator = StepIndicator(steps, heading)
        self.setSideWidget(self.indicator)
        self.currentIdChanged.connect(self._on_self_currentIdChanged)
        self.resize(900, 640)
        self.setMinimumSize(760, 560)
        self._closed = False

    def add(self, page: QWizardPage) -> int:
        return self.addPage(page)

    def _forward_buttons(self) -> set[QAbstractButton]:
        return {
            button
            for which in (
                QWizard.WizardButton.NextButton,
                QWizard.WizardButton.CommitButton,
                QWizard.WizardButton.FinishButton,
            )
            if (button := self.button(which)) is not None
        }

    def _keep_return_for_forward(self) -> None:
        """Return means Next / Finish, whatever has the focus.

        A QPushButton in a dialog is auto-default: once focused (Tab, or the focus falling
        on it when Next turns disabled) it takes Return. Back, Cancel and the pages' own
        buttons (Export transcript…, Retry, Reveal) answer Space and their mnemonic only.
        """
        forward = self._forward_buttons()
        for button in self.findChildren(QPushButton):
            if button not in forward and button.autoDefault():
                button.setAutoDefault(False)

    def showEvent(self, event: QShowEvent) -> None:
        self._keep_return_for_forward()
        super().showEvent(event)
        QTimer.singleShot(BUILD_GAP_MS, self, self._build_one_page)

    def _build_one_page(self) -> None:
        """Build the next page not built yet, one per turn, until all are."""
        for page_id in self.pageIds():
            page = self.page(page_id)
            if isinstance(page, FlowPage) and not page._built:
                page.ensure_built()
                QTimer.singleShot(BUILD_GAP_MS, self, self._build_one_page)
                return

    def _on_self_currentIdChanged(self, page_id: int) -> None:
        self.indicator.set_current(max(page_id, 0))
        self._keep_return_for_forward()
        for button in (
            QWizard.WizardButton.BackButton,
            QWizard.WizardButton.NextButton,
            QWizard.WizardButton.CommitButton,
            QWizard.WizardButton.FinishButton,
            QWizard.WizardButton.CancelButton,
        ):
            widget = self.button(button)
            if widget is not None:  # what it reads on this page ("Register" on Discover)
                widget.setAccessibleName(_plain(widget.text()))

    def partner_id(self) -> int | None:  # pragma: no cover - overridden
        return None

    def _close_flow(self) -> None:
        if not self._closed:
            self._closed = True
            self.flow.close()

    def done(self, result: int) -> None:
        self._close_flow()
        partner_id = self.partner_id()
        super().done(result)
        if result == QWizard.DialogCode.Accepted and partner_id is not None:
            self.partnerReady.emit(partner_id)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._close_flow()
        super().closeEvent(event)
