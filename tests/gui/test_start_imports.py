"""Guards for the main window's start-up import cuts (issue 13, target 1).

Not timed: each test starts the real app (`run_gui`) in a fresh interpreter, offscreen,
with a real vault of partners unlocked from OCPI_ONBOARD_PASSPHRASE, and looks at
sys.modules at the moment the main window is shown with its partners list filled. The HTTP
stack, the pydantic models, the engine and the wizards/dialogs must not be loaded by then;
the engine must still start right after (our endpoint's URL reaches the window). The
partners are registered with their tokens, as in a real vault: the cipher library
(`cryptography`) loads with the first token that needs decrypting, which an idle start
never does, and a partner calling with its TOKEN_C right after start is still accepted.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.probe import app_env, fill_app_vault, run_probe

PASSPHRASE = "start imports passphrase"
PARTNERS = 12

PROBE = """
import base64, json, sys, threading, urllib.request
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

seen = {}
_show = QWidget.show


def svg_mapped():  # Qt's SVG library mapped in this process (Linux); None where unknown
    try:
        with open("/proc/self/maps") as maps:
            return "libQt6Svg" in maps.read()
    except OSError:
        return None


def show(self):
    _show(self)
    if type(self).__name__ != "MainWindow" or "at_show" in seen:
        return
    model = self.model
    seen["at_show"] = sorted(sys.modules)
    seen["rows"] = model.rowCount()
    seen["health"] = [
        model.index(row, model.COL_HEALTH).data() for row in range(model.rowCount())
    ]
    seen["endpoint_label"] = self.endpoint_label.text()
    seen["detail_built"] = self.partner_view.built
    seen["audit_built"] = self.audit_pane.built

    def on_endpoint(url):
        seen["endpoint"] = url
        seen["after"] = sorted(sys.modules)
        seen["svg_after"] = svg_mapped()
        if len(sys.argv) > 1:  # a partner's token: stay idle 2 s, then it calls us
            QTimer.singleShot(2000, lambda: idle_then_call(url, sys.argv[1]))
        else:
            self.close()

    def idle_then_call(url, token):
        seen["idle"] = sorted(sys.modules)
        seen["svg_idle"] = svg_mapped()
        seen["audit_idle"] = self.audit_pane.built
        answer = []

        def call():
            header = "Token " + base64.b64encode(token.encode()).decode()
            request = urllib.request.Request(url, headers={"Authorization": header})
            with urllib.request.urlopen(request, timeout=30) as response:
                answer.append([response.status, json.loads(response.read())["status_code"]])

        worker = threading.Thread(target=call, daemon=True)  # the window's loop serves it
        worker.start()

        def wait():
            if worker.is_alive():
                QTimer.singleShot(20, wait)
                return
            seen["call"] = answer[0] if answer else None
            seen["after_call"] = sorted(sys.modules)
            self.close()

        wait()

    self.controller.endpointChanged.connect(on_endpoint)
    QTimer.singleShot(60000, self.close)  # a bound: the assertions say what was missing


QWidget.show = show
from app.gui.app import run_gui

