"""The built-in partner profiles ship with the packaged app: the spec copies resources/
whole (profiles included; only the build-time .ico/.icns stay out) and the frozen lookup
finds presets in the bundle."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from app import paths
from app.engine.profiles import listing, preset_names

ROOT = Path(__file__).resolve().parents[2]


def test_the_spec_ships_the_whole_resources_folder() -> None:
    spec = (ROOT / "packaging" / "ocpi-onboard.spec").read_text("utf-8")
    assert 'RESOURCES = ROOT / "resources"' in spec
    # Every file under resources/ but the two icons only EXE/BUNDLE read at build time
    # (tests/packaging/test_built_app.py checks the built bundle file by file).
    assert re.search(r"for path in sorted\(RESOURCES\.rglob\(\"\*\"\)\)", spec)
    assert 'BUILD_TIME_ONLY = {"icon.ico", "icon.icns"}' in spec
    assert "datas=DATAS," in spec
    assert (ROOT / "resources" / "profiles" / "gireve-hub.toml").is_file()


def test_frozen_presets_come_from_the_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "_internal"
    shutil.copytree(ROOT / "resources" / "profiles", bundle / "resources" / "profiles")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert paths.resources_dir() == bundle / "resources"
    names = preset_names()
    assert {"gireve-hub", "enapi-hub", "strict-211", "activation-delay"} <= set(names)
    assert all(p.source == "builtin" for p in listing())
