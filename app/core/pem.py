"""Client certificates from PEM text, for mutual TLS towards a partner.

Python's ssl module loads a certificate chain only from files. The key comes decrypted from
the vault, so it must not land on disk: on Linux it goes through an anonymous in-memory
file (memfd, read back by its /proc path and closed at once); elsewhere through a 0600
temporary file in a 0700 directory, deleted right after loading.
"""

from __future__ import annotations

import contextlib
import os
import ssl
import tempfile
from collections.abc import Iterator

from app.core.diagnosis import fail


@contextlib.contextmanager
def _readable_path(text: str, label: str) -> Iterator[str]:
    data = text.encode("utf-8")
    memfd = getattr(os, "memfd_create", None)
    if memfd is not None and os.path.isdir("/proc/self/fd"):
        fd = memfd(f"ocpi-onboard-{label}", getattr(os, "MFD_CLOEXEC", 0))
        try:
            os.write(fd, data)
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    with tempfile.TemporaryDirectory(prefix="ocpi-onboard-") as folder:
        path = os.path.join(folder, label)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        try:
            yield path
        finally:
            os.unlink(path)


def load_client_certificate(context: ssl.SSLContext, cert_pem: str, key_pem: str) -> None:
    """Load a client certificate and its key into `context`; a diagnosed error (never the
    key's text) when they are unreadable or do not belong together."""
    try:
        with (
            _readable_path(cert_pem, "client.pem") as cert,
            _readable_path(key_pem, "client.key") as key,
        ):
            context.load_cert_chain(cert, key)
    except ssl.SSLError as exc:
        reason = (
            "the key does not match the certificate"
            if "KEY_VALUES_MISMATCH" in str(exc).upper()
            else "not a PEM certificate and an unencrypted PEM key"
        )
        raise fail("input.client_cert", reason) from None
    except OSError as exc:
        raise fail("input.client_cert", type(exc).__name__) from None
