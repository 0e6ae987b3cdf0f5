"""Sandbox fixtures: the engine tests' real vault per test."""

from tests.engine.conftest import vault, vault_path

__all__ = ["vault", "vault_path"]
