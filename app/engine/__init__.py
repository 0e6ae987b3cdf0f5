"""User-level OCPI operations (register, invite, rotate, unregister, check, recover)."""

from app.engine.engine import Engine
from app.engine.results import CallbackSettings, Discovery, Identity, Invitation, RunResult

__all__ = ["CallbackSettings", "Discovery", "Engine", "Identity", "Invitation", "RunResult"]
