"""What every PyInstaller build of this project shares: excludes and the Qt pruning.

Both packaging/ocpi-onboard.spec and the bare-window build of benchmarks/startup.py import
this module, so the start-up comparison packages both apps the same way.

The app uses QtCore, QtGui and QtWidgets (plus QtSvg through the icon plugins, and QtDBus,
which QtGui links on Linux). PyInstaller's Qt hooks collect every plugin *category* those
modules may use, so the bundle also carries EGLFS, VNC, Wayland, the GTK theme (with cairo,
pango and gdk-pixbuf from the build machine), network-information and TLS plugins, ten image
formats and ~100 translation files. `prune()` keeps a whitelist, then drops the shared
libraries that only the dropped files needed.

Nothing here imports PyInstaller at module level, so the unit tests can import it.
"""

from __future__ import annotations

import os
import posixpath
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

# ---- Python modules never shipped ---------------------------------------------------------
# Qt bindings the app does not import (keep: QtCore, QtGui, QtWidgets; QtDBus and QtSvg are
# pulled in by the QtGui hook and cost little).
UNUSED_QT_MODULES = (
    "Qt3DAnimation",
    "Qt3DCore",
    "Qt3DExtras",
    "Qt3DInput",
    "Qt3DLogic",
    "Qt3DRender",
    "QtAxContainer",
    "QtBluetooth",
    "QtCharts",
    "QtConcurrent",
    "QtDataVisualization",
    "QtDesigner",
    "QtGraphs",
    "QtGraphsWidgets",
    "QtHelp",
    "QtHttpServer",
    "QtLabsStyleKit",
    "QtLocation",
    "QtMultimedia",
    "QtMultimediaWidgets",
    "QtNetwork",
    "QtNetworkAuth",
    "QtNfc",
    "QtOpenGL",
    "QtOpenGLWidgets",
    "QtPdf",
    "QtPdfWidgets",
    "QtPositioning",
    "QtPrintSupport",
    "QtQml",
    "QtQmlFeatures",
    "QtQuick",
    "QtQuick3D",
    "QtQuickControls2",
    "QtQuickTest",
    "QtQuickWidgets",
    "QtRemoteObjects",
    "QtScxml",
    "QtSensors",
    "QtSerialBus",
    "QtSerialPort",
    "QtSpatialAudio",
    "QtSql",
    "QtStateMachine",
    "QtSvgWidgets",
    "QtTest",
    "QtTextToSpeech",
    "QtUiTools",
    "QtWebChannel",
    "QtWebEngineCore",
    "QtWebEngineQuick",
    "QtWebEngineWidgets",
    "QtWebSockets",
    "QtWebView",
    "QtXml",
)
# Dev tools that hooks drag in (pydantic's mypy plugin, hypothesis plugins), and GUI
# toolkits we never use.
UNUSED_PACKAGES = (
    "tkinter",
    "_tkinter",
    "turtle",
    "turtledemo",
    "idlelib",
    "hypothesis",
    "_hypothesis_globals",
    "_hypothesis_pytestplugin",
    "mypy",
    "mypyc",
    "mypy_extensions",
    "pygments",
    "pytest",
    "_pytest",
    "pytestqt",
    "trustme",
    "ruff",
    "IPython",
    "numpy",
    "PIL",
    "setuptools",
    "pkg_resources",
    "distutils",
    "lib2to3",
    "PyQt5",
    "PyQt6",
    "PySide2",
    # httpx's optional command line (httpx._main, imported in a try: it falls back when
    # click is missing) and what sqlite-utils used to drag in before the vault dropped it.
    "click",
    "rich",
    "sqlite_utils",
    "sqlite_fts4",
    "dateutil",
    "tabulate",
    "pluggy",
)
# Modules the hooks or conditional imports collect but nothing the app runs imports. Each one
# is never reached at run time (or an ImportError there is already handled), so leaving it
# out changes no behaviour. The bare benchmark window never had them: the bytes are the app's.
NEVER_IMPORTED = (
    # pydantic's hook collects every submodule: the V1 API (its only caller warns about a
    # V1 model used as a field, which the app has none of), the mypy plugin (mypy is not
    # shipped) and the experimental API.
    "pydantic.v1",
    "pydantic.mypy",
    "pydantic.experimental",
    # decimal falls back to the pure-Python _pydecimal only when the C _decimal is missing.
    "_pydecimal",
    # Process pools (concurrent.futures.process imports it on first ProcessPoolExecutor
    # use, anyio.to_process likewise): the app runs work in threads, never in processes.
    # xmlrpc only comes with multiprocessing.connection.
    "multiprocessing",
    "concurrent.futures.process",
    "xmlrpc",
    # anyio's trio backend (trio is not installed) and httpx's command line (imported in a
    # try: it needs click, excluded above).
    "anyio._backends._trio",
    "httpx._main",
)
if sys.platform != "win32":
    # asyncio's proactor loop and qasync's Windows part are only imported on Windows.
    NEVER_IMPORTED += (
        "asyncio.windows_events",
        "asyncio.windows_utils",
        "asyncio.proactor_events",
        "qasync._windows",
    )
