"""Where things live: user data/config dirs (platformdirs) and bundled resources.

One resource lookup that works from source and from a PyInstaller bundle: from source,
resources/ beside the app package; frozen, <bundle>/resources, where
packaging/ocpi-onboard.spec puts it (sys._MEIPASS is the bundle's _internal folder in a
onedir build, and Contents/Frameworks inside a macOS .app, where PyInstaller links the
data files in).
"""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath, PureWindowsPath

APP_NAME = "ocpi-onboard"


def data_dir() -> Path:
    import platformdirs  # imported when needed: the first window does not need it

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def is_frozen() -> bool:
    """True inside a PyInstaller bundle (the packaged app), False when run from source."""
    return bool(getattr(sys, "frozen", False)) and getattr(sys, "_MEIPASS", None) is not None


def resources_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource(name: str) -> Path:
    """A bundled file (icon, stylesheet) by name; raises FileNotFoundError if missing.

    `name` is relative to resources/ and may name a subfolder with "/"
    (e.g. "icons/hicolor/64x64/apps/ocpi-onboard.png"); it never leaves resources/.
    """
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not parts or name.startswith(("/", "\\")) or PureWindowsPath(name).drive or ".." in parts:
        raise FileNotFoundError(f"resource {name!r} is not a name inside {resources_dir()}")
    path = resources_dir().joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(f"resource {name} not found in {resources_dir()}")
    return path