code = run_gui([])
print("RESULT=" + json.dumps({"code": code, **seen}))
"""

# What the window needs to draw its list is Qt, the vault and the GUI's own modules.
NOT_AT_SHOW = (
    "httpx",
    "pydantic",
    "pydantic_core",
    "aiohttp",
    "app.core.http",
    "app.core.models",
    "app.core.inputs",
    "app.callback",
    "app.engine.engine",
    "app.gui.wizard_sender",
    "app.gui.wizard_invite",
    "app.gui.settings_dialog",
    "app.gui.export_dialog",
    "app.gui.flows",
    # exporting (a vault backup, an incident report) loads with the first export
    "app.vault.backup",
    "app.core.transcript_export",
    "app.core.report_export",
    # the asyncio loop (ssl, socket's selectors, subprocess) starts after the first paint:
    # the vault opens with the key derived ahead, the list needs no loop
    "asyncio",
    "qasync",
    "app.gui.loop",
    # the engine's run types and the wizards' checklist load with the engine / a wizard;
    # the profile model (tomllib, the OCPI versions) with the first partner shown
    "app.engine.progress",
    "app.engine.results",
    "app.gui.flow_base",
    "app.gui.checklist",
    "app.core.profile",
    "tomllib",
    # the team vault's SQL translation loads with the first PostgreSQL statement
    "app.vault.dialect",
    # the vault opens by its key slot's check; the data key is unwrapped, and the cipher
    # library loaded, with the first token that needs it (issue 13, memory)
    "cryptography",
    "app.vault.crypto",
    # the partner's detail is built on first use (nothing is selected at start), its
    # profile view with it; the Health tab's module (its drift table's part of the
    # detail's width is measured after the first paint)
    "app.gui.profile_widgets",
    "app.gui.health_tab",
)


def _loaded(modules: list[str], *names: str) -> list[str]:
    return [n for n in names if n in modules or any(m.startswith(n + ".") for m in modules)]


def _token_c(i: int) -> str:
    """The TOKEN_C partner `i` calls us with (test values, never a real partner's)."""
    return f"start-imports-token-c-{i:04d}"


def _start(tmp_path: Path, caller: str | None = None) -> dict[str, object]:
    env = app_env(tmp_path, PASSPHRASE)
    fill_app_vault(  # registered partners, each with its TOKEN_C (inbound) and TOKEN_B
        env,
        PASSPHRASE,
        f"""
        from app.core.tokens import Secret, TokenRole
        from app.vault import Direction
        from tests.support.vaults import registered
        for i in range({PARTNERS}):
            c = Secret(f'start-imports-token-c-{{i:04d}}', TokenRole.C)
            b = Secret(f'start-imports-token-b-{{i:04d}}', TokenRole.B)
            registered(vault, f'P{{i:02d}}', (c, Direction.INBOUND), (b, Direction.OUTBOUND))
        """,
    )
    return run_probe(PROBE, *([caller] if caller else []), env=env, timeout=180)


def test_the_partners_list_draws_before_the_engine_and_the_http_stack(tmp_path: Path) -> None:
    result = _start(tmp_path)
    assert result["code"] == 0
    assert result["rows"] == PARTNERS  # the list was filled from the vault
    at_show = result["at_show"]
    assert isinstance(at_show, list)
    assert "app.vault.store" in at_show
    assert _loaded(at_show, *NOT_AT_SHOW) == []
    assert result["detail_built"] is False
    assert result["audit_built"] is False  # the Audit pane starts hidden: its body on first show
    # nothing shown as known before it is: no partner was ever checked, so none reads "ok";
    # our endpoint is not claimed before the engine has bound it
    health = result["health"]
    assert isinstance(health, list) and len(health) == PARTNERS
    assert "ok" not in health
    assert result["endpoint_label"] == ""


def test_the_engine_still_starts_right_after_the_first_paint(tmp_path: Path) -> None:
    """The cut defers the engine's import, not its start: our endpoint comes up unasked."""
    result = _start(tmp_path)
    assert str(result.get("endpoint", "")).startswith("http://127.0.0.1:")
    after = result["after"]
    assert isinstance(after, list)
    assert "app.engine.engine" in after
    assert "app.callback.server" in after  # our endpoint listens
    # listening needs no HTTP client, no models and no aiohttp server: they load with the
    # first call in or out (tests/callback/test_start_imports.py and test_listen.py: the
    # endpoint then answers as before)
    assert _loaded(after, "httpx", "pydantic", "app.core.models", "aiohttp") == []
    # nor uuid (request ids: with the first call) nor tomllib (with the first profile file)
    assert _loaded(after, "uuid", "platform", "tomllib", "encodings.idna") == []
    # nor the cipher library: the registered partners' tokens are restored with the first
    # call (below)
    assert _loaded(after, "cryptography", "app.vault.crypto") == []
    # the painted window's combo box arrows are PNGs: no SVG engine (libQt6Svg, ~1 MiB)
    assert result["svg_after"] is False


def test_a_partner_calling_after_an_idle_start_is_accepted(tmp_path: Path) -> None:
    """Two seconds into an idle start nothing has needed a token's value, so the cipher
    library is still not loaded; then a registered partner calls our endpoint with its
    TOKEN_C and is accepted (its token restored before the call was answered)."""
    result = _start(tmp_path, caller=_token_c(PARTNERS - 1))
    assert result["code"] == 0
    idle = result["idle"]
    assert isinstance(idle, list)
    assert "app.engine.engine" in idle  # the engine runs and our endpoint listens
    assert _loaded(idle, "cryptography", "app.vault.crypto") == []
    assert result["svg_idle"] is False  # nor Qt's SVG library two seconds in
    assert result["audit_idle"] is False  # nor the hidden Audit pane's body
    assert result["call"] == [200, 1000]
    after_call = result["after_call"]
    assert isinstance(after_call, list)
    assert "cryptography" in after_call
