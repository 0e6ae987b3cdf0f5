"""A throwaway certificate authority for rehearsing a mutual-TLS hub with the sandbox.

`sandbox --hub-mode mtls-required` has nobody to ask for certificates, so it makes its own:
a CA, a server certificate for 127.0.0.1/localhost, and a client certificate for us, all
written (keys 0600) into a fresh 0700 folder whose paths it prints. Rehearsal only.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.core.atomic import write_private


@dataclass(frozen=True)
class SandboxCerts:
    folder: Path
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path

    def server_context(self, require_client: bool) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.server_cert, self.server_key)
        if require_client:
            context.load_verify_locations(cafile=str(self.ca))
            context.verify_mode = ssl.CERT_REQUIRED
        return context


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OCPI Onboard sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _issue(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    server: bool = False,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), True
        )
    else:
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, data: bytes) -> Path:
    write_private(path, data)
    return path


def make_sandbox_certs(folder: Path | None = None) -> SandboxCerts:
    """A CA, a 127.0.0.1 server certificate and a client certificate, written to `folder`
    (a new private temporary folder by default)."""
    target = folder or Path(tempfile.mkdtemp(prefix="ocpi-sandbox-tls-"))
    target.mkdir(parents=True, exist_ok=True)
    os.chmod(target, 0o700)
    ca_key = _key()
    ca_name = _name("OCPI Onboard sandbox CA")
    ca_cert = _issue("OCPI Onboard sandbox CA", ca_key, ca_name, ca_key, ca=True)
    server_key, client_key = _key(), _key()
    server = _issue("127.0.0.1", server_key, ca_name, ca_key, server=True)
    client = _issue("sandbox client (us)", client_key, ca_name, ca_key)

    def pem(cert: x509.Certificate) -> bytes:
        return cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    return SandboxCerts(
        folder=target,
        ca=_write(target / "ca.pem", pem(ca_cert)),
        server_cert=_write(target / "server.pem", pem(server)),
        server_key=_write(target / "server.key", key_pem(server_key)),
        client_cert=_write(target / "client.pem", pem(client)),
        client_key=_write(target / "client.key", key_pem(client_key)),
    )
