"""Layering rules: the engine never imports Qt (design.md)."""

from __future__ import annotations

import subprocess
import sys


def test_engine_layers_load_no_qt() -> None:
    code = (
        "import sys, app.core.handshake, app.core.runner, app.core.transcript_export, app.callback.server, "
        "app.vault, app.sandbox, app.engine, app.cli; "
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'qasync', 'shiboken6'))); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
