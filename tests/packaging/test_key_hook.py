"""packaging/rthook_early_key.py run from source: which launches it starts the key for.

The packaged tests (test_built_app.py) need a build; this checks the hook's own decision
against main.py's: a window launch starts the key once, a CLI launch starts nothing.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

from app.vault import key_ahead
from tests.conftest import TEST_PASSPHRASE

HOOK = Path(__file__).resolve().parents[2] / "packaging" / "rthook_early_key.py"


def _run_hook(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> dict[str, object]:
    monkeypatch.setattr(sys, "argv", ["ocpi-onboard", *argv])
    return runpy.run_path(str(HOOK), run_name="__main__")


@pytest.mark.parametrize("argv", [[], ["--gui"], ["--sandbox"]])
def test_a_window_launch_starts_the_key_once(
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OCPI_ONBOARD_PASSPHRASE", TEST_PASSPHRASE)
    monkeypatch.setenv(key_ahead.TRACE_ENV, "1")
    namespace = _run_hook(monkeypatch, argv)  # the default vault (user dirs: conftest's)
    assert capsys.readouterr().err == "vault-key: derivation started (launch)\n"
    # main.py shares the hook's namespace: the hook leaves no name behind
    assert not any(name.startswith("_ocpi") for name in namespace)
    ahead = key_ahead.take_or_start(None)
    assert ahead is not None and capsys.readouterr().err == ""
    ahead.future.result()


@pytest.mark.parametrize(
    "argv", [["--version"], ["--self-test"], ["peers", "list"], ["--help"], ["--vault", "x"]]
)
def test_a_cli_launch_starts_nothing(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OCPI_ONBOARD_PASSPHRASE", TEST_PASSPHRASE)
    monkeypatch.setenv(key_ahead.TRACE_ENV, "1")
    _run_hook(monkeypatch, argv)
    assert capsys.readouterr() == ("", "")
    assert key_ahead._launch is None


def test_without_the_passphrase_nothing_starts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OCPI_ONBOARD_PASSPHRASE", raising=False)
    monkeypatch.setenv(key_ahead.TRACE_ENV, "1")
    _run_hook(monkeypatch, [])
    assert capsys.readouterr() == ("", "") and key_ahead._launch is None
