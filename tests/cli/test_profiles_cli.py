"""`profiles list|show` through the real CLI, the presets as shipped, and profile errors.

Contract (docs/cli-contract.md): `profiles list --json` prints {"profiles": [{"name", "title",
"source"}]}; `profiles show NAME --json` prints every key of the profile with defaults
filled in, plus name, title and source.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.profile import CONTRACT_KEYS, Profile, ProfileError
from app.engine.profiles import listing, load_preset, resolve
from app.paths import resources_dir
from tests.cli.helpers import as_json, cli


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


PRESETS = {"gireve-hub", "enapi-hub", "strict-211", "activation-delay", "plugsurfing-cpo"}


def test_profiles_list_json_shows_the_presets(home: Path) -> None:
    listed = as_json(cli(home, "profiles", "list", "--json"))
    assert set(listed) == {"profiles"}
    rows = listed["profiles"]
    assert len(rows) >= 4
    assert {row["name"] for row in rows} >= PRESETS
    for row in rows:
        assert set(row) == {"name", "title", "source"}
        assert row["title"] and row["source"] == "builtin"
    plain = cli(home, "profiles", "list")
    assert plain.returncode == 0 and "gireve-hub" in plain.stdout


def test_profiles_show_fills_in_every_key(home: Path, tmp_path: Path) -> None:
    shown = as_json(cli(home, "profiles", "show", "gireve-hub", "--json"))
    assert set(CONTRACT_KEYS) | {"name", "title", "source"} <= set(shown)
    assert shown["name"] == "gireve-hub" and shown["source"] == "builtin"
    assert shown["rotation"] == "delete-register" and shown["routing_headers"] is True
    assert shown["ocpi_version"] == "2.2.1" and shown["client_cert_required"] is True
    minimal = tmp_path / "minimal.toml"
    minimal.write_text('name = "Only a name"\n')
    defaults = as_json(cli(home, "profiles", "show", str(minimal), "--json"))
    assert defaults["title"] == "Only a name" and defaults["name"] == "minimal"
    assert defaults["rotation"] == "put" and defaults["token_encoding"] == "auto"
    assert defaults["routing_headers"] is False and defaults["activation_delay_s"] == 0
    assert defaults["source"] == str(minimal.resolve())
    text = cli(home, "profiles", "show", "strict-211")
    assert "what it changes" in text.stdout and "2.1.1" in text.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('rotation = "patch"\n', "rotation must be one of put, delete-register"),
        ('token_encoding = "hex"\n', "token_encoding must be one of"),
        ('ocpi_version = "3.0"\n', "ocpi_version must be one of"),
        ("routing_headers = 1\n", "routing_headers must be true or false"),
        ("page_limit = 0\n", "page_limit must be a whole number"),
        ("colour = 1\n", "unknown key 'colour'"),
        ("rotation = \n", "not valid TOML"),
    ],
)
def test_a_bad_profile_is_a_clear_error(
    home: Path, tmp_path: Path, content: str, expected: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(content)
    shown = cli(home, "profiles", "show", str(bad), "--json")
    assert shown.returncode == 2
    assert expected in shown.stderr and "Traceback" not in shown.stderr
    registered = cli(
        home,
        "register",
        "--versions-url",
        "http://127.0.0.1:9/ocpi/versions",
        "--token-a-file",
        "-",
        "--country-code",
        "DE",
        "--party-id",
        "ONB",
        "--role",
        "EMSP",
        "--profile",
        str(bad),
        stdin="tok-never-read-0000\n",
    )
    assert registered.returncode == 2 and expected in registered.stderr


def test_unknown_profile_name_lists_the_presets(home: Path) -> None:
    shown = cli(home, "profiles", "show", "no-such-hub", "--json")
    assert shown.returncode == 2
    assert "gireve-hub" in shown.stderr


def test_every_preset_cites_a_public_source_and_parses() -> None:
    folder = resources_dir() / "profiles"
    assert {p.stem for p in folder.glob("*.toml")} >= PRESETS
    for path in folder.glob("*.toml"):
        text = path.read_text()
        comments = [line for line in text.splitlines() if line.startswith("#")]
        assert any("source" in line.lower() for line in comments), path.name
        profile = load_preset(path.stem)
        assert profile.reference, path.name
        assert profile.changes(), path.name
    assert len(listing()) == len(list(folder.glob("*.toml")))


def test_command_line_wins_over_profile_wins_over_defaults(tmp_path: Path) -> None:
    file = tmp_path / "p.toml"
    file.write_text('ocpi_version = "2.1.1"\ntoken_encoding = "raw"\n')
    profile = resolve(str(file))
    assert profile.ocpi_version == "2.1.1" and profile.token_encoding == "plain"
    merged = profile.merge(ocpi_version="2.2.1", token_encoding=None)
    assert merged.ocpi_version == "2.2.1" and merged.token_encoding == "plain"
    assert Profile().merge().rotation == "put"
    with pytest.raises(ProfileError):
        profile.merge(rotation="sideways")


def test_a_stored_key_is_never_printed() -> None:
    key = "-----BEGIN PRIVATE KEY-----\nSECRETKEYBODY\n"
    profile = Profile(client_cert="-----BEGIN CERTIFICATE-----\nx", client_key=key)
    shown = profile.to_json()
    assert shown["client_key"] == "stored in the vault (encrypted)"
    assert "SECRETKEYBODY" not in json.dumps(shown) + repr(profile) + str(profile)


def test_cli_hub_mode_names_match_the_sandbox() -> None:
    from app.cli.sandbox_hub import HUB_MODES
    from app.sandbox.hub import HubMode

    assert set(HUB_MODES) == {m.value for m in HubMode}
