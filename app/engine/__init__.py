"""User-level OCPI operations (register, invite, rotate, unregister, check, recover).

The names below load on first use (PEP 562): `app.engine.health` is read by `peers list`,
which must not pay for the HTTP stack and the pydantic models that `Engine` pulls in.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.engine.engine import Engine
    from app.engine.results import CallbackSettings, Discovery, Identity, Invitation, RunResult

_HOMES = {
    "Engine": "app.engine.engine",
    "CallbackSettings": "app.engine.results",
    "Discovery": "app.engine.results",
    "Identity": "app.engine.results",
    "Invitation": "app.engine.results",
    "RunResult": "app.engine.results",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'app.engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


__all__ = ["CallbackSettings", "Discovery", "Engine", "Identity", "Invitation", "RunResult"]
