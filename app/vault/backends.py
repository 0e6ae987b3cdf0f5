"""Which class opens a postgresql:// URL: app/vault/team.py (TeamVault, a subclass of
Vault) names itself here when it loads. The team vault loads on first use (issue 13), so
the first URL asks for it by name. `Vault.open(url)` in store.py thus imports nothing of
team.py, which sits above store.py."""

from __future__ import annotations

import importlib
from typing import Any

from app.vault.errors import VaultError

_URL_VAULTS: Any = None


def serve_urls(team_vault: Any) -> None:
    global _URL_VAULTS
    _URL_VAULTS = team_vault


def url_vaults() -> Any:
    """The team vault class (`open_url`, `kdf_params_for`)."""
    if _URL_VAULTS is None:
        importlib.import_module("app.vault.team")  # it calls serve_urls as it loads
    if _URL_VAULTS is None:
        raise VaultError("vault.unreachable", "the team vault is not available")
    return _URL_VAULTS
