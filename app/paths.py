"""Where things live: user data/config dirs (platformdirs) and bundled resources.

One resource lookup that works from source and from a PyInstaller bundle (sys._MEIPASS).
"""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs

APP_NAME = "ocpi-onboard"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def resources_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource(name: str) -> Path:
    """A bundled file (icon, stylesheet) by name; raises FileNotFoundError if missing."""
    path = resources_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"resource {name} not found in {resources_dir()}")
    return path
