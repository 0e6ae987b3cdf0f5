"""app.paths resource lookup: from source, and frozen (PyInstaller's sys._MEIPASS)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app import paths

REPO = Path(__file__).resolve().parents[2]


def test_from_source_resources_are_the_repository_folder() -> None:
    assert not paths.is_frozen()
    assert paths.resources_dir() == REPO / "resources"
    for name in ("icon.svg", "icon.png", "style.qss"):
        assert paths.resource(name) == REPO / "resources" / name
        assert paths.resource(name).is_file()


def test_subfolders_are_reached_with_slashes() -> None:
    icon = paths.resource("icons/hicolor/64x64/apps/ocpi-onboard.png")
    assert icon == REPO / "resources" / "icons" / "hicolor" / "64x64" / "apps" / "ocpi-onboard.png"


@pytest.mark.parametrize("name", ["missing.svg", "icons", "icons/hicolor"])
def test_a_missing_file_raises_file_not_found(name: str) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        paths.resource(name)


@pytest.mark.parametrize(
    "name",
    [
        "../pyproject.toml",
        "icons/../../main.py",
        "/etc/passwd",
        "\\windows\\win.ini",
        "C:/Windows/win.ini",
        "",
    ],
)
def test_names_never_leave_the_resources_folder(name: str) -> None:
    with pytest.raises(FileNotFoundError, match="not a name inside"):
        paths.resource(name)


def test_frozen_lookup_uses_the_bundle_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "_internal"
    (bundle / "resources" / "icons").mkdir(parents=True)
    (bundle / "resources" / "style.qss").write_text("QWidget {}", "utf-8")
    (bundle / "resources" / "icons" / "a.png").write_bytes(b"png")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)

    assert paths.is_frozen()
    assert paths.resources_dir() == bundle / "resources"
    assert paths.resource("style.qss").read_text("utf-8") == "QWidget {}"
    assert paths.resource("icons/a.png") == bundle / "resources" / "icons" / "a.png"
    # Frozen, the repository's files are not a fallback: a bundle without them fails loudly.
    with pytest.raises(FileNotFoundError):
        paths.resource("icon.svg")


def test_user_dirs_follow_xdg_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("XDG variables only steer platformdirs on Linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert paths.data_dir() == tmp_path / "data" / "ocpi-onboard"
    assert paths.config_dir() == tmp_path / "config" / "ocpi-onboard"
