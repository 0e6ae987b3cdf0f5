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
    from PySide6.QtWidgets import QWidget

    from app.core.diagnosis import OnboardingError
    from app.gui.main_window import MainWindow
    from app.gui.splash import StartupSplash
    from app.gui.unlock import QuietTry
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


class Opened:
    """What the start did before the loop existed: the vault and its window, when no
    question was needed, or what unlocking still has to do (or the error it met)."""

    def __init__(self) -> None:
        self.quiet: QuietTry | None = None
        self.error: OnboardingError | None = None
        self.window: MainWindow | None = None
        self.closed = False  # the window closed before the loop ran (a script, the system)

    def mark_closed(self) -> None:
        self.closed = True


def open_window_now(
    args: argparse.Namespace, splash: StartupSplash, settings: Settings, early: KeyAhead | None
) -> Opened:
    """Open the vault and show the main window with its partners list, without asyncio.

    Why (issue 13): asyncio and qasync (ssl, socket, subprocess, selectors) cost ~50 ms of
    the UI thread, and the list needs neither. The window's modules load while the key
    thread derives; then the vault opens with that key (or the keyring), the window is
    shown and painted. Only a question, a key not derived ahead or an error is left to
    `_main`, in the loop, exactly as before. Nothing is shown that is not known yet: the
    engine (our endpoint) starts once the loop runs.
    """
    from app.core.diagnosis import OnboardingError
    from app.gui.controller import Controller
    from app.gui.main_window import MainWindow
    from app.gui.unlock import unlock_now

    opened = Opened()
    try:
        opened.quiet = unlock_now(_vault_path(args, settings), early=early)
    except OnboardingError as exc:
        opened.error = exc
        return opened
    vault = opened.quiet.vault
    if vault is None:
        return opened
    controller = Controller(vault, settings, settings_path=args.settings)
    opened.window = window = MainWindow(controller)
    window.closed.connect(opened.mark_closed)
    window.show()
    splash.finish(window)
    _wait_first_paint(window)
    return opened


def _wait_first_paint(window: QWidget) -> None:
    """Let Qt map and paint the window (no keyboard or mouse input is handled yet: the
    window's actions need the loop, which starts right after)."""
    from PySide6.QtCore import QEventLoop

    from app.gui.first_paint import after_first_paint

    waiting = QEventLoop()
    after_first_paint(window, waiting.quit)
    waiting.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)


async def _ask_and_show(
    args: argparse.Namespace,
    splash: StartupSplash,
    settings: Settings,
    early: KeyAhead | None,
    opened: Opened,
) -> MainWindow | None:
    """The start's slow path, in the loop: the passphrase question (or a key derived here)
    and the window after it; None (a dialog said why, or the person cancelled): exit 1."""
    import asyncio

    from app.core.diagnosis import OnboardingError
    from app.gui.controller import Controller
    from app.gui.errors import show_error
    from app.gui.main_window import MainWindow
    from app.gui.unlock import unlock_vault

    try:
        if opened.error is not None:
            raise opened.error
        vault = await unlock_vault(
            _vault_path(args, settings),
            before_prompt=splash.finish,
            early=early,
            quiet=opened.quiet,
        )
    except OnboardingError as exc:
        splash.finish()
        dialog = show_error(exc.diagnosis, None, "Cannot open the vault")
        closed = asyncio.Event()
        dialog.finished.connect(lambda _code: closed.set())
        await closed.wait()
        return None
    if vault is None:
        splash.finish()
        return None
    controller = Controller(vault, settings, settings_path=args.settings)
    window = MainWindow(controller)
    window.show()
    splash.finish(window)
    # The engine (aiohttp's server, our endpoint) starts once the list is on screen.
    from app.gui.first_paint import after_first_paint

    after_first_paint(window, controller.warm_up)
    return window