# C speed-ups of features the app never uses: aiohttp imports its websocket reader and mask
# at import time and falls back to the pure-Python ones when these are missing; the app
# opens no websocket (tests/packaging/test_bundle_options.py checks it).
UNUSED_SPEEDUPS = ("aiohttp._websocket.reader_c", "aiohttp._websocket.mask")
EXCLUDES = [
    *(f"PySide6.{name}" for name in UNUSED_QT_MODULES),
    *UNUSED_PACKAGES,
    *NEVER_IMPORTED,
    *UNUSED_SPEEDUPS,
]

# ---- Qt files kept --------------------------------------------------------------------------
# Qt shared libraries, by module name (libQt6Core.so.6, Qt6Core.dll, QtCore.framework).
KEEP_QT_LIBS = frozenset({"Core", "Gui", "Widgets", "Svg", "DBus", "XcbQpa"})
# Plugin categories; everything else (eglfs, generic input, wayland-*, tls,
# networkinformation, qmltooling, sqldrivers, ...) goes.
KEEP_PLUGIN_CATEGORIES = frozenset(
    {
        "platforms",
        "platformthemes",
        "platforminputcontexts",
        "iconengines",
        "imageformats",
        "xcbglintegrations",
        "styles",
    }
)
# Within a kept category, only these plugins (by stem without "lib"); None = all.
#   platforms: xcb (a real X11 window, also XWayland), offscreen (the self-test, CI),
#     minimal, and the native ones of Windows and macOS.
#   platformthemes: the XDG portal (dark mode, native file dialogs over D-Bus); not gtk3,
#     which would bundle the build machine's cairo/pango next to the user's GTK.
#   imageformats: SVG (the icon); ICO for Windows shells. PNG is built into QtGui.
#   platforminputcontexts: compose (dead keys) and IBus (input methods); not the virtual
#     keyboard, which needs QtQuick.
KEEP_PLUGINS: dict[str, frozenset[str] | None] = {
    "platforms": frozenset({"qxcb", "qoffscreen", "qminimal", "qwindows", "qcocoa"}),
    "platformthemes": frozenset({"qxdgdesktopportal"}),
    "platforminputcontexts": frozenset(
        {
            "composeplatforminputcontextplugin",
            "ibusplatforminputcontextplugin",
        }
    ),
    "imageformats": frozenset({"qsvg", "qico"}),
    "iconengines": None,
    "xcbglintegrations": None,
    "styles": None,
}

_PLUGIN = re.compile(r"^PySide6/(?:Qt/)?plugins/(?P<category>[^/]+)/(?P<file>[^/]+)$")
_QT_LIB = re.compile(
    r"(?:^|/)(?:lib)?Qt6?(?P<module>[A-Za-z0-9]+)"
    r"(?:\.so(?:\.[0-9.]+)?$|\.dll$|d\.dll$|\.framework(?:/|$))"
)
_TRANSLATION = re.compile(r"^PySide6/(?:Qt/)?translations/")
_OTHER_QT_DATA = re.compile(r"^PySide6/(?:Qt/)?(?:qml|metatypes|libexec|resources/qtwebengine)/")


def _norm(dest: str) -> str:
    return dest.replace("\\", "/")


def _stem(filename: str) -> str:
    name = filename.split(".", 1)[0]
    return name[3:] if name.startswith("lib") else name


def keep_qt_file(dest: str) -> bool:
    """True if a collected file (its path inside the bundle) is one the app needs."""
    path = _norm(dest)
    if not path.startswith("PySide6/"):
        return True
    if _TRANSLATION.match(path) or _OTHER_QT_DATA.match(path):
        return False
    plugin = _PLUGIN.match(path)
    if plugin:
        category = plugin["category"]
        if category not in KEEP_PLUGIN_CATEGORIES:
            return False
        wanted = KEEP_PLUGINS.get(category)
        return wanted is None or _stem(plugin["file"]) in wanted
    if "/plugins/" in path:
        return False
    if "libpyside6qml" in path:
        return False
    lib = _QT_LIB.search(path)
    if lib and not path.endswith((".pyd", ".abi3.so", ".pyi")):
        return lib["module"] in KEEP_QT_LIBS
    return True


