"""The applet API of the site (docs/sessions.md, "Site API"): join, ticket, leave.

Plain ``urllib`` in a worker thread, so the applet needs nothing beyond the
standard library and ``cryptography`` to talk to the site. Every request
carries the session credential as a bearer token, and every failure becomes
a ``SiteError`` with words for the customer.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from .. import __version__
from ._errors import SessionFileError, SiteError
from ._session_file import SessionFile, check_gateways
from ._text import shown

__all__ = ["AppletSite", "JoinAnswer", "SiteApi"]

logger = logging.getLogger(__name__)

_MAX_ANSWER = 1 << 20
_MAX_ERROR_CHARS = 300
_MAX_TICKET = 4096


@dataclass(frozen=True)
class JoinAnswer:
    """What the site gives the applet for one join."""

    ticket: str
    """The first customer ticket for the gateway (a secret)."""
    certificate: bytes
    """The site's key certificate over the applet's new X25519 key."""
    participant: str
    """The applet's participant id in this join (``customer-<n>``)."""
    gateways: tuple[str, ...]
    """Gateways to try, in order."""


class SiteApi(Protocol):
    """What the applet needs of the site; the real one is ``AppletSite``."""

    async def join(self, public_key: bytes, hostname: str, os: str) -> JoinAnswer:
        """Present a new key; get a ticket and a certificate."""
        ...

    async def ticket(self) -> str:
        """A fresh ticket, after a transport drop."""
        ...

    async def leave(self, reason: str) -> None:
        """The customer ended the session."""
        ...


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer like any other: refused below


class AppletSite:
    """The site's applet API over HTTPS, as the session file describes it."""

    def __init__(
        self, session: SessionFile, ssl_context: ssl.SSLContext, timeout: float = 20
    ) -> None:
        self._session = session
        self._timeout = timeout
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=ssl_context), _NoRedirects()
        )

    async def join(self, public_key: bytes, hostname: str, os: str) -> JoinAnswer:
        body = {
            "public_key": base64.b64encode(public_key).decode("ascii"),
            "hostname": hostname,
            "os": os,
        }
        answer = await self._post("join", body)
        return _join_answer(answer, self._session.gateways)

    async def ticket(self) -> str:
        return _ticket(await self._post("ticket", {}))

    async def leave(self, reason: str) -> None:
        await self._post("leave", {"reason": reason})

    async def _post(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        return await asyncio.to_thread(self._post_now, action, body)

    def _post_now(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self._session.site}/api/v1/applet/{action}"
        request = urllib.request.Request(  # noqa: S310  (https only: session file)
            url,
            data=json.dumps(body).encode("utf-8"),
            method="POST",
            headers={
                "Authorization": f"Bearer {self._session.credential}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": f"lifebuoy-applet/{__version__}",
            },
        )
        logger.debug("POST %s", url)
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                return _json(response.read(_MAX_ANSWER + 1), url)
        except urllib.error.HTTPError as exc:
            raise _refusal(exc, url) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SiteError(
                f"The support site at {self._session.site} cannot be reached "
                f"({shown(str(reason))[:_MAX_ERROR_CHARS]})."
            ) from exc


def _refusal(exc: urllib.error.HTTPError, url: str) -> SiteError:
    """The site's ``{"error": "..."}`` as a SiteError, or a generic one."""
    status = exc.code
    message = f"The support site refused the request (HTTP {status})."
    try:
        answer = json.loads(exc.read(64 << 10))
    except (ValueError, OSError, RecursionError):
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get("error"), str):
        message = shown(answer["error"], single_line=True)[:_MAX_ERROR_CHARS]
    logger.info("%s answered HTTP %d", url, status)
    return SiteError(message, status=status)


def _json(raw: bytes, url: str) -> dict[str, Any]:
    unusable = SiteError(
        f"The support site sent an answer that is not understood ({url})."
    )
    if len(raw) > _MAX_ANSWER:
        raise unusable
    try:
        answer = json.loads(raw)
    except (ValueError, RecursionError):
        raise unusable from None
    if not isinstance(answer, dict):
        raise unusable
    return answer


def _ticket(answer: dict[str, Any]) -> str:
    ticket = answer.get("ticket")
    if not isinstance(ticket, str) or not 0 < len(ticket) <= _MAX_TICKET:
        raise SiteError("The support site sent no usable ticket.")
    return ticket


def _join_answer(answer: dict[str, Any], fallback: tuple[str, ...]) -> JoinAnswer:
    certificate = answer.get("certificate")
    participant = answer.get("participant")
    if not isinstance(certificate, str) or len(certificate) > _MAX_TICKET:
        raise SiteError("The support site sent no usable key certificate.")
    try:
        raw = base64.b64decode(certificate, validate=True)
    except (binascii.Error, ValueError):
        raise SiteError("The support site sent no usable key certificate.") from None
    if not isinstance(participant, str) or not 0 < len(participant) <= 255:
        raise SiteError("The support site sent no usable participant id.")

    gateways = fallback
    if "gateways" in answer:
        try:
            gateways = check_gateways(answer["gateways"])
        except SessionFileError:
            raise SiteError(
                "The support site sent unusable gateway addresses."
            ) from None
    return JoinAnswer(_ticket(answer), raw, participant, gateways)
