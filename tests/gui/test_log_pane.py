"""The log pane: levels, filters, copy, and token-confusion highlighting from sandbox faults."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication

from app.engine.progress import RunFinished
from app.gui import entries as E
from app.gui.flows import Phase
from app.gui.models import ConfusionRole, LevelRole
from app.gui.theme import colours
from tests.gui.helpers import register_sandbox, run_sender_wizard


@pytest.mark.parametrize(
    ("fault", "code", "outcome"),
    [
        ("token-c-equals-b", "token.c_equals_b", Phase.FAILED),
        ("401-after-registration", "token.c_rejected", Phase.DONE),
        ("callback-with-token-a", "token.a_used_in_callback", Phase.FAILED),
        ("plain-token", "token.encoding_switched", Phase.DONE),
    ],
)
def test_token_confusion_is_highlighted_and_explained(
    qtbot: Any, window: Any, fault: str, code: str, outcome: Phase
) -> None:
    wizard = run_sender_wizard(qtbot, window, fault)
    assert wizard.sender_flow.phase == outcome
    pane = window.log_pane
    model = pane.model
    rows = pane.confusion_rows()
    codes = {E.diagnosis_of(model.entry(r))["code"] for r in rows}
    assert code in codes, codes
    row = next(r for r in rows if E.diagnosis_of(model.entry(r))["code"] == code)
    index = model.index(row, 2)
    assert index.data(ConfusionRole) is True
    assert QColor(index.data(Qt.ItemDataRole.BackgroundRole)) == QColor(colours().confusion_bg)
    assert model.index(row, 1).data() == "TOKEN MIX-UP"
    diagnosis = E.diagnosis_of(model.entry(row))
    assert diagnosis["hint"] in index.data()  # the fix, in the line itself
    # selecting it explains it in plain words with the suggested fix
    pane.select_row(row)
    assert pane.explain.isVisible()
    assert pane.explain.property("level") == "confusion"
    assert pane.explain.title.text() == "Token mix-up"
    assert diagnosis["message"] in pane.explain.text.text()
    assert diagnosis["hint"] in pane.explain.fix.text()
    # fingerprints let the eye follow the tokens; the filter keeps the mix-ups
    assert any("·" in str(model.index(r, 2).data()) for r in range(model.rowCount()))
    pane.confusion_only.setChecked(True)
    assert pane.proxy.rowCount() == len(rows)
    pane.confusion_only.setChecked(False)
    # the wizard page says it too, in the mix-up colours
    page = wizard.register_page if wizard.currentId() == 2 else wizard.discover_page
    banners = [
        b
        for b in (page.error, getattr(page, "mixup", None), getattr(page, "warnings", None))
        if b is not None and b.isVisible()
    ]
    assert any(
        b.property("level") == "confusion" and diagnosis["message"] in b.text.text()
        for b in banners
    )


def test_level_filter_and_copy(qtbot: Any, window: Any) -> None:
    run_sender_wizard(qtbot, window, "no-callback")
    pane = window.log_pane
    total = pane.proxy.rowCount()
    levels = [pane.model.index(r, 0).data(LevelRole) for r in range(pane.model.rowCount())]
    assert "warning" in levels and "info" in levels
    pane.level.setCurrentIndex(2)  # warnings and errors
    shown = pane.proxy.rowCount()
    assert 0 < shown < total
    for r in range(shown):
        assert pane.proxy.index(r, 0).data(LevelRole) in ("warning", "error") or pane.proxy.index(
            r, 0
        ).data(ConfusionRole)
    pane.level.setCurrentIndex(0)
    assert pane.proxy.rowCount() == total
    pane.table.selectAll()
    pane.copy_selection()
    copied = QGuiApplication.clipboard().text()
    assert "Mutual discovery incomplete" in copied
    assert copied.count("\n") >= total - 1


def test_log_model_appends_rows_without_reset(qtbot: Any, window: Any, qapp: Any) -> None:
    pane = window.log_pane
    pane.model.reset("run-x")
    inserted: list[tuple[int, int]] = []
    resets: list[int] = []
    pane.model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    pane.model.modelReset.connect(lambda: resets.append(1))
    for n in range(3):
        pane._on_controller_entryAdded(
            "run-x",
            {
                "type": "event",
                "level": "info",
                "message": f"m{n}",
                "at": "2025-01-01T00:00:00.000Z",
            },
        )
    pane._on_controller_entryAdded("other-run", {"type": "event", "level": "info", "message": "no"})
    assert inserted == [(0, 0), (1, 1), (2, 2)] and not resets


def test_the_run_is_labelled_when_the_engine_says_it_finished(
    qtbot: Any, window: Any, controller: Any
) -> None:
    """The pane relabelled a run only on its StepDone/StepFailed entries, so its header read
    "running" after a run whose last step was said before the outcome was stored (a gate
    of session 19). The run-finished event of the engine's progress channel comes after the
    outcome is stored: here the stored outcome changes after every entry, and only that
    event tells the pane."""
    result = register_sandbox(qtbot, controller)
    pane = window.log_pane
    qtbot.waitUntil(lambda: pane.model.run_id == result.run_id, timeout=5000)
    qtbot.waitUntil(lambda: pane.run_label.text().endswith("· succeeded"), timeout=5000)
    controller.vault.update_run(result.run_id, outcome="interrupted")
    assert pane.run_label.text().endswith("· succeeded")  # no entry came: nothing relabelled
    controller.engine_or_none.channel.send(RunFinished(result.run_id, result))
    assert pane.run_label.text().endswith("· interrupted"), pane.run_label.text()


def test_copy_is_enabled_only_with_a_line_to_copy(qtbot: Any, window: Any) -> None:
    """Seen in a real window: Copy was enabled on an empty pane and copied nothing. It is
    enabled only while a line is shown (Copy copies the selection, else every line shown),
    and Export only once the pane shows a run."""
    pane = window.log_pane
    assert pane.proxy.rowCount() == 0
    assert not pane.copy_button.isEnabled() and not pane.export_button.isEnabled()
    assert pane.run_label.text().startswith("No run shown")  # not "No run yet": runs may exist
    run_sender_wizard(qtbot, window, "no-callback")
    qtbot.waitUntil(lambda: pane.proxy.rowCount() > 0, timeout=5000)
    assert pane.copy_button.isEnabled() and pane.export_button.isEnabled()
    assert not pane.confusion_rows()  # this run has no token mix-up
    qtbot.mouseClick(pane.confusion_only, Qt.MouseButton.LeftButton)
    assert pane.confusion_only.isChecked() and pane.proxy.rowCount() == 0
    assert not pane.copy_button.isEnabled()  # the filter left nothing to copy
    assert pane.export_button.isEnabled()  # the run is still there to export whole
    qtbot.mouseClick(pane.confusion_only, Qt.MouseButton.LeftButton)
    assert not pane.confusion_only.isChecked()
    assert pane.copy_button.isEnabled()
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(pane.copy_button, Qt.MouseButton.LeftButton)
    assert "Mutual discovery incomplete" in QGuiApplication.clipboard().text()
