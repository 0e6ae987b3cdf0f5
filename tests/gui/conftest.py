"""GUI fixtures: offscreen Qt, one qasync loop per test, a fresh vault, injected settings.

The qasync fixture follows docs/toolchain notes: the app's QtLoop on the test's QApplication,
set as the event loop and marked running (httpx/anyio need it inside tasks); teardown
cancels what is left, lets the cancellations finish, unmarks and closes it. Never
loop.stop(): it would quit Qt and make every later qtbot.wait* return at once.
"""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("QT_API", "pyside6")

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from app.gui.loop import QtLoop
from app.settings import Settings
from app.vault import Vault

GUI_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here drives real Qt widgets: mark them `gui` (select with -m gui)."""
    for item in items:
        if GUI_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.gui)


def pump_until(app: QApplication, done: Any, timeout: float = 10.0) -> bool:
    """Process Qt events (which run asyncio callbacks) until done() or the timeout."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            return False
        app.processEvents()
        time.sleep(0.002)
    return True


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    loop = QtLoop(qapp)  # the app's loop: qasync's, timers killed on cancel
    asyncio.set_event_loop(loop)
    asyncio.events._set_running_loop(loop)
    try:
        yield loop
    finally:
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in tasks:
            task.cancel()
        pump_until(qapp, lambda: all(t.done() for t in tasks), 10.0)
        asyncio.events._set_running_loop(None)
        loop.close()
        asyncio.set_event_loop(None)


def run_on(app: QApplication, coro: Any, timeout: float = 30.0) -> Any:
    """Run a coroutine on the test's qasync loop to completion (from a sync test)."""
    task = asyncio.ensure_future(coro)
    assert pump_until(app, task.done, timeout), "coroutine did not finish in time"
    return task.result()


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "settings.json"


@pytest.fixture
def vault(qloop: asyncio.AbstractEventLoop, vault: Vault) -> Vault:
    """The shared test vault, opened after the test's loop exists and closed before it goes."""
    return vault


@pytest.fixture
def controller(
    qapp: QApplication, vault: Vault, settings: Settings, settings_path: Path
) -> Iterator[Any]:
    from app.gui.controller import Controller

    ctl = Controller(vault, settings, settings_path=settings_path)
    yield ctl
    run_on(qapp, ctl.aclose(), 20.0)


@pytest.fixture
def clipboard(qapp: QApplication) -> Any:
    from app.gui.clipboard import SecretClipboard

    return SecretClipboard(clear_after_ms=30_000)


@pytest.fixture
def window(qtbot: Any, controller: Any, clipboard: Any, tmp_path: Path) -> Iterator[Any]:
    from app.gui.main_window import MainWindow, window_state

    win = MainWindow(
        controller,
        clipboard=clipboard,
        state=window_state(tmp_path / "window.ini"),
        export_dir=tmp_path / "exports",
    )
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


@pytest.fixture
def layouts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the report's delegate lays out (to measure a row or to paint it)."""
    from app.gui import health_tab

    made: list[str] = []
    laid_out = health_tab._WrappedCells._laid_out
    monkeypatch.setattr(
        health_tab._WrappedCells,
        "_laid_out",
        staticmethod(lambda text, font, width: made.append(text) or laid_out(text, font, width)),
    )
    return made
