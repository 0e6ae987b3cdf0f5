"""OCPI Onboard: onboard OCPI roaming partners through the credentials handshake."""

__version__ = "0.1.0"
