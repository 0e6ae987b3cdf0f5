"""A spec-faithful OCPI partner (credentials Receiver) on loopback, with fault modes.

`SandboxPartner` loads on first use (PEP 562): the GUI's main window and the CLI's
argument checks need only `Fault` and `DEMO_IDENTITY`, not aiohttp's server (issue 13).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from app.sandbox.faults import DEMO_IDENTITY, Fault

if TYPE_CHECKING:
    from app.sandbox.partner import SandboxPartner


def __getattr__(name: str) -> Any:
    if name != "SandboxPartner":
        raise AttributeError(f"module 'app.sandbox' has no attribute {name!r}")
    value = importlib.import_module("app.sandbox.partner").SandboxPartner
    globals()[name] = value
    return value


__all__ = ["DEMO_IDENTITY", "Fault", "SandboxPartner"]