def _is_top_level(dest: str) -> bool:
    return "/" not in _norm(dest)


def orphaned_libraries(
    kept: Iterable[tuple[str, str]],
    dropped: Iterable[tuple[str, str]],
    imports_of: Callable[[str], Iterable[str]],
) -> set[str]:
    """Top-level libraries needed only by dropped binaries (bundle paths, lower-case names).

    kept/dropped are (dest, src) pairs; imports_of(src) gives the names a binary links to.
    A library is orphaned when some dropped binary links to it (directly or through other
    libraries) and no kept binary does. Nothing a dropped file did not link is touched, so
    libraries loaded with ctypes stay.
    """
    kept = list(kept)
    dropped = list(dropped)
    by_name = {Path(_norm(d)).name.lower(): src for d, src in kept if _is_top_level(d)}

    def closure(roots: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(roots)
        visited_src: set[str] = set()
        while stack:
            src = stack.pop()
            if src in visited_src:
                continue
            visited_src.add(src)
            for name in imports_of(src):
                base = Path(name.replace("\\", "/")).name.lower()
                if base in seen:
                    continue
                seen.add(base)
                if base in by_name:
                    stack.append(by_name[base])
        return seen

    needed_by_dropped = closure(src for _d, src in dropped)
    # Roots that keep libraries alive: every kept file except the top-level libraries
    # themselves (those are alive only if something reaches them).
    needed_by_kept = closure(src for d, src in kept if not _is_top_level(d) or _is_entry_lib(d))
    return {name for name in needed_by_dropped - needed_by_kept if name in by_name}


def _is_entry_lib(dest: str) -> bool:
    """Top-level files that are roots on their own: Python itself and extension modules."""
    name = Path(_norm(dest)).name.lower()
    return name.startswith(("libpython", "python")) or ".cpython-" in name or name.endswith(".pyd")


def drop_dangling_symlinks(entries: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Remove SYMLINK entries whose target is no longer in the bundle.

    PyInstaller links top-level names to libraries it keeps in their package folder
    (libQt6Network.so.6 -> PySide6/Qt/lib/libQt6Network.so.6); once the library is pruned
    the link would dangle.
    """
    present = {_norm(dest) for dest, _src, typecode in entries if typecode != "SYMLINK"}
    links = {_norm(dest): _norm(src) for dest, src, typecode in entries if typecode == "SYMLINK"}

    def resolves(dest: str, hops: int = 0) -> bool:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(dest), links[dest]))
        if target in present:
            return True
        return target in links and hops < 16 and resolves(target, hops + 1)

    return [entry for entry in entries if entry[2] != "SYMLINK" or resolves(_norm(entry[0]))]


def _imports_with_pyinstaller(src: str) -> list[str]:
    from PyInstaller.depend import bindepend

    try:
        return [name for name, _path in bindepend.get_imports(src)]
    except Exception:  # unreadable or not a binary: links nothing we know of
        return []


# ---- one OpenSSL in the bundle --------------------------------------------------------------
# Wheels repaired by auditwheel carry their own OpenSSL under a hashed name: psycopg-binary's
# libpq and libldap link psycopg_binary.libs/libssl-6a9b88ec.so.3 and libcrypto-3a0647ea.so.3
# (6.6 MiB), while Python's ssl module already brings libssl.so.3 and libcrypto.so.3 to the
# top of the bundle. OpenSSL 3 versions its symbols (OPENSSL_3.0.0, OPENSSL_3.2.0, ...), so a
# library that asks only for versions the bundle's OpenSSL defines runs on it; the vendored
# name then becomes a link to the bundle's file. The dynamic loader sees the same file (same
# inode) as the one Python's ssl loaded and maps OpenSSL once.
_VENDORED_OPENSSL = re.compile(r"^(?P<lib>libssl|libcrypto)-[0-9a-f]{8}\.so\.3$")
_OPENSSL_VERSION = re.compile(rb"OPENSSL_[0-9]+\.[0-9]+\.[0-9]+")


def openssl_versions(path: str) -> set[bytes]:
    """Every OpenSSL symbol version named in a binary (needed or defined, a superset)."""
    try:
        return set(_OPENSSL_VERSION.findall(Path(path).read_bytes()))
    except OSError:
        return set()


def share_openssl(
    entries: list[tuple[str, str, str]],
    imports_of: Callable[[str], Iterable[str]],
    versions_of: Callable[[str], set[bytes]] = openssl_versions,
) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Vendored OpenSSL copies replaced by links to the bundle's libssl.so.3/libcrypto.so.3.

    entries are (dest, src, typecode) binaries. A vendored copy is kept when the bundle has
    no OpenSSL of its own, or when a library linking it asks for a symbol version the
    bundle's OpenSSL does not define. Returns the new entries and the dests replaced.
    """
    own = {
        Path(_norm(dest)).name: src
        for dest, src, typecode in entries
        if typecode != "SYMLINK" and _is_top_level(dest)
    }
    if not {"libssl.so.3", "libcrypto.so.3"} <= own.keys():
        return entries, []
    vendored = {
        Path(_norm(dest)).name: (dest, match["lib"] + ".so.3")
        for dest, _src, typecode in entries
        if typecode != "SYMLINK"
        and not _is_top_level(dest)
        and (match := _VENDORED_OPENSSL.match(Path(_norm(dest)).name))
    }
    if not vendored:
        return entries, []
    available = versions_of(own["libssl.so.3"]) | versions_of(own["libcrypto.so.3"])
    needed: set[bytes] = set()
    for dest, src, typecode in entries:
        if typecode == "SYMLINK" or Path(_norm(dest)).name in vendored:
            continue
        if any(Path(name).name in vendored for name in imports_of(src)):
            needed |= versions_of(src)
    if not needed <= available:
        return entries, []
    replaced = [dest for dest, _top in vendored.values()]
    links = [
        (dest, posixpath.relpath(top, posixpath.dirname(_norm(dest))), "SYMLINK")
        for dest, top in vendored.values()
    ]
    kept = [entry for entry in entries if entry[0] not in replaced]
    return kept + links, replaced


def prune(analysis: object, log: Callable[[str], None] = print) -> None:
    """Drop unused Qt parts (and the libraries only they needed) from an Analysis; link
    vendored OpenSSL copies to the bundle's own (share_openssl)."""
    binaries = list(analysis.binaries)  # type: ignore[attr-defined]
    datas = list(analysis.datas)  # type: ignore[attr-defined]
    keep_bins = [entry for entry in binaries if keep_qt_file(entry[0])]
    drop_bins = [entry for entry in binaries if not keep_qt_file(entry[0])]
    orphans = orphaned_libraries(
        ((d, s) for d, s, _t in keep_bins),
        ((d, s) for d, s, _t in drop_bins),
        _imports_with_pyinstaller,
    )
    final_bins = [
        entry
        for entry in keep_bins
        if not (_is_top_level(entry[0]) and Path(_norm(entry[0])).name.lower() in orphans)
    ]
    final_datas = [entry for entry in datas if keep_qt_file(entry[0])]
    # Links may point across the two lists, so resolve them over both together.
    alive = {tuple(entry) for entry in drop_dangling_symlinks([*final_bins, *final_datas])}
    final_bins = [entry for entry in final_bins if tuple(entry) in alive]
    final_datas = [entry for entry in final_datas if tuple(entry) in alive]
    final_bins, shared = share_openssl(final_bins, _imports_with_pyinstaller)
    analysis.binaries = final_bins  # type: ignore[attr-defined]
    analysis.datas = final_datas  # type: ignore[attr-defined]
    log(
        f"bundle_options.prune: dropped {len(binaries) - len(final_bins)} binaries"
        f" ({len(orphans)} orphaned libraries: {', '.join(sorted(orphans)) or '-'})"
        f" and {len(datas) - len(final_datas)} data files;"
        f" linked to the bundle's OpenSSL: {', '.join(sorted(shared)) or '-'}"
    )


# ---- EXE/COLLECT options both builds use ----------------------------------------------------
# Strip symbols on Linux (a pyenv libpython carries ~20 MB of debug info); stripping is
# not done on Windows (no strip tool) or macOS (it breaks code signatures).
STRIP = sys.platform.startswith("linux") and os.environ.get("OCPI_ONBOARD_NO_STRIP") != "1"
UPX = False  # UPX-packed Qt libraries start slower and trip antivirus heuristics.
