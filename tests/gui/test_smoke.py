from __future__ import annotations

from typing import Any


def test_window_opens_with_empty_state(window: Any) -> None:
    assert window.stack.currentIndex() == 0
    assert window.empty.sandbox.isVisible()
