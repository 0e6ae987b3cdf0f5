"""The user's settings (our identity, endpoint, network): one JSON file in the config dir.

No secrets here: tokens live only in the vault. Written atomically (app.core.atomic).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.atomic import write_private
from app.paths import config_dir

if TYPE_CHECKING:  # imported where used: `peers list` and the GUI's first frame need no HTTP
    from app.core.http import HttpSettings
    from app.engine.results import CallbackMode, CallbackSettings, Identity

DEFAULT_IDENTITY: dict[str, Any] = {
    "country_code": "NL",
    "party_id": "OOB",
    "roles": ["CPO"],
    "business_name": "OCPI Onboard",
    "website": None,
}


@dataclass
class Settings:
    country_code: str = DEFAULT_IDENTITY["country_code"]
    party_id: str = DEFAULT_IDENTITY["party_id"]
    roles: list[str] = field(default_factory=lambda: list(DEFAULT_IDENTITY["roles"]))
    business_name: str = DEFAULT_IDENTITY["business_name"]
    website: str | None = None
    listen_host: str = "127.0.0.1"
    listen_port: int = 0
    public_url: str | None = None
    callback_mode: CallbackMode = "embedded"
    own_versions_url: str | None = None
    ca_bundle: str | None = None
    allow_insecure: bool = False
    request_timeout: float = 30.0
    post_timeout: float = 90.0
    vault_path: str | None = None
    liveness_minutes: int = 15  # the still-alive GET while the app runs; 0 = off
    rotation_days: int = 30  # remind to rotate tokens older than this (spec: monthly)

    # The one place settings become the engine's identity, HTTP and endpoint settings (the
    # GUI's controller and wizards and the CLI all build them here).

    def identity(self) -> Identity:
        """Who we are in the handshake."""
        from app.engine.results import Identity

        return Identity(
            self.country_code, self.party_id, tuple(self.roles), self.business_name, self.website
        )

    def callback(self) -> CallbackSettings:
        """Our embedded endpoint as set (the wizards switch to external per registration)."""
        from app.engine.results import CallbackSettings

        return CallbackSettings(
            mode="embedded",
            listen_host=self.listen_host or "127.0.0.1",
            listen_port=int(self.listen_port or 0),
            public_url=self.public_url or None,
        )

    def http(self) -> HttpSettings:
        """Timeouts and TLS for our requests to partners."""
        from app.core.http import HttpSettings

        return HttpSettings(
            request_timeout=self.request_timeout,
            write_timeout=self.post_timeout,
            allow_insecure=self.allow_insecure,
            ca_bundle=self.ca_bundle,
        )


def settings_path() -> Path:
    return config_dir() / "settings.json"


def load_settings(path: Path | None = None) -> Settings:
    """Settings from disk; defaults for anything missing or unreadable (never fails)."""
    target = path or settings_path()
    try:
        raw = json.loads(target.read_text("utf-8"))
    except (OSError, ValueError):
        return Settings()
    if not isinstance(raw, dict):
        return Settings()
    known = {k: v for k, v in raw.items() if k in Settings.__dataclass_fields__}
    try:
        return Settings(**known)
    except TypeError:
        return Settings()


def save_settings(settings: Settings, path: Path | None = None) -> None:
    target = path or settings_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    write_private(target, json.dumps(asdict(settings), indent=2))
