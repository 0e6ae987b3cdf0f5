"""The built app, dist/ocpi-onboard/ocpi-onboard: CLI, self-test, window, desktop entry.

Skipped (with the reason) until `bash packaging/build.sh` has built it. These catch what
only a frozen build can get wrong: a missing hidden import, data file or Qt plugin.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from app import __version__

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "dist" / "ocpi-onboard"
EXE = BUNDLE / "ocpi-onboard"

pytestmark = pytest.mark.skipif(
    not os.access(EXE, os.X_OK),
    reason=f"{EXE.relative_to(REPO)} not built (run `bash packaging/build.sh`)",
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return headless_env(tmp_path)


def headless_env(tmp_path: Path) -> dict[str, str]:
    """A headless environment with its own user dirs and no keyring."""
    values = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DISPLAY", "WAYLAND_DISPLAY", "OCPI_ONBOARD_PASSPHRASE")
    }
    values.update(
        {
            "QT_QPA_PLATFORM": "offscreen",
            "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
    )
    return values


def run(
    args: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EXE), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_version(env: dict[str, str]) -> None:
    done = run(["--version"], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"ocpi-onboard {__version__}"


def test_self_test_passes(env: dict[str, str]) -> None:
    done = run(["--self-test"], env, timeout=90)
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert "self-test OK" in done.stdout
    assert "mutual discovery complete" in done.stdout


@pytest.fixture
def sandbox(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The packaged CLI's sandbox partner: (versions URL, TOKEN_A file)."""
    token = tmp_path / "token_a"
    token.write_text(secrets.token_urlsafe(32), "utf-8")
    token.chmod(0o600)
    proc = subprocess.Popen(
        [str(EXE), "sandbox", "--port", "0", "--token-a-file", str(token)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else url
        yield url, token
    finally:
        proc.terminate()
        proc.wait(10)


def test_cli_registers_with_the_packaged_sandbox(
    env: dict[str, str], tmp_path: Path, sandbox: tuple[str, Path]
) -> None:
    url, token = sandbox
    env = dict(env, OCPI_ONBOARD_PASSPHRASE="packaged-cli-test")
    vault = tmp_path / "vault.db"
    done = run(
        [
            "register",
            "--vault",
            str(vault),
            "--versions-url",
            url,
            "--token-a-file",
            str(token),
            "--country-code",
            "DE",
            "--party-id",
            "PKG",
            "--role",
            "EMSP",
            "--json",
        ],
        env,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "registered"
    assert result["mutual_discovery"] == "complete"
    listed = run(["peers", "list", "--vault", str(vault), "--json"], env)
    assert listed.returncode == 0, listed.stderr
    assert [p["peer"] for p in json.loads(listed.stdout)] == ["NL-SBX"]


def test_team_vault_on_postgresql_through_the_bundled_libpq(
    env: dict[str, str], sandbox: tuple[str, Path], pg_url: str
) -> None:
    """The packaged team vault: psycopg and its libpq, running on the bundle's one OpenSSL
    (bundle_options.share_openssl), against the real PostgreSQL the team tests start."""
    url, token = sandbox
    env = dict(env, OCPI_ONBOARD_MEMBER="alice", OCPI_ONBOARD_PASSPHRASE="packaged-team-test")
    init = run(["team", "init", "--vault", pg_url], env)
    assert init.returncode == 0, init.stderr
    assert "team vault ready" in init.stdout and "alice (you)" in init.stdout
    done = run(
        [
            *("register", "--vault", pg_url, "--versions-url", url),
            *("--token-a-file", str(token), "--country-code", "DE", "--party-id", "PKG"),
            *("--role", "EMSP", "--json"),
        ],
        env,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "registered"
    listed = run(["peers", "list", "--vault", pg_url, "--json"], env)
    assert listed.returncode == 0, listed.stderr
    assert [p["peer"] for p in json.loads(listed.stdout)] == ["NL-SBX"]


def test_bundle_carries_one_openssl() -> None:
    """Python's ssl brings libssl.so.3/libcrypto.so.3; a wheel's vendored copy
    (psycopg_binary.libs/libssl-<hash>.so.3) is only a link to them."""
    internal = BUNDLE / "_internal"
    assert (internal / "libssl.so.3").is_file() and not (internal / "libssl.so.3").is_symlink()
    copies = [
        path
        for pattern in ("libssl*.so*", "libcrypto*.so*")
        for path in internal.rglob(pattern)
        if path.parent != internal
    ]
    for path in copies:
        assert path.is_symlink(), f"{path.relative_to(BUNDLE)} is a second OpenSSL"
        assert path.resolve().parent == internal.resolve(), path


def test_bundle_left_unused_qt_parts_out() -> None:
    internal = BUNDLE / "_internal"
    assert (internal / "resources" / "icon.svg").is_file()
    assert (internal / "resources" / "style.qss").is_file()
    shipped = {p.relative_to(internal) for p in (internal / "resources").rglob("*")}
    expected = {
        p.relative_to(REPO)
        for p in (REPO / "resources").rglob("*")
        if p.name not in ("icon.ico", "icon.icns")  # read by EXE/BUNDLE at build time only
    }
    assert shipped == expected
    qt = internal / "PySide6" / "Qt"
    assert (qt / "plugins" / "platforms" / "libqxcb.so").is_file()
    assert (qt / "plugins" / "platforms" / "libqoffscreen.so").is_file()
    assert (qt / "plugins" / "iconengines" / "libqsvgicon.so").is_file()
    assert not (qt / "translations").exists()
    assert not list(internal.rglob("libQt6Network*"))
    assert not list(internal.rglob("libQt6Qml*"))
    assert not list(internal.rglob("libqgtk3*"))
    assert not (internal / "hypothesis").exists()


def test_gui_starts_offscreen(env: dict[str, str]) -> None:
    """No arguments (a double-click) starts the GUI: imports, vault unlock, main window."""
    env = dict(env, OCPI_ONBOARD_PASSPHRASE="packaged-gui-test")
    vault = Path(env["XDG_DATA_HOME"]) / "ocpi-onboard" / "vault.db"
    proc = subprocess.Popen(
        [str(EXE)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None and not vault.exists():
            time.sleep(0.05)
        time.sleep(1.0)  # the main window is built right after the vault opens
        assert proc.poll() is None, f"exited {proc.returncode}:\n{proc.communicate()[1]}"
        assert vault.exists(), "the app never opened its vault"
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    assert "Traceback" not in err, err


def _xwindow() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ocpi_xwindow", REPO / "packaging" / "xwindow.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def xvfb() -> Iterator[str]:
    """A private Xvfb display (the number it picks itself)."""
    binary = shutil.which("Xvfb")
    if binary is None:
        pytest.skip("Xvfb not installed (scripts/setup.sh installs it)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [binary, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            pytest.skip("Xvfb did not start")
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(10)


def _double_click(xwindow: Any, xvfb: str, env: dict[str, str]) -> tuple[Any, list[Any], str]:
    """Start the built app as a double-click does; (its first window or None, that
    window's icon sizes, its stderr) once the window showed or 30 s passed."""
    with xwindow.Watcher(xvfb) as watch:
        watch.arm()
        proc = subprocess.Popen(
            [str(EXE)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        try:
            shown = watch.wait_first_window(timeout=30)
            icon_sizes = watch.icon_sizes(shown.window) if shown is not None else []
        finally:
            proc.terminate()
            _out, err = proc.communicate(timeout=10)
    return shown, icon_sizes, err


def test_double_click_opens_the_main_window_under_x(env: dict[str, str], xvfb: str) -> None:
    xwindow = _xwindow()
    # Without the start-up splash, so the first window mapped is the main window itself.
    env = dict(
        env,
        DISPLAY=xvfb,
        QT_QPA_PLATFORM="xcb",
        OCPI_ONBOARD_PASSPHRASE="packaged-x-test",
        OCPI_ONBOARD_NO_SPLASH="1",
    )
    shown, icon_sizes, err = _double_click(xwindow, xvfb, env)
    # The window icon comes from the bundled resources/icons PNG sizes: proof that the
    # resources made it in.
    assert shown is not None, f"no window; stderr:\n{err}"
    assert shown.title == "OCPI Onboard"
    assert shown.width >= 600 and shown.height >= 400
    assert shown.painted is not None, "the window was mapped but never drawn"
    assert icon_sizes, "the window has no icon (resources/icon.svg or the SVG plugins missing)"


def test_desktop_entry_installs_for_the_user(tmp_path: Path) -> None:
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "share"), HOME=str(tmp_path))
    script = BUNDLE / "install-desktop-entry.sh"
    done = subprocess.run(
        ["bash", str(script)], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    desktop = (tmp_path / "share" / "applications" / "ocpi-onboard.desktop").read_text("utf-8")
    assert f'Exec="{EXE}"' in desktop
    assert f"TryExec={EXE}" in desktop
    icons = tmp_path / "share" / "icons" / "hicolor"
    assert (icons / "256x256" / "apps" / "ocpi-onboard.png").is_file()
    assert (icons / "scalable" / "apps" / "ocpi-onboard.svg").is_file()
    removed = subprocess.run(
        ["bash", str(script), "--remove"], env=env, capture_output=True, text=True, check=False
    )
    assert removed.returncode == 0, removed.stderr
    assert not (tmp_path / "share" / "applications" / "ocpi-onboard.desktop").exists()
    assert not (icons / "256x256" / "apps" / "ocpi-onboard.png").exists()


def _launch_scripts() -> list[str]:
    """The scripts the bootloader runs, in order (runtime hooks, then main)."""
    readers = pytest.importorskip("PyInstaller.archive.readers")
    toc = readers.CArchiveReader(str(EXE)).toc
    return [name for name, entry in toc.items() if entry[-1] in ("s", "s1", "s2")]


def test_the_key_hook_runs_before_pysides_hook() -> None:
    """packaging/rthook_early_key.py must run before pyi_rth_pyside6 (which imports QtCore)
    to start the key ahead of it: the built archive's script order, not the spec's wish."""
    scripts = _launch_scripts()
    assert "rthook_early_key" in scripts and "pyi_rth_pyside6" in scripts, scripts
    assert scripts.index("rthook_early_key") < scripts.index("pyi_rth_pyside6"), scripts
    assert scripts[-1] == "main", scripts


def test_a_double_click_derives_the_vault_key_once(
    env: dict[str, str], xvfb: str, tmp_path: Path
) -> None:
    """The runtime hook starts the key, run_gui takes it: one scrypt per launch, for a new
    vault and for an existing one, and the window opens with it."""
    xwindow = _xwindow()
    env = dict(
        env,
        DISPLAY=xvfb,
        QT_QPA_PLATFORM="xcb",
        OCPI_ONBOARD_PASSPHRASE="packaged-key-test",
        OCPI_ONBOARD_NO_SPLASH="1",
        OCPI_ONBOARD_KEY_TRACE="1",
    )
    vault = Path(env["XDG_DATA_HOME"]) / "ocpi-onboard" / "vault.db"
    for launch in ("new vault", "existing vault"):
        assert vault.exists() == (launch == "existing vault")
        # painted = unlocked: the main window is built after the vault opens
        shown, _icons, err = _double_click(xwindow, xvfb, env)
        assert shown is not None and shown.painted is not None, f"{launch}: no window\n{err}"
        assert shown.title == "OCPI Onboard"
        started = [line for line in err.splitlines() if line.startswith("vault-key:")]
        assert started == ["vault-key: derivation started (launch)"], f"{launch}:\n{err}"
        assert "packaged-key-test" not in err
