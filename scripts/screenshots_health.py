"""The connection-health part of the user-driven screenshot run (scripts/screenshots.py).

Not a script of its own: `health(driver, window)` is one step of `Driver.run`, on the same
app, with the same keys-and-clicks driver. Two of the partners typed into the Onboard wizard
earlier misbehave after registration (sandbox faults served on loopback): AT-ALP's pages
lie (`lying-pagination`), BE-VLT drops its tariffs module (`drift-module`). Then, as a
person does: Ctrl+L hides the log pane for room; a click on AT-ALP, Alt+L (Hea&lth),
Ctrl+Shift+V (Verify connection): the report opens and the mouse wheel scrolls to the failed
checks (health-verify-report), Escape; Dismiss on the result banner (health-list); a click
on BE-VLT, F5 (Check connection): the drift in the Health tab (health-drift).
"""

from __future__ import annotations

from typing import Any


def wheel(widget: Any, notches: int) -> None:
    """Turn the mouse wheel over a widget (negative: down), as a person scrolls."""
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(widget.rect().center())),
        QPoint(),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


async def scroll_until(area: Any, done: Any) -> None:
    """Wheel down over a scroll area until `done()` or its end."""
    import asyncio

    bar = area.verticalScrollBar()
    await asyncio.sleep(0.3)  # a banner just dismissed: the layout settles first
    for _ in range(40):
        if done() or bar.value() >= bar.maximum():
            return
        wheel(area.viewport(), -1)
        await asyncio.sleep(0.05)


async def dismiss_result(driver: Any, window: Any) -> None:
    """Click Dismiss on the result banner (Verify finished, Connection OK)."""
    view = window.partner_view
    if view.banner.isVisible():
        driver.click(view.banner_close)
        await driver.until(lambda: not view.banner.isVisible(), "the banner dismissed")


async def show_health_tab(driver: Any, window: Any) -> None:
    """Scroll the detail down until the drift history's first rows show (the partner's
    banners take the top), no further: the partner's name stays in view when it can."""
    from PySide6.QtCore import QPoint

    area = window.partner_view.stack.currentWidget()
    drift = window.health_ui.tab.drift

    def shown() -> bool:
        rows = drift.mapTo(area.viewport(), QPoint(0, min(drift.height(), 110))).y()
        return bool(rows <= area.viewport().height())

    await scroll_until(area, shown)


async def health(driver: Any, window: Any) -> None:
    from PySide6.QtCore import Qt

    ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
    ui = window.health_ui
    await driver.activate(window)
    if window.log_pane.isVisible():
        driver.key(Qt.Key.Key_L, ctrl)  # View ▸ Log
        await driver.until(lambda: not window.log_pane.isVisible(), "the log pane hidden")

    await driver.select_partner(window, "AT-ALP")
    await driver.tab(window, Qt.Key.Key_L)  # Hea&lth
    driver.key(Qt.Key.Key_V, ctrl | shift)  # Verify connection
    dialog = ui.tab.dialog
    await driver.until(
        lambda: dialog.isVisible() and "Last verify" in dialog.title.text(), "the report", 180
    )
    await driver.activate(dialog)
    report = dialog.report
    fails = [r for r in range(report.rowCount()) if report.item(r, 0).text() == "FAIL"]
    if fails:  # the failed checks near the top, with a passed one above for context
        first = max(0, fails[0] - 1)
        await scroll_until(report, lambda: report.rowViewportPosition(first) <= 0)
    await driver.shoot(dialog, "health-verify-report", dialog=True)
    driver.key(Qt.Key.Key_Escape)
    await driver.until(lambda: not dialog.isVisible(), "the report closed")

    await driver.activate(window)
    await dismiss_result(driver, window)
    await show_health_tab(driver, window)
    await driver.shoot(window, "health-list")

    await driver.select_partner(window, "BE-VLT")
    await driver.tab(window, Qt.Key.Key_L)
    driver.key(Qt.Key.Key_F5)  # Check connection
    drift = ui.tab.drift

    def drifted() -> bool:
        texts = {drift.item(r, 2).text() for r in range(drift.rowCount()) if drift.item(r, 2)}
        return bool(texts - {"", "no change"})

    await driver.until(drifted, "the drift in the Health tab", 120)
    await driver.until(lambda: window.partner_view.banner.isVisible(), "the check's result")
    await dismiss_result(driver, window)
    await show_health_tab(driver, window)
    await driver.shoot(window, "health-drift")
    await driver.activate(window)
    driver.key(Qt.Key.Key_L, ctrl)  # the log pane back for what follows
