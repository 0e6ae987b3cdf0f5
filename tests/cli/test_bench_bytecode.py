"""The whole-process CLI benchmark times the app with its bytecode cached, as the raw scripts'
libraries are (site-packages), even under PYTHONDONTWRITEBYTECODE=1. Not timed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_compile_app_caches_every_app_module() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import cli_process
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    assert cli_process.compile_app()
    sources = sorted((ROOT / "app").rglob("*.py"))
    assert sources
    missing = [
        str(src.relative_to(ROOT))
        for src in sources
        if not Path(importlib.util.cache_from_source(str(src))).is_file()
    ]
    assert missing == []
