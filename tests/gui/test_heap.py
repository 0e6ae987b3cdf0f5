"""The app moves what its start built out of the garbage collector's full passes."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from app.gui.heap import settle_heap


@pytest.fixture
def thawed() -> Iterator[None]:
    """The test process must not keep frozen objects for the tests that follow."""
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()


def test_settle_heap_freezes_what_exists_and_later_objects_stay_collectable(
    thawed: None, qapp: Any
) -> None:
    frozen = settle_heap()
    assert frozen > 0 and gc.get_freeze_count() == frozen
    later: list[Any] = []
    later.append(later)  # a cycle made after the freeze: the collector still frees it
    assert gc.is_tracked(later)
    assert any(o is later for o in gc.get_objects())
    del later
    assert gc.collect() >= 1


def test_a_window_closed_before_the_start_settles_freezes_nothing(thawed: None, qtbot: Any) -> None:
    from PySide6.QtWidgets import QWidget

    from app.gui.heap import settle_heap_later

    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    settle_heap_later(window, 10)
    window.hide()
    qtbot.wait(50)
    assert gc.get_freeze_count() == 0
    window.show()
    settle_heap_later(window, 10)
    qtbot.waitUntil(lambda: gc.get_freeze_count() > 0, timeout=2000)
