"""Which class opens a postgresql:// URL: app/vault/team.py (TeamVault, a subclass of
Vault) names itself here when it loads, which the `app.vault` package always does. So
`Vault.open(url)` in store.py needs no import of team.py, and team.py sits above store.py
with no circle between them."""

from __future__ import annotations

from typing import Any

from app.vault.errors import VaultError

_URL_VAULTS: Any = None


def serve_urls(team_vault: Any) -> None:
    global _URL_VAULTS
    _URL_VAULTS = team_vault


def url_vaults() -> Any:
    """The team vault class (`open_url`, `kdf_params_for`)."""
    if _URL_VAULTS is None:
        raise VaultError("vault.unreachable", "the team vault is not available")
    return _URL_VAULTS
