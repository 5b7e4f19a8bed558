"""The session file (docs/sessions.md, "The session file"), read strictly.

The file comes from a download folder: anyone could have made it. Every
field is checked for type, form and length before anything is done with it,
and every refusal says in plain words what is wrong, never how the parser
failed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..tls import pinned_context
from ._errors import SessionFileError

__all__ = [
    "FILE_TYPE",
    "MAX_FILE_BYTES",
    "SessionFile",
    "check_gateways",
    "load_session_file",
    "parse_session_file",
]

FILE_TYPE = "lifebuoy-session"
VERSION = 1
MAX_FILE_BYTES = 256 << 10
"""Largest file read; a real one is a few kilobytes (most of it the CA)."""

_FIELDS = {
    "type",
    "version",
    "site",
    "gateways",
    "session_id",
    "credential",
    "signing_keys",
}
_OPTIONAL = {"site_ca_pem"}
_SESSION_ID = re.compile(r"s_[A-Za-z0-9_-]{22}")
_CREDENTIAL = re.compile(r"[A-Za-z0-9_-]{1,1000}\.[A-Za-z0-9_-]{1,200}")
_MAX_URL = 2048
_MAX_GATEWAYS = 8
_MAX_KEYS = 8
_MAX_CA = 64 << 10
_UNUSABLE = "This session file cannot be used"


@dataclass(frozen=True)
class SessionFile:
    """A session file whose every field passed the checks."""

    site: str
    """The site's https URL, without a trailing slash."""
    gateways: tuple[str, ...]
    """Gateway wss URLs, in the order to try them."""
    session_id: str
    """The session's public id."""
    credential: str
    """Bearer credential for the applet API (a secret: never logged)."""
    signing_keys: dict[str, Ed25519PublicKey]
    """Site keys pinned for key certificates, by key id."""
    site_ca_pem: str | None
    """The one CA to trust for the site and gateways; ``None``: the system's."""

    def ssl_context(self) -> ssl.SSLContext:
        """TLS settings for the site and the gateways."""
        if self.site_ca_pem is None:
            return ssl.create_default_context()
        return pinned_context(cadata=self.site_ca_pem)


def load_session_file(path: Path) -> SessionFile:
    """Read and check the file at ``path``; ``SessionFileError`` says what is wrong."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise SessionFileError(f"There is no file at {path}.") from None
    except IsADirectoryError:
        raise SessionFileError(f"{path} is a folder, not a session file.") from None
    except OSError as exc:
        raise SessionFileError(f"{path} cannot be read: {exc.strerror}.") from None
    return parse_session_file(raw)


def parse_session_file(raw: bytes) -> SessionFile:
    """Check the bytes of a session file."""
    if len(raw) > MAX_FILE_BYTES:
        raise SessionFileError(f"{_UNUSABLE}: it is far too large.")
    content = _decode(raw)

    if content.get("type") != FILE_TYPE:
        raise SessionFileError(f"{_UNUSABLE}: it is not a Lifebuoy session file.")
    version = content.get("version")
    if type(version) is not int or version != VERSION:
        raise SessionFileError(
            f"{_UNUSABLE}: it is of another version. "
            "Download a new one, or get the newest Lifebuoy applet."
        )
    missing = sorted(_FIELDS - content.keys())
    if missing:
        raise SessionFileError(f"{_UNUSABLE}: {', '.join(missing)} missing.")
    unknown = sorted(content.keys() - _FIELDS - _OPTIONAL)
    if unknown:
        raise SessionFileError(f"{_UNUSABLE}: unknown fields ({_names(unknown)}).")

    return SessionFile(
        site=_site(content["site"]),
        gateways=check_gateways(content["gateways"]),
        session_id=_matching(content["session_id"], _SESSION_ID, "session_id"),
        credential=_matching(content["credential"], _CREDENTIAL, "credential"),
        signing_keys=_signing_keys(content["signing_keys"]),
        site_ca_pem=_ca(content.get("site_ca_pem")),
    )


def _decode(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
        content = json.loads(
            text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise SessionFileError(
            f"{_UNUSABLE}: it is damaged or not a session file. Download it again."
        ) from None
    if not isinstance(content, dict):
        raise SessionFileError(f"{_UNUSABLE}: it is not a Lifebuoy session file.")
    return content


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("a field appears twice")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _names(names: list[str]) -> str:
    shown = [repr(name[:40]) for name in names[:5]]
    return ", ".join(shown) + (", ..." if len(names) > 5 else "")


def _matching(value: Any, pattern: re.Pattern[str], name: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise SessionFileError(f"{_UNUSABLE}: {name} is not valid.")
    return value


def _url(value: Any, scheme: str, name: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_URL:
        raise SessionFileError(f"{_UNUSABLE}: {name} is not a {scheme}:// address.")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises for a port out of range)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme != scheme
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
        or not value.isprintable()
        or " " in value
    ):
        raise SessionFileError(f"{_UNUSABLE}: {name} is not a {scheme}:// address.")
    return value.rstrip("/")


def _site(value: Any) -> str:
    return _url(value, "https", "site")


def check_gateways(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not 0 < len(value) <= _MAX_GATEWAYS:
        raise SessionFileError(
            f"{_UNUSABLE}: gateways must list 1 to {_MAX_GATEWAYS} addresses."
        )
    return tuple(_url(item, "wss", "a gateway") for item in value)


def _signing_keys(value: Any) -> dict[str, Ed25519PublicKey]:
    if not isinstance(value, dict) or not 0 < len(value) <= _MAX_KEYS:
        raise SessionFileError(
            f"{_UNUSABLE}: signing_keys must hold 1 to {_MAX_KEYS} site keys."
        )
    keys = {}
    for key_id, encoded in value.items():
        if not 0 < len(key_id.encode("utf-8", "replace")) <= 255:
            raise SessionFileError(f"{_UNUSABLE}: a signing key id is not valid.")
        keys[key_id] = _public_key(encoded)
    return keys


def _public_key(encoded: Any) -> Ed25519PublicKey:
    invalid = SessionFileError(f"{_UNUSABLE}: a signing key is not valid.")
    if not isinstance(encoded, str) or len(encoded) != 44:
        raise invalid
    try:
        raw = base64.b64decode(encoded, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        raise invalid from None


def _ca(value: Any) -> str | None:
    if value is None:
        return None
    invalid = SessionFileError(f"{_UNUSABLE}: site_ca_pem is not a certificate.")
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_CA:
        raise invalid
    if "-----BEGIN CERTIFICATE-----" not in value or not value.isascii():
        raise invalid
    try:
        ssl.create_default_context(cadata=value)
    except (ssl.SSLError, ValueError):
        raise invalid from None
    return value
