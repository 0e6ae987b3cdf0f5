"""The packaged team vault over TLS: libpq's TLS code runs on the bundle's one OpenSSL.

bundle_options.share_openssl links psycopg-binary's vendored libssl/libcrypto to the ones
Python's ssl brings (an older OpenSSL 3 than the wheel was built with). The unix-socket
team test in test_built_app.py proves libpq loads; this one makes libpq verify a server
certificate and encrypt over TCP, against a real PostgreSQL that accepts TLS only.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import trustme

from tests.packaging.test_built_app import EXE, headless_env, run
from tests.support.pg import MISSING, RUN_AS, PgCluster, _ids, bin_dir, unavailable

pytestmark = pytest.mark.skipif(
    not os.access(EXE, os.X_OK), reason="dist/ocpi-onboard not built (bash packaging/build.sh)"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def tls_pg_url(tmp_path: Path) -> Iterator[str]:
    """A fresh database on a cluster that accepts TCP connections over TLS only, with a
    certificate for 127.0.0.1 from a test CA; the URL makes libpq verify it."""
    binaries = bin_dir()
    if binaries is None:
        unavailable(MISSING)
        return
    cluster = PgCluster(binaries)
    try:
        if cluster.as_root:
            os.chown(cluster.root, *_ids(RUN_AS))
        done = cluster._run(
            *("initdb", "-D", str(cluster.data), "-A", "trust", "-U", "postgres"),
            *("--no-sync", "-E", "UTF8"),
        )
        assert done.returncode == 0, done.stderr
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1")
        key_file, cert_file = cluster.data / "server.key", cluster.data / "server.crt"
        cert.private_key_pem.write_to_path(str(key_file))
        cert.cert_chain_pems[0].write_to_path(str(cert_file))
        (cluster.data / "pg_hba.conf").write_text(
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\n", "utf-8"
        )
        for path in (key_file, cert_file, cluster.data / "pg_hba.conf"):
            path.chmod(0o600)
            if cluster.as_root:
                os.chown(path, *_ids(RUN_AS))
        port = _free_port()
        options = (
            f"-k {cluster.data} -c listen_addresses=127.0.0.1 -p {port} -c ssl=on -c fsync=off"
        )
        done = cluster._run(
            *("pg_ctl", "-D", str(cluster.data), "-o", options),
            *("-l", str(cluster.root / "log"), "-w", "start"),
        )
        if done.returncode != 0:
            unavailable(f"could not start a TLS PostgreSQL cluster: {done.stderr.strip()}")
        name = f"t_{uuid.uuid4().hex[:12]}"
        local = f"{cluster.url()}&port={port}"  # the unix socket is named after the port
        with psycopg.connect(local, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}".encode())
        root = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(root))
        yield (
            f"postgresql://postgres@127.0.0.1:{port}/{name}?sslmode=verify-full&sslrootcert={root}"
        )
    finally:
        cluster.stop()


def test_packaged_team_vault_over_tls(tls_pg_url: str, tmp_path: Path) -> None:
    env = dict(
        headless_env(tmp_path),
        OCPI_ONBOARD_MEMBER="alice",
        OCPI_ONBOARD_PASSPHRASE="packaged-tls-test",
    )
    init = run(["team", "init", "--vault", tls_pg_url], env)
    assert init.returncode == 0, init.stderr
    assert "team vault ready" in init.stdout
    listed = run(["team", "list", "--json", "--vault", tls_pg_url], env)
    assert listed.returncode == 0, listed.stderr
    assert '"name": "alice"' in listed.stdout
    # The server takes TLS only: the same database without it is refused.
    plain = tls_pg_url.split("?")[0] + "?sslmode=disable"
    refused = run(["team", "list", "--json", "--vault", plain], env)
    assert refused.returncode != 0
    assert "vault.unreachable" in refused.stdout + refused.stderr
    # libpq verifies the certificate: a CA that did not sign it is refused.
    stranger = tmp_path / "stranger-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    unverified = tls_pg_url.split("&sslrootcert=")[0] + f"&sslrootcert={stranger}"
    untrusted = run(["team", "list", "--json", "--vault", unverified], env)
    assert untrusted.returncode != 0
    assert "certificate verify failed" in untrusted.stdout + untrusted.stderr
