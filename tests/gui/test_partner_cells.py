"""The partners list paints from rows worked out once, and they stay true.

Issue 13 (UI stalls): a whole repaint of a 2,000-row list asked Python ~21 times per
visible cell (7 roles, each mapped through the proxy). The model now keeps what each row
says (`RowCells`) and answers a paint's roles of a cell in one `multiData` call. These
tests guard that structure and that what is shown still follows the record, its health,
its connection facts and the theme. No timing here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import (
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QTableView

import app.gui.models as models
from app.engine.connection_health import ConnectionFacts
from app.engine.health import FAILING, OK, Finding, Health
from app.gui import theme
from app.gui.models import PartnersFilterProxy, PartnersTableModel, SortRole
from app.vault import PartnerRecord

PAINT_ROLES = (
    Qt.ItemDataRole.FontRole,
    Qt.ItemDataRole.TextAlignmentRole,
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.CheckStateRole,
    Qt.ItemDataRole.DecorationRole,
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.BackgroundRole,
)
ALL_ROLES = (
    *PAINT_ROLES,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.AccessibleTextRole,
    SortRole,
)


def partner(i: int, **changes: Any) -> PartnerRecord:
    record = PartnerRecord(
        id=i,
        country_code="DE",
        party_id=f"{i:03X}",
        business_name=f"Charging Company {i}",
        roles=[{"role": "CPO"}],
        versions_url="http://127.0.0.1:9/versions",
        ocpi_version="2.2.1",
        status="registered",
        last_checked="2026-01-05T08:00:00Z" if i % 2 else None,
    )
    return replace(record, **changes)


def failing() -> Health:
    finding = Finding("token.c_rejected", FAILING, "TOKEN_C refused", "Rotate it", "refused")
    return Health(FAILING, (finding,))


def filled(count: int = 6) -> PartnersTableModel:
    model = PartnersTableModel()
    rows = [partner(i) for i in range(1, count + 1)]
    rows.append(
        partner(count + 1, our_role="receiver", status="pending", country_code="", business_name="")
    )
    health = {1: Health(OK), 2: failing(), 3: Health(OK, (), sandbox=True)}
    model.connection_facts.update(
        {1: ConnectionFacts("2026-01-04T10:00:00Z", token_age_days=3, tls_expires_days=40)}
    )
    model.set_partners(rows, health)
    return model


def one_role(answer: Any, index: QModelIndex, role: int) -> Any:
    """What `multiData` puts in a span holding one role (PySide6 spans cannot be built
    from a list)."""
    item = QModelRoleData(role)
    answer.multiData(index, QModelRoleDataSpan(item))
    return item.data()


def same(a: Any, b: Any) -> bool:
    if isinstance(a, QBrush) and isinstance(b, QBrush):
        return a.color() == b.color()
    return bool(a == b)


def test_multidata_through_the_proxy_answers_what_data_answers(qapp: Any) -> None:
    model = filled()
    proxy = PartnersFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(2, Qt.SortOrder.DescendingOrder)  # proxy rows differ from the model's
    for row in range(proxy.rowCount()):
        for column in range(proxy.columnCount()):
            index = proxy.index(row, column)
            for role in ALL_ROLES:
                expected = proxy.data(index, role)
                assert same(one_role(proxy, index, role), expected), (row, column, role)
                source = proxy.mapToSource(index)
                assert same(one_role(model, source, role), expected), (row, column, role)


def test_cells_say_what_the_record_health_and_facts_say(qapp: Any) -> None:
    model = filled()

    def text(pid: int, column: int) -> str:
        return str(model.index(model.row_of(pid), column).data())

    assert [text(1, c) for c in (0, 2, 6, 8, 9, 10, 11)] == [
        "DE",
        "Charging Company 1",
        "Registered",
        "ok",
        text(1, 9),
        "3 d",
        "40 d",
    ]
    assert text(1, 9) not in ("", "never")
    assert text(2, 6) == "Registered · refused" and text(2, 8) == "failing"
    assert text(3, 2) == "Charging Company 3  [sandbox]"
    assert text(2, 7) == "never" and text(1, 7) != "never"
    assert text(7, 2) == "(invited: waiting for the partner)" and text(7, 4) == "Receiver"
    assert text(4, 9) == "" and text(4, 8) == "unknown"  # no facts, no health yet


def test_a_row_is_worked_out_once_and_again_after_each_change(
    qapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = filled()
    made: list[int] = []
    real = models.row_cells
    monkeypatch.setattr(
        models, "row_cells", lambda r, h, f: (made.append(r.id or 0), real(r, h, f))[1]
    )
    row = model.row_of(4)
    first = model.cells(row)
    assert model.cells(row) is first and made == [4]  # a second paint looks it up

    model.upsert(partner(4, business_name="Renamed"))  # the record changed
    assert model.index(row, 2).data() == "Renamed" and made == [4, 4]

    model.upsert(partner(4, business_name="Renamed"), failing())  # its health changed
    assert model.index(row, 6).data() == "Registered · refused" and made == [4, 4, 4]

    model.connection_facts[4] = ConnectionFacts(None, token_age_days=9)  # new facts object
    assert model.index(row, 10).data() == "9 d" and made == [4, 4, 4, 4]
    assert model.index(row, 10).data(SortRole) == 9

    model._cells_until = 0.0  # the year turned: every row is made again
    model.cells(model.row_of(5))
    assert made[-1] == 5 and model.cells(row) is not None and made[-1] == 4

    model.remove(4)  # the rows after it keep their own cells
    assert model.index(model.row_of(5), 2).data() == "Charging Company 5"


def test_the_colours_follow_the_theme(qapp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    model = filled()
    index = model.index(model.row_of(2), PartnersTableModel.COL_STATUS)
    for palette in (theme.LIGHT, theme.DARK):
        monkeypatch.setattr(theme, "_current", [palette])
        brush = index.data(Qt.ItemDataRole.ForegroundRole)
        assert brush.color().name() == palette.error  # failing: the palette's error colour


def test_a_paint_asks_one_call_per_cell_not_one_per_role(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = filled(40)
    proxy = PartnersFilterProxy()
    proxy.setSourceModel(model)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.resize(900, 400)
    view.show()
    qtbot.waitExposed(view)
    asked: list[int] = []
    real = PartnersTableModel.data
    monkeypatch.setattr(
        PartnersTableModel, "data", lambda self, i, r=0: (asked.append(r), real(self, i, r))[1]
    )
    filled_cells: list[tuple[int, int]] = []
    fill = PartnersTableModel.fill
    monkeypatch.setattr(
        PartnersTableModel,
        "fill",
        lambda self, row, column, span: (
            filled_cells.append((row, column)),
            fill(self, row, column, span),
        )[1],
    )
    view.viewport().grab()  # paints it now
    assert filled_cells  # the visible cells, each answered in one call
    assert len(filled_cells) == len(set(filled_cells))
    paint_roles = {int(r.value) for r in PAINT_ROLES}
    assert not [r for r in asked if r in paint_roles]


def test_sorting_reads_the_records_and_keeps_no_cells(qapp: Any) -> None:
    model = filled(30)
    for row in range(model.rowCount()):  # a sort key says what the painted cell says
        for column in range(model.columnCount()):
            key = model.index(row, column).data(SortRole)
            if column not in (7, 10, 11):
                assert key == model.cells(row).texts[column].lower(), (row, column)
    model = filled(30)
    proxy = PartnersFilterProxy()
    proxy.setSourceModel(model)
    for column in (*range(model.columnCount()), 2):
        proxy.sort(column, Qt.SortOrder.AscendingOrder)
    names = [proxy.index(r, 2).data(SortRole) for r in range(proxy.rowCount())]
    assert names == sorted(names)
    assert model._cells == [None] * model.rowCount()  # nothing painted: nothing kept


def test_without_indexable_spans_a_cell_is_asked_role_by_role(
    qapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models, "SPANS_INDEX", False)  # an older PySide6
    model = filled()
    proxy = PartnersFilterProxy()
    proxy.setSourceModel(model)
    index = proxy.index(0, 2)
    assert one_role(proxy, index, Qt.ItemDataRole.DisplayRole) == proxy.data(index)
    assert one_role(model, proxy.mapToSource(index), Qt.ItemDataRole.DisplayRole) == index.data()


def test_the_list_sorts_in_the_order_qt_itself_gives_its_sort_keys(qapp: Any) -> None:
    """The proxy compares the records' keys in Python (one call per comparison, not two
    data() calls): every column, both directions, ties and missing values included, comes
    out in the order Qt's own comparison of the Sort role gives."""
    model = filled(12)
    model.set_partners(
        [
            *(model.record(r) for r in range(model.rowCount())),
            partner(20, business_name="älter GmbH", last_checked=None),
            partner(21, business_name="Zeta", country_code="NL", party_id="ZZZ"),
            partner(22, business_name="zeta", country_code="nl", party_id="aaa"),
        ],
        {1: Health(OK), 2: failing(), 3: Health(OK, (), sandbox=True), 21: failing()},
    )
    model.connection_facts.update(
        {
            2: ConnectionFacts(None, token_age_days=40, tls_expires_days=None),
            21: ConnectionFacts("2026-02-01T00:00:00Z", token_age_days=3, tls_expires_days=-2),
            22: ConnectionFacts(None, token_age_days=3.5, tls_expires_days=400),
        }
    )
    ours = PartnersFilterProxy()
    ours.setSourceModel(model)
    ours.set_status(models.ALL_ROWS)
    qts = QSortFilterProxyModel()  # the base class's lessThan: data(SortRole) compared in C++
    qts.setSortRole(SortRole)
    qts.setSourceModel(model)
    for column in range(model.columnCount()):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            ours.sort(column, order)
            qts.sort(column, order)
            assert ours.rowCount() == qts.rowCount() == model.rowCount()
            rows = [ours.mapToSource(ours.index(r, column)).row() for r in range(ours.rowCount())]
            expected = [qts.mapToSource(qts.index(r, column)).row() for r in range(qts.rowCount())]
            assert rows == expected, (column, order)


def test_the_list_colours_are_the_solid_brushes_qt_would_make(qapp: Any) -> None:
    """The model's brushes are made without QBrush's overloads (they made the QImage and
    QGradient types before the first paint): each is the brush `QBrush(colour)` gives."""
    model = filled()
    foregrounds = [
        model.index(row, column).data(Qt.ItemDataRole.ForegroundRole)
        for row in range(model.rowCount())
        for column in (PartnersTableModel.COL_STATUS, PartnersTableModel.COL_HEALTH, 7)
    ]
    brushes = [b for b in foregrounds if b is not None]
    assert len(brushes) >= model.rowCount() * 2
    for brush in brushes:
        assert isinstance(brush, QBrush)
        assert brush == QBrush(brush.color())
        assert brush.style() == Qt.BrushStyle.SolidPattern
    assert models.solid_brush(QColor("#a1b2c3")) == QBrush(QColor("#a1b2c3"))
