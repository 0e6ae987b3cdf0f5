"""Errors the credentials handlers raise, apart from the server so that they load without
aiohttp (a command that only calls out never imports the server side, issue 13)."""

from __future__ import annotations


class MethodNotAllowed(Exception):
    """405 with an OCPI envelope: POST when registered, PUT/DELETE when not."""
