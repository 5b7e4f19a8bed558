"""A local certificate authority and the site's TLS certificate.

For a site on a laptop or a lab network: the CA certificate can be installed
in a browser or handed to the applet, and the site certificate is renewed
when it nears its end or when the configured host names change. In
production, point ``[site]`` at certificates from your own CA instead.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["TlsFiles", "ensure_tls"]

_RENEW_BEFORE = dt.timedelta(days=30)


class TlsFiles:
    def __init__(self, folder: Path) -> None:
        self.ca_cert = folder / "ca.pem"
        self.ca_key = folder / "ca.key"
        self.cert = folder / "site.pem"
        self.key = folder / "site.key"


def _write(path: Path, data: bytes, private: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(
        path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644
    )
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _make_ca(files: TlsFiles, now: dt.datetime) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(
                NameOID.COMMON_NAME, f"Lifebuoy local CA ({socket.gethostname()})"
            )
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    _write(files.ca_key, _key_pem(key), private=True)
    _write(files.ca_cert, cert.public_bytes(serialization.Encoding.PEM), private=False)


def _alt_names(hosts: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def _site_cert_current(files: TlsFiles, hosts: list[str], now: dt.datetime) -> bool:
    if not (files.cert.exists() and files.key.exists()):
        return False
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    if cert.not_valid_after_utc - now < _RENEW_BEFORE:
        return False
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(_alt_names(hosts)) <= set(sans)


def _make_site_cert(files: TlsFiles, hosts: list[str], now: dt.datetime) -> None:
    ca_key = serialization.load_pem_private_key(files.ca_key.read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    ca_cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=397))
        .add_extension(x509.SubjectAlternativeName(_alt_names(hosts)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    chain = cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(
        serialization.Encoding.PEM
    )
    _write(files.key, _key_pem(key), private=True)
    _write(files.cert, chain, private=False)


def ensure_tls(folder: Path, hosts: list[str]) -> tuple[TlsFiles, list[str]]:
    """Create or renew what is missing; returns the files and what was made."""
    files = TlsFiles(folder)
    now = dt.datetime.now(dt.UTC)
    made: list[str] = []
    if not (files.ca_cert.exists() and files.ca_key.exists()):
        _make_ca(files, now)
        made.append("local certificate authority")
    if not _site_cert_current(files, hosts, now):
        _make_site_cert(files, hosts, now)
        made.append("site TLS certificate")
    return files, made
