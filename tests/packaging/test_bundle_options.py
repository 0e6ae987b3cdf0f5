"""packaging/bundle_options.py: which Qt files the bundle keeps, and what it never excludes."""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    # By path: a `packaging` package would shadow the PyPI `packaging` distribution.
    spec = importlib.util.spec_from_file_location(
        "ocpi_bundle_options", REPO / "packaging" / "bundle_options.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


opts = _load()

KEPT = [
    # Linux
    "PySide6/Qt/lib/libQt6Core.so.6",
    "PySide6/Qt/lib/libQt6Gui.so.6",
    "PySide6/Qt/lib/libQt6Widgets.so.6",
    "PySide6/Qt/lib/libQt6XcbQpa.so.6",
    "PySide6/Qt/lib/libQt6DBus.so.6",
    "PySide6/Qt/lib/libQt6Svg.so.6",
    "PySide6/Qt/lib/libicudata.so.73",
    "PySide6/QtCore.abi3.so",
    "PySide6/QtWidgets.abi3.so",
    "PySide6/libpyside6.abi3.so.6.12",
    "PySide6/Qt/plugins/platforms/libqxcb.so",
    "PySide6/Qt/plugins/platforms/libqoffscreen.so",
    "PySide6/Qt/plugins/platforms/libqminimal.so",
    "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
    "PySide6/Qt/plugins/platforminputcontexts/libcomposeplatforminputcontextplugin.so",
    "PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so",
    "PySide6/Qt/plugins/imageformats/libqsvg.so",
    "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
    "PySide6/Qt/plugins/xcbglintegrations/libqxcb-glx-integration.so",
    "shiboken6/libshiboken6.abi3.so.6.12",
    "libpython3.11.so.1.0",
    "resources/icon.svg",
    # Windows
    "PySide6\\Qt6Core.dll",
    "PySide6\\Qt6Widgets.dll",
    "PySide6\\plugins\\platforms\\qwindows.dll",
    "PySide6\\plugins\\styles\\qmodernwindowsstyle.dll",
    "PySide6\\QtCore.pyd",
    # macOS
    "PySide6/Qt/lib/QtCore.framework/Versions/A/QtCore",
    "PySide6/Qt/lib/QtGui.framework/Resources/Info.plist",
    "PySide6/Qt/plugins/platforms/libqcocoa.dylib",
]
DROPPED = [
    "PySide6/Qt/lib/libQt6Network.so.6",
    "PySide6/Qt/lib/libQt6OpenGL.so.6",
    "PySide6/Qt/lib/libQt6WaylandClient.so.6",
    "PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6",
    "PySide6/Qt/lib/libQt6Qml.so.6",
    "PySide6/Qt/lib/libQt6Quick.so.6",
    "PySide6/libpyside6qml.abi3.so.6.12",
    "PySide6/Qt/plugins/platforms/libqwayland.so",
    "PySide6/Qt/plugins/platforms/libqeglfs.so",
    "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
    "PySide6/Qt/plugins/imageformats/libqjpeg.so",
    "PySide6/Qt/plugins/imageformats/libqtiff.so",
    "PySide6/Qt/plugins/imageformats/libqpdf.so",
    "PySide6/Qt/plugins/tls/libqopensslbackend.so",
    "PySide6/Qt/plugins/networkinformation/libqnetworkmanager.so",
    "PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-x11-integration.so",
    "PySide6/Qt/plugins/wayland-shell-integration/libxdg-shell.so",
    "PySide6/Qt/plugins/generic/libqevdevmouseplugin.so",
    "PySide6/Qt/translations/qtbase_de.qm",
    "PySide6/Qt/qml/QtQuick/qmldir",
    "PySide6\\Qt6Network.dll",
    "PySide6\\Qt6Pdf.dll",
    "PySide6\\translations\\qt_fr.qm",
    "PySide6\\plugins\\platforms\\qdirect2d.dll",
    "PySide6/Qt/lib/QtNetwork.framework/Versions/A/QtNetwork",
]


@pytest.mark.parametrize("dest", KEPT)
def test_files_the_app_needs_are_kept(dest: str) -> None:
    assert opts.keep_qt_file(dest)


@pytest.mark.parametrize("dest", DROPPED)
def test_unused_qt_parts_are_dropped(dest: str) -> None:
    assert not opts.keep_qt_file(dest)


def test_libraries_only_dropped_files_linked_are_orphaned() -> None:
    links = {
        "src/libqgtk3.so": ["libcairo.so.2", "libglib-2.0.so.0", "libQt6Gui.so.6"],
        "src/libcairo.so.2": ["libpixman-1.so.0", "libglib-2.0.so.0"],
        "src/libQt6Gui.so.6": ["libglib-2.0.so.0", "libfreetype.so.6"],
        "src/QtGui.abi3.so": ["libQt6Gui.so.6"],
        "src/libglib-2.0.so.0": ["libpcre2-8.so.0"],
    }
    kept = [
        ("PySide6/Qt/lib/libQt6Gui.so.6", "src/libQt6Gui.so.6"),
        ("PySide6/QtGui.abi3.so", "src/QtGui.abi3.so"),
        ("libcairo.so.2", "src/libcairo.so.2"),
        ("libpixman-1.so.0", "src/libpixman-1.so.0"),
        ("libglib-2.0.so.0", "src/libglib-2.0.so.0"),
        ("libpcre2-8.so.0", "src/libpcre2-8.so.0"),
        ("libfreetype.so.6", "src/libfreetype.so.6"),
        ("libffi.so.8", "src/libffi.so.8"),  # loaded with ctypes: linked by nothing
    ]
    dropped = [("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "src/libqgtk3.so")]
    orphans = opts.orphaned_libraries(kept, dropped, lambda src: links.get(src, []))
    assert orphans == {"libcairo.so.2", "libpixman-1.so.0"}


def _runtime_distributions(name: str, seen: set[str] | None = None) -> set[str]:
    """The distribution and everything it requires at run time (no extras), recursively."""
    seen = set() if seen is None else seen
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen:
        return seen
    try:
        dist = md.distribution(name)
    except md.PackageNotFoundError:
        return seen
    seen.add(key)
    for requirement in dist.requires or []:
        marker = requirement.split(";", 1)[1] if ";" in requirement else ""
        if "extra" in marker:
            continue
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        if match:
            _runtime_distributions(match.group(1), seen)
    return seen


def test_excludes_leave_every_runtime_dependency_in() -> None:
    # A module the app needs at run time must never be excluded (pluggy, needed by
    # sqlite-utils when the vault still used it, once was): the built app would fail only
    # when that path runs.
    needed = _runtime_distributions("ocpi-onboard")
    assert {"pyside6-essentials", "httpx", "aiohttp", "cryptography", "keyring"} <= needed
    owners = md.packages_distributions()
    excluded_tops = {name.split(".")[0] for name in opts.EXCLUDES if "." not in name}
    clashes = {}
    for top in excluded_tops:
        owners_needed = [
            dist for dist in owners.get(top, []) if re.sub(r"[-_.]+", "-", dist).lower() in needed
        ]
        if owners_needed:
            clashes[top] = owners_needed
    assert clashes == {}


def test_excludes_name_no_qt_module_the_app_imports() -> None:
    imported = set()
    for path in (REPO / "app").rglob("*.py"):
        imported |= set(re.findall(r"PySide6\.(Qt\w+)", path.read_text("utf-8")))
    assert imported, "the app imports PySide6 modules somewhere"
    assert not {f"PySide6.{name}" for name in imported} & set(opts.EXCLUDES)


def test_links_to_pruned_libraries_go_with_them() -> None:
    entries = [
        ("PySide6/Qt/lib/libQt6Core.so.6", "/site/PySide6/Qt/lib/libQt6Core.so.6", "BINARY"),
        ("libQt6Core.so.6", "PySide6/Qt/lib/libQt6Core.so.6", "SYMLINK"),
        ("libQt6Network.so.6", "PySide6/Qt/lib/libQt6Network.so.6", "SYMLINK"),
        ("lib/alias.so", "../libQt6Core.so.6", "SYMLINK"),  # a link to a link
        ("lib/broken.so", "../libQt6Network.so.6", "SYMLINK"),
    ]
    kept = opts.drop_dangling_symlinks(entries)
    assert [dest for dest, _src, _type in kept] == [
        "PySide6/Qt/lib/libQt6Core.so.6",
        "libQt6Core.so.6",
        "lib/alias.so",
    ]


OPENSSL_ENTRIES = [
    ("libssl.so.3", "/usr/lib/libssl.so.3", "BINARY"),
    ("libcrypto.so.3", "/usr/lib/libcrypto.so.3", "BINARY"),
    ("psycopg_binary.libs/libpq-e9b5c9ac.so.5.18", "src/libpq", "BINARY"),
    ("psycopg_binary.libs/libssl-6a9b88ec.so.3", "src/libssl", "BINARY"),
    ("psycopg_binary.libs/libcrypto-3a0647ea.so.3", "src/libcrypto", "BINARY"),
    ("psycopg_binary/pq.cpython-311-x86_64-linux-gnu.so", "src/pq", "EXTENSION"),
]
OPENSSL_LINKS = {
    "src/libpq": ["libssl-6a9b88ec.so.3", "libcrypto-3a0647ea.so.3", "libc.so.6"],
    "src/libssl": ["libcrypto-3a0647ea.so.3"],
    "src/pq": ["libpq-e9b5c9ac.so.5.18"],
}


def _versions(needed_by_libpq: set[bytes]):  # type: ignore[no-untyped-def]
    defined = {b"OPENSSL_3.0.0", b"OPENSSL_3.0.3"}
    table = {
        "/usr/lib/libssl.so.3": defined,
        "/usr/lib/libcrypto.so.3": defined,
        "src/libpq": needed_by_libpq,
        "src/libssl": {b"OPENSSL_3.4.0"},  # the vendored copy itself does not count
    }
    return lambda src: table.get(src, set())


def test_vendored_openssl_becomes_a_link_to_the_bundles_own() -> None:
    entries, replaced = opts.share_openssl(
        OPENSSL_ENTRIES, lambda src: OPENSSL_LINKS.get(src, []), _versions({b"OPENSSL_3.0.0"})
    )
    assert sorted(replaced) == [
        "psycopg_binary.libs/libcrypto-3a0647ea.so.3",
        "psycopg_binary.libs/libssl-6a9b88ec.so.3",
    ]
    links = {dest: src for dest, src, typecode in entries if typecode == "SYMLINK"}
    assert links == {
        "psycopg_binary.libs/libssl-6a9b88ec.so.3": "../libssl.so.3",
        "psycopg_binary.libs/libcrypto-3a0647ea.so.3": "../libcrypto.so.3",
    }
    assert ("psycopg_binary.libs/libpq-e9b5c9ac.so.5.18", "src/libpq", "BINARY") in entries
    assert len(entries) == len(OPENSSL_ENTRIES)


def test_vendored_openssl_stays_when_a_newer_symbol_version_is_needed() -> None:
    needed = {b"OPENSSL_3.0.0", b"OPENSSL_3.2.0"}
    entries, replaced = opts.share_openssl(
        OPENSSL_ENTRIES, lambda src: OPENSSL_LINKS.get(src, []), _versions(needed)
    )
    assert (entries, replaced) == (OPENSSL_ENTRIES, [])


def test_vendored_openssl_stays_without_an_openssl_of_the_bundle() -> None:
    without = [entry for entry in OPENSSL_ENTRIES if "/" in entry[0]]
    entries, replaced = opts.share_openssl(
        without, lambda src: OPENSSL_LINKS.get(src, []), _versions({b"OPENSSL_3.0.0"})
    )
    assert (entries, replaced) == (without, [])


def test_openssl_versions_reads_a_real_binary() -> None:
    import _ssl
    import ssl

    if not ssl.OPENSSL_VERSION.startswith("OpenSSL 3"):
        pytest.skip(f"Python's ssl runs on {ssl.OPENSSL_VERSION}, not OpenSSL 3")
    assert b"OPENSSL_3.0.0" in opts.openssl_versions(_ssl.__file__)


IMPORT_ALL = """
import importlib, json, pkgutil, sys
import app
for info in pkgutil.walk_packages(app.__path__, "app."):
    if not info.name.endswith("__main__"):
        importlib.import_module(info.name)
import psycopg.pq  # the team vault's driver, imported on first use
print(json.dumps(sorted(sys.modules)))
"""


def test_modules_left_out_are_never_imported_by_the_app() -> None:
    # The bundle leaves NEVER_IMPORTED out; an app module importing one of them at module
    # level would fail only in the package. Every app module is imported here (a fresh
    # interpreter, like the frozen app's) and none of them may come along.
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL],
        cwd=REPO,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    assert len(loaded) > 300, "the probe imported the app"
    leaked = {
        module
        for module in loaded
        for name in opts.NEVER_IMPORTED
        if module == name or module.startswith(f"{name}.")
    }
    assert leaked == set()


def test_the_app_opens_no_websocket() -> None:
    # aiohttp's websocket C speed-ups are left out of the bundle (UNUSED_SPEEDUPS): fine
    # only while no app module speaks websocket.
    assert opts.UNUSED_SPEEDUPS
    users = [
        path.relative_to(REPO)
        for path in (REPO / "app").rglob("*.py")
        if re.search(r"WebSocket|ws_connect|websocket", path.read_text("utf-8"), re.IGNORECASE)
    ]
    assert users == []


def test_aiohttp_runs_without_its_websocket_speedups() -> None:
    # The package imports aiohttp without them: it must fall back, not fail.
    probe = (
        "import sys\n"
        "for name in ('aiohttp._websocket.reader_c', 'aiohttp._websocket.mask'):\n"
        "    sys.modules[name] = None  # import fails as in the bundle\n"
        "import aiohttp, aiohttp.web\n"
        "from aiohttp._websocket import reader\n"
        "print(reader.WebSocketReader.__module__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "aiohttp._websocket.reader_py"
