"""Start the desktop app: QApplication, the qasync loop, the vault, the main window.

`run_gui(argv)` is what double-clicking the app (and `python main.py`) runs. `--sandbox`
opens the onboarding wizard right away with a sandbox partner started by the engine.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("QT_API", "pyside6")

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from app.gui.splash import StartupSplash
    from app.settings import Settings
    from app.vault.key_ahead import KeyAhead


def vault_location(text: str) -> Path | str:
    """`--vault`: a file, or a postgresql:// URL (the team vault); no vault import here so
    that the window shows before the heavy imports."""
    url = text.strip()
    return url if url.lower().startswith(("postgresql://", "postgres://")) else Path(text)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ocpi-onboard", add_help=True)
    parser.add_argument("--gui", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--sandbox", action="store_true", help="open the onboarding wizard with a sandbox partner"
    )
    parser.add_argument("--fault", default="none", help="sandbox fault mode to rehearse")
    parser.add_argument(
        "--vault",
        type=vault_location,
        default=None,
        help="vault file (default: user data dir) or postgresql://... (team vault)",
    )
    parser.add_argument(
        "--settings", type=Path, default=None, help="settings file (default: user config dir)"
    )
    args = parser.parse_args(argv)
    if args.fault != "none":  # the sandbox (aiohttp) is imported only when a fault is named
        from app.sandbox import Fault

        names = [fault.value for fault in Fault]
        if args.fault not in names:
            parser.error(f"unknown fault {args.fault!r}; choose from {', '.join(names)}")
    return args


async def _main(
    app: QApplication,
    args: argparse.Namespace,
    splash: StartupSplash,
    settings: Settings,
    early: KeyAhead | None,
    settle: bool,
) -> int:
    import asyncio

    from app.core.diagnosis import OnboardingError
    from app.gui.errors import show_error
    from app.gui.unlock import unlock_vault

    vault_path = _vault_path(args, settings)
    unlocking = asyncio.ensure_future(
        unlock_vault(vault_path, before_prompt=splash.finish, early=early)
    )
    await asyncio.sleep(0)  # the key derivation starts in its worker thread (scrypt frees the GIL)
    # ... while the engine and the windows load here, on this thread
    from app.gui.controller import Controller
    from app.gui.main_window import MainWindow

    try:
        vault = await unlocking
    except OnboardingError as exc:
        splash.finish()
        dialog = show_error(exc.diagnosis, None, "Cannot open the vault")
        closed = asyncio.Event()
        dialog.finished.connect(lambda _code: closed.set())
        await closed.wait()
        return 1
    if vault is None:
        splash.finish()
        return 1
    controller = Controller(vault, settings, settings_path=args.settings)
    window = MainWindow(controller)
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    window.show()
    splash.finish(window)
    # The engine (aiohttp's server, our endpoint) starts once the list is on screen.
    from app.gui.first_paint import after_first_paint

    after_first_paint(window, controller.warm_up)
    if settle:  # what the start built lives as long as the app: out of the GC's walk
        from app.gui.heap import settle_heap_later

        settle_heap_later(window)
        from app.gui.ahead import build_first_wizard_later

        build_first_wizard_later(window)  # after the settle and the start's RSS figure
    if args.sandbox:
        window.open_sender_wizard(sandbox_fault=args.fault)
    try:
        await closed.wait()
    finally:
        await controller.aclose()
        vault.close()
        if settle:
            from app.gui.heap import release_heap

            release_heap()
    return 0


def _vault_path(args: argparse.Namespace, settings: Settings) -> Path | str | None:
    return args.vault or (vault_location(settings.vault_path) if settings.vault_path else None)


def run_gui(argv: list[str]) -> int:
    """The app's entry point; returns the exit code."""
    args = parse_args(argv)
    # The key derivation (scrypt, ~100 ms on its own thread, without the GIL) starts first:
    # Qt, the splash, the vault and the window's modules then load while it runs, and the
    # key is ready when the vault opens (key_ahead loads no cipher library, no Vault).
    from app.settings import load_settings
    from app.vault.key_ahead import start_env_key

    settings = load_settings(args.settings)
    early = start_env_key(_vault_path(args, settings))
    from PySide6.QtWidgets import QApplication

    from app.gui.splash import StartupSplash
    from app.gui.theme import app_icon, apply_theme

    # The heap is ours to freeze only when the process is the app: a host that made the
    # QApplication before us (a test session) keeps its own collector policy, since freezing
    # it would also freeze the host's pending garbage (Qt wrappers) and upset its teardown.
    owns_process = QApplication.instance() is None
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("OCPI Onboard")
    app.setOrganizationName("ocpi-onboard")
    app.setDesktopFileName("ocpi-onboard")
    icon = app_icon()
    app.setWindowIcon(icon)
    app.setQuitOnLastWindowClosed(False)
    splash = StartupSplash(icon)
    if not os.environ.get("OCPI_ONBOARD_NO_SPLASH"):
        splash.show_centered()
    apply_theme(app)  # after the splash is up: style and stylesheet cost ~10 ms
    # Imported after the splash is painted: asyncio, qasync and the error handlers cost ~120 ms.
    import asyncio

    from app.gui.errors import install_error_handlers
    from app.gui.loop import QtLoop

    loop = QtLoop(app)
    asyncio.set_event_loop(loop)
    install_error_handlers(loop)
    with loop:
        return int(loop.run_until_complete(_main(app, args, splash, settings, early, owns_process)))