async def _main(
    args: argparse.Namespace,
    splash: StartupSplash,
    settings: Settings,
    early: KeyAhead | None,
    settle: bool,
    opened: Opened,
) -> int:
    import asyncio

    window = opened.window
    if window is not None:  # shown and painted before the loop existed: the engine starts
        window.controller.warm_up()
    else:
        window = await _ask_and_show(args, splash, settings, early, opened)
        if window is None:
            return 1
    controller = window.controller
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    if opened.closed:
        closed.set()
    if settle:  # what the start built lives as long as the app: out of the GC's walk
        from app.gui.ahead import (
            build_detail_later,
            restore_tokens_later,
            start_settling,
            warm_first_call_later,
        )
        from app.gui.heap import settle_heap_later

        # with the first wizard's modules, then the first call's; then that wizard ahead
        settle_heap_later(window, settle_now=lambda: start_settling(window))
        build_detail_later(window)  # before the settle
        restore_tokens_later(window)  # if the settle could not (an engine started late)
        warm_first_call_later(window)  # the first handshake's modules and TLS context
    if args.sandbox:
        window.open_sender_wizard(sandbox_fault=args.fault)
    try:
        await closed.wait()
    finally:
        await controller.aclose()
        controller.vault.close()
        if settle:
            from app.gui.heap import release_heap

            release_heap()
    return 0


def _vault_path(args: argparse.Namespace, settings: Settings) -> Path | str | None:
    return args.vault or (vault_location(settings.vault_path) if settings.vault_path else None)


def start_launch_key(argv: list[str]) -> None:
    """Start the vault key for a GUI launch with `argv` before anything else loads.

    Called by the packaged app's first runtime hook (packaging/rthook_early_key.py), ahead
    of PyInstaller's PySide6 hook; run_gui then takes this derivation instead of starting
    its own. Arguments run_gui would refuse start nothing here and print nothing (run_gui
    reports them); the vault is the one run_gui will open (same options, same settings).
    """
    import contextlib
    import io

    from app.settings import load_settings
    from app.vault.key_ahead import start_launch_key as start

    quiet = io.StringIO()
    try:
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            args = parse_args(argv)
    except SystemExit:  # --help or a bad option: run_gui prints it, nothing to unlock
        return
    start(_vault_path(args, load_settings(args.settings)))


def run_gui(argv: list[str]) -> int:
    """The app's entry point; returns the exit code."""
    from app.gui.heap_start import pause_for_start, resume_after_start

    pause_for_start()  # no garbage collection until the first paint (or a question)
    try:
        return _run_gui(argv)
    finally:
        resume_after_start()  # however the start ended


def _run_gui(argv: list[str]) -> int:
    from app.gui.heap_start import resume_after_start

    args = parse_args(argv)
    # The key derivation (scrypt, ~100 ms on its own thread, without the GIL) starts first:
    # Qt, the splash, the vault and the window's modules then load while it runs, and the
    # key is ready when the vault opens (key_ahead loads no cipher library, no Vault).
    # In the package it started earlier still (start_launch_key, from a runtime hook).
    from app.settings import load_settings
    from app.vault.key_ahead import take_or_start

    settings = load_settings(args.settings)
    early = take_or_start(_vault_path(args, settings))
    from PySide6.QtWidgets import QApplication

    from app.gui.splash import StartupSplash
    from app.gui.theme import FUSION_ARGS, app_icon, apply_theme

    # The heap is ours to freeze only when the process is the app: a host that made the
    # QApplication before us (a test session) keeps its own collector policy, since freezing
    # it would also freeze the host's pending garbage (Qt wrappers) and upset its teardown.
    owns_process = QApplication.instance() is None
    app = QApplication.instance() or QApplication([*sys.argv[:1], *FUSION_ARGS])
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
    apply_theme(app, fusion_set=owns_process)  # after the splash is up
    from app.gui.errors import install_error_handlers

    install_error_handlers()  # a dialog for what goes wrong before the loop runs, too
    opened = open_window_now(args, splash, settings, early)
    resume_after_start()  # painted, or a question is next: the collector runs again
    if owns_process:
        from app.gui.interpreter import favour_the_window

        favour_the_window()  # threads work ahead from now on: the window gets the lock back sooner
    # Imported after the window is painted (or before a question): asyncio and qasync
    # (ssl, socket, subprocess, selectors) cost ~50 ms.
    import asyncio

    from app.gui.loop import QtLoop

    loop = QtLoop(app)
    asyncio.set_event_loop(loop)
    install_error_handlers(loop)
    with loop:
        return int(
            loop.run_until_complete(_main(args, splash, settings, early, owns_process, opened))
        )
