"""A self-signed TLS certificate for loopback servers in tests and benchmarks."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["CertificateAuthority", "self_signed_certificate"]


def self_signed_certificate(folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """Write an ECDSA P-256 certificate for ``host`` valid for a day.

    Returns the certificate and key PEM files (``cert.pem``, ``key.pem``).
    Clients trust it with ``ssl.create_default_context(cafile=cert)``.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(san, critical=False)
        .sign(key, hashes.SHA256())
    )

    return _write(folder / "cert.pem", folder / "key.pem", [certificate], key)


def _write(
    cert_file: Path,
    key_file: Path,
    chain: list[x509.Certificate],
    key: ec.EllipticCurvePrivateKey,
) -> tuple[Path, Path]:
    """The certificate chain and the unencrypted key, as PEM files."""
    pem = serialization.Encoding.PEM
    cert_file.write_bytes(b"".join(item.public_bytes(pem) for item in chain))
    key_file.write_bytes(
        key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


class CertificateAuthority:
    """A certificate authority issuing server certificates, as the site's
    local one does; files go in ``folder``."""

    def __init__(self, folder: Path, name: str = "Lifebuoy test CA") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.issued = 0
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
            .sign(self.key, hashes.SHA256())
        )
        self.pem = self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def issue(self, *names: str, expired: bool = False) -> tuple[Path, Path]:
        """Certificate chain and key files for ``names`` (IP addresses or DNS
        names), valid for a day (or expired an hour ago)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        alternatives: list[x509.GeneralName] = []
        for name in names:
            try:
                alternatives.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                alternatives.append(x509.DNSName(name))
        end = now + (datetime.timedelta(hours=-1) if expired else datetime.timedelta(1))
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(names[0]))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=2))
            .not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName(alternatives), False)
            .sign(self.key, hashes.SHA256())
        )
        self.issued += 1
        name = f"server-{self.issued}"
        chain = [certificate, self.certificate]
        return _write(
            self.folder / f"{name}.pem", self.folder / f"{name}.key", chain, key
        )
