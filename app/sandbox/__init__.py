"""A spec-faithful OCPI partner (credentials Receiver) on loopback, with fault modes."""

from app.sandbox.partner import DEMO_IDENTITY, Fault, SandboxPartner

__all__ = ["DEMO_IDENTITY", "Fault", "SandboxPartner"]
