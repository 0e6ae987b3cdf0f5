"""The verify report opens and refreshes without redoing what it shows (issue 13, target 4).

A verify's end opened the report with every row added, measured at a width the never-shown
table did not have yet, measured again once shown and painted twice, all in one turn of the
loop (25-35 ms); with the report open, each verify emptied it (its run had no report yet)
and refilled it a slice per turn, the whole table repainted per slice. Now the dialog is laid
out ahead, unseen; a report opening at a verify's end is filled hidden and shown on a turn
of its own, its rows measured once, hidden; a newer report of the same partner rewrites only the
cells that changed. Counted with real widgets (paint events, text layouts), never timed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, QRect
from PySide6.QtWidgets import QApplication, QWidget

from app.engine.connection_health import ConnectionFacts
from app.vault import PartnerRecord
from tests.gui.helpers import app_style_sheet, verify_facts

PARTNER = PartnerRecord(id=7, country_code="DE", party_id="ABC", status="registered")


class Events(QObject):
    """The paint regions a widget is asked for, and what `on_show` says at its Show."""

    def __init__(self, widget: QWidget, on_show: Any = None) -> None:
        super().__init__()
        self.paints: list[QRect] = []
        self.at_show: list[Any] = []
        self._on_show = on_show
        widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints.append(event.region().boundingRect())  # type: ignore[attr-defined]
        elif event.type() == QEvent.Type.Show and self._on_show is not None:
            self.at_show.append(self._on_show())
        return False


@pytest.fixture
def styled(qapp: QApplication) -> Iterator[None]:
    with app_style_sheet(qapp):
        yield


def facts(run_id: str, count: int, changed: int | None = None) -> ConnectionFacts:
    return verify_facts(  # type: ignore[no-any-return]
        run_id, count, when="2026-12-04T07:00:00Z", titled=True, changed=changed
    )


def settle(qtbot: Any, dialog: Any) -> None:
    qtbot.waitUntil(
        lambda: not dialog.filling() and not dialog.report.fitting() and not dialog.opening(),
        timeout=5000,
    )
    for _ in range(4):
        QApplication.processEvents()
        qtbot.wait(20)


def shown_dialog(qtbot: Any) -> Any:
    from app.gui.health_tab import VerifyReportDialog

    dialog = VerifyReportDialog()
    qtbot.addWidget(dialog)
    dialog.prepare()
    return dialog


def test_a_newer_report_of_the_partner_rewrites_only_the_cells_that_changed(
    styled: None, qtbot: Any, layouts: list[str]
) -> None:
    dialog = shown_dialog(qtbot)
    dialog.show_report(PARTNER, facts("run-1", 12))
    dialog.show_now()
    qtbot.waitExposed(dialog)
    settle(qtbot, dialog)
    report = dialog.report
    items = [[report.item(r, c) for c in range(4)] for r in range(12)]
    events = Events(report.viewport())
    layouts.clear()

    dialog.show_report(PARTNER, facts("run-2", 12))  # the next verify: the same checks
    assert not dialog.filling()  # nothing emptied, nothing to add again
    settle(qtbot, dialog)
    assert events.paints == [] and layouts == []
    assert [[report.item(r, c) for c in range(4)] for r in range(12)] == items

    dialog.show_report(PARTNER, facts("run-3", 12, changed=5))  # one check said more
    # in this very turn: no row of the older report left beside the newer one's
    assert report.item(5, 2).text().endswith("Answered again.") and not dialog.filling()
    settle(qtbot, dialog)
    assert layouts and all(text.startswith("Detail 5") for text in layouts)
    row_top = report.rowViewportPosition(5)
    assert events.paints and all(rect.top() >= row_top for rect in events.paints)
    assert [[report.item(r, c) for c in range(4)] for r in range(12)] == items


def test_a_report_opened_at_a_verifys_end_is_filled_hidden_then_shown_measured(
    styled: None, qtbot: Any, layouts: list[str]
) -> None:
    dialog = shown_dialog(qtbot)
    report = dialog.report
    hidden_widths = report.widths()
    events = Events(dialog, on_show=lambda: (report.rowCount(), report.measured(), len(layouts)))
    dialog.show_report(PARTNER, facts("run-1", 40))
    dialog.open_later()  # what the verify's end asks
    assert not dialog.isVisible() and dialog.opening()  # not in the turn that asked
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    settle(qtbot, dialog)
    # every row in and measured, hidden, at the widths it is shown at
    assert report.widths() == hidden_widths
    [(rows, measured, laid_out_before_show)] = events.at_show
    assert (rows, measured) == (40, True)
    # shown and painted, no text laid out again: the rows' layouts are what it paints
    assert len(layouts) == laid_out_before_show
    from tests.gui.test_report_cells import cut_cells

    assert cut_cells(report, (2, 3)) == []


def test_the_report_dialog_is_laid_out_ahead_of_its_first_opening(qtbot: Any, window: Any) -> None:
    """Built with the partner's detail, laid out a turn later, never shown."""
    window.partner_view.build_detail()
    dialog = window.health_ui.tab.dialog
    qtbot.waitUntil(lambda: dialog.report.widths()[-1] > 100, timeout=5000)  # stretched
    hidden = dialog.report.widths()
    assert not dialog.isVisible()
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.report.widths() == hidden and dialog.report.measured()
    dialog.close()


def test_a_repaint_of_the_report_asks_the_style_for_no_cells_text_rectangle(
    styled: None, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where a cell's text goes is asked once per cell size and kind: asked per cell (the
    style sheet's padding), it was a quarter of the report's repaint."""
    dialog = shown_dialog(qtbot)
    dialog.show_report(PARTNER, facts("run-1", 20))
    dialog.show_now()
    qtbot.waitExposed(dialog)
    settle(qtbot, dialog)
    style = dialog.report.style()
    asked: list[object] = []
    ask = type(style).subElementRect
    monkeypatch.setattr(
        type(style), "subElementRect", lambda self, *a: asked.append(a[0]) or ask(self, *a)
    )
    dialog.report.viewport().repaint()
    assert asked == []
    from tests.gui.test_report_cells import cut_cells

    assert cut_cells(dialog.report, (2, 3)) == []  # the text still where the style puts it
