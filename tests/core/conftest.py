"""tests/core runs with no display, no Qt, no partner process and no socket.

The machines and the judging of answers are sans-IO: every test here feeds scripted
answers and reads decisions. This guard makes that a checked property, not a hope: while a
core test's body runs, connecting, binding or resolving a socket, starting a process, or
importing Qt raises `IoForbidden`, so the test fails.
"""

from __future__ import annotations

import builtins
import importlib.abc
import socket
import subprocess
import sys
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import pytest

QT_PREFIXES = ("PySide6", "shiboken6", "qasync")


class IoForbidden(AssertionError):
    """A core test tried to leave the process or load Qt."""


def _refuse(what: str) -> Any:
    def refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
        raise IoForbidden(f"tests/core must not {what}")

    return refuse


class _NoQtFinder(importlib.abc.MetaPathFinder):
    """Refuses to load a Qt module that is not loaded yet (importlib.import_module)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.startswith(QT_PREFIXES):
            raise IoForbidden(f"tests/core must not import {name}")
        return None


@contextmanager
def sans_io() -> Iterator[None]:
    """No socket connect/bind, no DNS, no subprocess, no Qt import inside the block.

    `import` statements are checked by name even when a plugin (pytest-qt) loaded Qt
    before, so code under test cannot quietly reuse an already imported Qt module."""
    real_import = builtins.__import__

    def guarded_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith(QT_PREFIXES):
            raise IoForbidden(f"tests/core must not import {name}")
        return real_import(name, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _refuse("connect a socket"))
        patch.setattr(socket.socket, "connect_ex", _refuse("connect a socket"))
        patch.setattr(socket.socket, "bind", _refuse("bind a socket"))
        patch.setattr(socket, "create_connection", _refuse("open a connection"))
        patch.setattr(socket, "getaddrinfo", _refuse("resolve a host name"))
        patch.setattr(subprocess.Popen, "__init__", _refuse("start a process"))
        patch.setattr(builtins, "__import__", guarded_import)
        finder = _NoQtFinder()
        sys.meta_path.insert(0, finder)
        try:
            yield
        finally:
            sys.meta_path.remove(finder)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    """Only the test body runs guarded: pytest-qt's own hooks around it stay untouched."""
    with sans_io():
        return (yield)
