"""Finding and preparing profiles: built-in presets, TOML files, and a partner's vault copy.

`resolve("gireve-hub")` reads resources/profiles/gireve-hub.toml; `resolve("hub.toml")` (or
any existing path) reads that file. `materialize` replaces the certificate, key and CA
paths by their PEM text, so the vault copy stands alone and the files may be deleted.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from app.core.profile import MAX_PROFILE_BYTES, PATH_KEYS, Profile, ProfileError
from app.paths import resources_dir

PRESET_DIR = "profiles"


def presets_dir() -> Path:
    return resources_dir() / PRESET_DIR


def preset_names() -> list[str]:
    folder = presets_dir()
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def _read(path: Path, what: str) -> str:
    try:
        if path.stat().st_size > MAX_PROFILE_BYTES:
            raise ProfileError(f"{what} is larger than {MAX_PROFILE_BYTES // 1024} KiB")
        return path.read_text("utf-8")
    except FileNotFoundError:
        raise ProfileError(f"{what} not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read {what} {path}: {type(exc).__name__}") from None


def load_preset(name: str) -> Profile:
    path = presets_dir() / f"{name}.toml"
    if name not in preset_names():
        known = ", ".join(preset_names()) or "none installed"
        raise ProfileError(f"no built-in profile {name!r}; built-in profiles: {known}")
    return Profile.from_toml(_read(path, "profile"), name, "builtin", path.parent)


def load_file(path: Path) -> Profile:
    text = _read(path, "profile file")
    return Profile.from_toml(text, path.stem, str(path.resolve()), path.resolve().parent)


def resolve(name_or_file: str) -> Profile:
    """A built-in preset by name, else a TOML file by path; ProfileError otherwise."""
    candidate = Path(name_or_file).expanduser()
    looks_like_path = name_or_file.endswith(".toml") or "/" in name_or_file or "\\" in name_or_file
    if looks_like_path or (candidate.is_file() and name_or_file not in preset_names()):
        return load_file(candidate)
    return load_preset(name_or_file)


def listing() -> list[Profile]:
    """Every built-in preset (a broken preset file is a packaging bug: it raises)."""
    return [load_preset(name) for name in preset_names()]


def _pem(path_or_pem: str, key: str, name: str) -> str:
    if path_or_pem.lstrip().startswith("-----BEGIN"):
        return path_or_pem
    path = Path(path_or_pem)
    text = _read(path, key.replace("_", " "))
    if "-----BEGIN" not in text:
        raise ProfileError(f"profile {name}: {key} {path} is not a PEM file")
    return text


def materialize(profile: Profile) -> Profile:
    """The profile with PEM text in place of file paths (what the vault stores)."""
    if bool(profile.client_cert) != bool(profile.client_key):
        raise ProfileError(
            f"profile {profile.name}: mutual TLS needs both a client certificate and its key"
        )
    changes: dict[str, Any] = {
        key: _pem(value, key, profile.name) for key in PATH_KEYS if (value := getattr(profile, key))
    }
    done = replace(profile, **changes) if changes else profile
    if done.client_cert_required and not done.mutual_tls:
        raise ProfileError(
            f"profile {profile.name}: this partner requires mutual TLS; give --client-cert"
            " and --client-key (or client_cert/client_key in a profile file)"
        )
    return done
