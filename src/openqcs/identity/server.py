"""The HTTPS issuer: newer Rigetti clients refuse an ``http://`` issuer when refreshing, so with
``https_port`` set the same app is also served over TLS, with a CA generated once under
``<data_dir>/tls/`` that users trust through ``SSL_CERT_FILE``."""

from __future__ import annotations

import ipaddress
import logging
import os
import ssl
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from openqcs.context import AppContext
from openqcs.core.processes import WORKER_KILL_SECONDS, supervise
from openqcs.identity.tokens import ensure_signing_key

log = logging.getLogger("openqcs.identity")


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "openqcs"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _alt_names(host: str) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                     x509.IPAddress(ipaddress.ip_address("::1"))]
    try:
        ip = ipaddress.ip_address(host)
        if ip.is_unspecified:
            return names
        if str(ip) not in ("127.0.0.1", "::1"):
            names.append(x509.IPAddress(ip))
    except ValueError:
        if host and host != "localhost":
            names.append(x509.DNSName(host))
    return names


BUNDLE = "trust-bundle.pem"  # what SSL_CERT_FILE should name


def ensure_certificates(data_dir: str, host: str, now: datetime) -> dict[str, Path]:
    """CA (kept across restarts, so trust survives) and a server certificate for ``host``."""
    tls = Path(data_dir) / "tls"
    tls.mkdir(parents=True, exist_ok=True)
    paths = {"ca": tls / "ca.pem", "ca_key": tls / "ca-key.pem", "cert": tls / "server.pem",
             "key": tls / "server-key.pem", "host": tls / "server-host", "bundle": tls / BUNDLE}
    if paths["ca"].exists() and paths["ca_key"].exists():
        ca_cert = x509.load_pem_x509_certificate(paths["ca"].read_bytes())
        # our own file, written below: an EC key
        loaded = serialization.load_pem_private_key(paths["ca_key"].read_bytes(), None)
        ca_key = cast("ec.EllipticCurvePrivateKey", loaded)
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name("openqcs local CA")
        ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
                   .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                content_commitment=False, key_encipherment=False,
                                                data_encipherment=False, key_agreement=False,
                                                encipher_only=False, decipher_only=False), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
                   .sign(ca_key, hashes.SHA256()))
        _write(paths["ca_key"], _key_pem(ca_key), private=True)
        _write(paths["ca"], ca_cert.public_bytes(serialization.Encoding.PEM))
    fresh = paths["cert"].exists() and paths["key"].exists() and paths["host"].exists() \
        and paths["host"].read_text() == host \
        and x509.load_pem_x509_certificate(paths["cert"].read_bytes()).not_valid_after_utc > now + timedelta(days=7)
    if not fresh:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_name(host or "localhost")).issuer_name(ca_cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=397))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.SubjectAlternativeName(_alt_names(host)), critical=False)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        _write(paths["key"], _key_pem(key), private=True)
        _write(paths["cert"], cert.public_bytes(serialization.Encoding.PEM))
        paths["host"].write_text(host)
    _write(paths["bundle"], _trust_bundle(paths["ca"].read_bytes()))
    return paths


def _trust_bundle(ca: bytes) -> bytes:
    """The system's CAs plus ours: SSL_CERT_FILE replaces a client's trust store, and a shell
    that trusts the local issuer should still reach every public site."""
    system = ssl.get_default_verify_paths().cafile
    parts = [Path(system).read_bytes()] if system and Path(system).is_file() else []
    return b"\n".join([*parts, ca])


def _write(path: Path, data: bytes, private: bool = False) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


# Run before granian in a fresh interpreter: SIGTERM when the services process dies, even by
# SIGKILL (Linux), then exec granian. Not a preexec_fn: that runs Python in a fork of a process
# whose gRPC threads are running, and gRPC's fork handlers then abort the child now and then.
_DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "try:\n"
    "    ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG\n"
    "except OSError:\n"
    "    pass\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit(0)  # the parent is gone already\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


def start(ctx: AppContext) -> Callable[[], None] | None:
    settings = ctx.settings
    if settings.oidc_issuer:
        return None
    with ctx.db.session(write=True) as session:
        ensure_signing_key(session, ctx.clock)  # the JWKS is never empty
    if not settings.https_port:
        return None
    paths = ensure_certificates(settings.data_dir, settings.host, ctx.clock.now())
    granian = str(Path(sys.executable).with_name("granian"))
    # A second granian serving the same app over TLS; it reads the same OPENQCS_* environment.
    process = subprocess.Popen([
        sys.executable, "-S", "-c", _DIE_WITH_PARENT, str(os.getpid()),
        granian, "--interface", "asgi", "--factory", "--host", settings.host, "--port", str(settings.https_port),
        "--workers", "1", "--workers-kill-timeout", str(WORKER_KILL_SECONDS), "--no-log",
        "--ssl-certificate", str(paths["cert"]), "--ssl-keyfile", str(paths["key"]),
        "openqcs.app:asgi",
    ])
    bundle = paths["bundle"].resolve()
    log.info("HTTPS issuer at %s; trust its CA with SSL_CERT_FILE=%s", settings.issuer, bundle,
             extra={"issuer": settings.issuer, "ca_file": str(paths["ca"])})
    print(f"openqcs: HTTPS issuer at {settings.issuer}\n"
          f"openqcs: trust it with  export SSL_CERT_FILE={bundle}", file=sys.stderr, flush=True)
    return supervise(process, log, f"the HTTPS issuer on port {settings.https_port} (is the port in use?)")
