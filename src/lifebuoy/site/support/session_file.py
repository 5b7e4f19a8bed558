"""The session file a customer downloads and opens with the applet."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.http import HttpResponse

from lifebuoy.site.signing.keys import public_keys

__all__ = ["session_file", "session_file_response"]

logger = logging.getLogger(__name__)

FILE_TYPE = "lifebuoy-session"
VERSION = 1


def _site_ca_pem() -> str | None:
    path = settings.DATA_DIR / "tls" / "ca.pem"
    try:
        return path.read_text(encoding="ascii") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        logger.warning("the local CA at %s cannot be read; left out", path)
        return None


def session_file(session_id: str, credential: str) -> dict[str, Any]:
    content: dict[str, Any] = {
        "type": FILE_TYPE,
        "version": VERSION,
        "site": settings.LIFEBUOY.public_url,
        "gateways": list(settings.LIFEBUOY.gateway_urls),
        "session_id": session_id,
        "credential": credential,
        "signing_keys": public_keys(),
    }
    ca = _site_ca_pem()
    if ca is not None:
        content["site_ca_pem"] = ca
    return content


def session_file_response(session_id: str, credential: str, label: str) -> HttpResponse:
    """The file as a download named ``lifebuoy-<label>.lifebuoy``."""
    body = json.dumps(session_file(session_id, credential), indent=2) + "\n"
    response = HttpResponse(body.encode("utf-8"), content_type="application/json")
    response["Content-Disposition"] = (
        f'attachment; filename="lifebuoy-{label}.lifebuoy"'
    )
    return response
