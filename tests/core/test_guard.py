"""The tests/core guard itself: each way out of the process is refused inside a core test."""

from __future__ import annotations

import importlib
import socket
import subprocess
import sys

import pytest

from tests.core.conftest import IoForbidden


def test_connecting_a_socket_is_refused() -> None:
    with socket.socket() as sock, pytest.raises(IoForbidden):
        sock.connect(("127.0.0.1", 9))


def test_binding_a_port_is_refused() -> None:
    with socket.socket() as sock, pytest.raises(IoForbidden):
        sock.bind(("127.0.0.1", 0))


def test_resolving_a_name_is_refused() -> None:
    with pytest.raises(IoForbidden):
        socket.getaddrinfo("example.com", 443)


def test_starting_a_process_is_refused() -> None:
    with pytest.raises(IoForbidden):
        subprocess.run([sys.executable, "-c", "pass"], check=False)


def test_importing_qt_is_refused_even_when_loaded() -> None:
    with pytest.raises(IoForbidden):
        import PySide6.QtCore  # noqa: F401  (an import statement: checked by name)
    # a Qt module nobody loaded goes through the finder (a whole suite has loaded qasync
    # and the usual Qt modules already, so the name must be one no test imports)
    with pytest.raises(IoForbidden):
        importlib.import_module("PySide6.QtNotLoadedByAnyTest")
