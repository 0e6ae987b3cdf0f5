"""PyInstaller runtime hook: start the vault key before PySide6's runtime hook runs.

Why (issue 13, target 1): PyInstaller runs PySide6's hook (pyi_rth_pyside6, which imports
QtCore) before main.py, so the key derivation main.py's run_gui starts would begin ~200 ms
after launch, and the window then waits for scrypt. Listed first in the spec's
`runtime_hooks` (PyInstaller runs custom hooks first, in list order), this starts it for
a GUI launch (main.py's test) on its own thread; run_gui takes that derivation
(app.vault.key_ahead.take_or_start) instead of starting a second one. From source there
is no hook and run_gui starts the key itself, as before. It also pauses the garbage
collector (app.gui.heap_start) before PySide6 loads; run_gui resumes it once the window
has painted.

Runtime hooks share __main__'s namespace with main.py: one private name, deleted after.
"""


def _ocpi_start_launch_key() -> None:
    import sys

    args = sys.argv[1:]
    if args and args[0] not in ("--gui", "--sandbox"):  # main.py runs the CLI for these
        return
    try:
        from app.gui.heap_start import pause_for_start

        pause_for_start()  # no garbage collection until the first paint: run_gui resumes it
        from app.gui.app import start_launch_key

        start_launch_key(args)
    except Exception:  # a head start only: run_gui meets the same case and reports it
        return


_ocpi_start_launch_key()
del _ocpi_start_launch_key
