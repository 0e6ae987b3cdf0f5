"""The Health tab's tables show their text whole, with the app's stylesheet, at 1024×700.

Issue 9 (found by looking at the README's health screenshots): in the verify report a
detail one word too long for one painted line ("GET locations?limit=1 answered OCPI 1000
with a list.") was drawn "… with a ...": Qt measured the wrapped text in the column's whole
width, but the stylesheet's `QTableView::item` padding narrows where it is painted. In the
drift history the endpoint URL that changed was drawn "http://127.0.0.1:3..." (a URL has no
word boundary to wrap at) and the "What changed" header was cut (now "Change"). Measured here: the text
laid out in the rectangle the style paints it in (wrapped at word boundaries, or anywhere
in a word longer than a line) needs no more height than the row gives it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QTextLayout, QTextOption
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionViewItem, QTableWidget

from tests.gui.helpers import WAIT_MS, app_style_sheet, register_sandbox, verify_facts


@pytest.fixture
def styled(qapp: QApplication) -> Iterator[None]:
    """The stylesheet the app itself applies at start (app/gui/app.py)."""
    with app_style_sheet(qapp):
        yield


def laid_out_height(text: str, table: QTableWidget, width: int) -> int:
    layout = QTextLayout(text, table.font())
    wrap = QTextOption()
    wrap.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(wrap)
    layout.beginLayout()
    height = 0.0
    while (line := layout.createLine()).isValid():
        line.setLineWidth(width)
        line.setPosition(QPointF(0, height))
        height += line.height()
    layout.endLayout()
    return round(height)


def cut_headers(table: QTableWidget) -> list[str]:
    header = table.horizontalHeader()
    return [
        str(table.horizontalHeaderItem(col).text())
        for col in range(table.columnCount())
        if header.sectionSizeFromContents(col).width() > header.sectionSize(col)
    ]


def cut_cells(table: QTableWidget, columns: tuple[int, ...]) -> list[str]:
    """Cells whose wrapped text needs more height than the rectangle it is painted in."""
    style = table.style()
    margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1
    cut = []
    for row in range(table.rowCount()):
        for col in columns:
            item = table.item(row, col)
            if item is None or not item.text():
                continue
            option = QStyleOptionViewItem()
            option.rect = table.visualRect(table.model().index(row, col))
            option.text = item.text()
            option.font = table.font()
            option.features |= (
                QStyleOptionViewItem.ViewItemFeature.WrapText
                | QStyleOptionViewItem.ViewItemFeature.HasDisplay
            )
            painted = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, table)
            needed = laid_out_height(item.text(), table, painted.width() - 2 * margin)
            if needed > painted.height():
                cut.append(f"{item.text()!r} needs {needed} px, has {painted.height()}")
    return cut


def test_verify_report_shows_each_detail_and_fix_whole(
    styled: None, qtbot: Any, window: Any, controller: Any
) -> None:
    result = register_sandbox(qtbot, controller, "lying-pagination")
    qtbot.waitUntil(lambda: window.select_partner(result.partner_id), timeout=10_000)
    qtbot.waitUntil(lambda: window.selected_partner().status == "registered", timeout=5000)
    window.activateWindow()
    dialog = window.health_ui.tab.dialog
    QTest.keyClick(
        window.table,
        Qt.Key.Key_V,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    qtbot.waitExposed(dialog)
    report = dialog.report
    assert report.rowCount() > 10
    assert cut_cells(report, (2, 3)) == []
    dialog.resize(760, 560)  # narrower: the rows grow with the wrapped text
    qtbot.waitUntil(lambda: not cut_cells(report, (2, 3)), timeout=5000)


def test_drift_history_shows_the_changed_endpoint_whole_at_1024(
    styled: None, qtbot: Any, window: Any, controller: Any
) -> None:
    window.resize(1024, 700)
    result = register_sandbox(qtbot, controller, "drift-module")
    qtbot.waitUntil(lambda: window.select_partner(result.partner_id), timeout=10_000)
    qtbot.waitUntil(lambda: window.selected_partner().status == "registered", timeout=5000)
    window.activateWindow()
    QTest.keyClick(window.table, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)  # Hea&lth
    tab = window.health_ui.tab
    assert window.partner_view.tabs.currentWidget() is tab
    QTest.keyClick(window.table, Qt.Key.Key_F5)  # Check connection
    drift = tab.drift

    def changed() -> list[str]:
        return [drift.item(r, 3).text() for r in range(drift.rowCount()) if drift.item(r, 3)]

    qtbot.waitUntil(lambda: any("tariffs" in text for text in changed()), timeout=WAIT_MS)
    assert drift.isVisible()
    # the rows come first; the header's sections are sized on the layout's next turn (a
    # loaded machine showed "Snapshot" cut in between): what a person reads once it settles
    settled = lambda: cut_headers(drift) == [] and cut_cells(drift, (1, 2, 3, 4)) == []  # noqa: E731
    with contextlib.suppress(qtbot.TimeoutError):  # the asserts below say what is cut
        qtbot.waitUntil(settled, timeout=2000)
    assert cut_headers(drift) == []
    assert cut_cells(drift, (1, 2, 3, 4)) == []


def report_facts(run_id: str, count: int) -> Any:
    return verify_facts(
        run_id, count, when="2026-12-03T10:00:00Z", detail_times=lambda i: 1 + i % 3
    )


def test_a_long_report_shows_every_check_whole_once_its_rows_are_measured(
    styled: None, qtbot: Any
) -> None:
    """Rows are added and measured a slice per turn of the loop (issue 13): at the end
    every check is a row, with its text, and no cell is cut; the same report again is not
    rebuilt."""
    from app.gui.health_tab import VerifyReportDialog
    from app.vault import PartnerRecord

    partner = PartnerRecord(id=7, country_code="DE", party_id="ABC", status="registered")
    dialog = VerifyReportDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    facts = report_facts("run-1", 90)
    dialog.show_report(partner, facts)
    report = dialog.report
    assert 0 < report.rowCount() <= 90  # the first rows at once, the rest in later turns
    qtbot.waitUntil(lambda: not dialog.filling() and not report.fitting(), timeout=5000)
    assert report.rowCount() == 90
    assert [report.item(r, 1).text() for r in range(90)] == [f"check.{i}" for i in range(90)]
    assert cut_cells(report, (2, 3)) == []
    first = report.item(0, 2)
    dialog.show_report(partner, facts)  # a refresh of the detail: the same run
    assert report.item(0, 2) is first
    dialog.show_report(partner, report_facts("run-2", 3))  # a new verify run: its rows
    qtbot.waitUntil(lambda: not dialog.filling() and not report.fitting(), timeout=5000)
    assert report.rowCount() == 3
    assert cut_cells(report, (2, 3)) == []


def test_a_measured_report_is_painted_without_laying_its_cells_out_again(
    styled: None, qtbot: Any, layouts: list[str]
) -> None:
    """Issue 13: a report refilled in an open dialog laid each cell out to measure its row,
    again when the rows were fitted, and again for every paint (15-22 ms turns). The
    delegate keeps what it laid out: a repaint of measured rows lays out nothing new."""
    from app.gui.health_tab import VerifyReportDialog
    from app.vault import PartnerRecord

    made = layouts
    partner = PartnerRecord(id=7, country_code="DE", party_id="ABC", status="registered")
    dialog = VerifyReportDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.show_report(partner, report_facts("run-1", 12))
    report = dialog.report
    qtbot.waitUntil(lambda: not dialog.filling() and not report.fitting(), timeout=5000)
    report.viewport().repaint()  # the first paint of the measured rows
    assert made and cut_cells(report, (2, 3)) == []
    made.clear()
    report.viewport().repaint()  # nothing changed: every cell's layout is kept
    assert made == []
    dialog.show_report(partner, report_facts("run-2", 12))  # a new run: its own texts
    qtbot.waitUntil(lambda: not dialog.filling() and not report.fitting(), timeout=5000)
    assert report.rowCount() == 12 and cut_cells(report, (2, 3)) == []
