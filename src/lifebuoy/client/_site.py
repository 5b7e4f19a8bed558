"""The site as a technician uses it: login, PINs, queue, session actions.

Login is the web form, as a browser does it: the CSRF token comes from the
login form's hidden input (the CSRF cookie is HttpOnly), and after login from
the console page (``<meta name="csrf-token">`` or a form's hidden input);
API calls send it as ``X-CSRFToken`` with the site's own ``Origin``. Every
``httpx`` error is translated here, into ``SiteUnreachable``.
"""

from __future__ import annotations

import logging
import re
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ..protocol.aio import ReconnectPolicy
from ..tls import pinned_context
from ._errors import LoginFailed, SiteRefused, SiteUnreachable

if TYPE_CHECKING:
    from ._session import TechnicianSession

__all__ = ["Pin", "SiteClient"]

logger = logging.getLogger(__name__)

_HIDDEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_PAGE_ERROR = re.compile(r'<p class="error"[^>]*>([^<]+)</p>')
_LOGIN = "/accounts/login/"
_PASSWORD_PAGE = "/accounts/password/"  # noqa: S105  (a page, not a secret)


@dataclass(frozen=True)
class Pin:
    """A PIN for a new session in the technician's private queue."""

    pin: str
    """Six digits to read to the customer."""
    session_id: str
    """The new session's public id."""
    expires_at: str
    """When the PIN stops working (ISO 8601)."""


class SiteClient:
    """One technician's web session with a site."""

    def __init__(
        self,
        url: str,
        *,
        verify: str | Path | ssl.SSLContext | bool = True,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        """The site's https URL."""
        self.ssl_context = _ssl_context(verify)
        """TLS settings, for the site and its gateways."""
        self._http = httpx.AsyncClient(
            base_url=self.url,
            verify=self.ssl_context,
            timeout=timeout,
            follow_redirects=False,
            transport=transport,
        )
        self._csrf: str | None = None
        self.email: str | None = None
        """Who is logged in."""

    async def __aenter__(self) -> SiteClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- logging in ------------------------------------------------------------

    async def login(
        self, email: str, password: str, *, new_password: str | None = None
    ) -> None:
        """Log in; with ``new_password``, change a one-time password when the site
        asks for it (the first login of a new account). Raises ``LoginFailed``."""
        token = await self._form_token(_LOGIN)
        answer = await self._submit(
            _LOGIN,
            {"login_id": email, "password": password, "csrfmiddlewaretoken": token},
        )
        if answer.status_code != 302:
            raise LoginFailed(_page_error(answer, "The site did not log you in."))
        self.email = email
        if answer.headers.get("location", "").startswith(_PASSWORD_PAGE):
            if new_password is None:
                raise LoginFailed(
                    "The site asks for a new password first: pass new_password."
                )
            await self.change_password(password, new_password)
        self._csrf = await self._page_token("/console/")
        logger.info("logged in to %s as %s", self.url, email)

    async def change_password(self, current: str, new: str) -> None:
        """Change the logged-in account's password."""
        token = await self._form_token(_PASSWORD_PAGE)
        answer = await self._submit(
            _PASSWORD_PAGE,
            {
                "current_password": current,
                "new_password": new,
                "repeat_password": new,
                "csrfmiddlewaretoken": token,
            },
        )
        if answer.status_code != 302:
            raise LoginFailed(_page_error(answer, "The password was not changed."))

    # -- the API -------------------------------------------------------------------

    async def create_pin(self) -> Pin:
        """A PIN for a new session in this technician's private queue."""
        answer = await self.post("/api/v1/pins", {})
        return Pin(answer["pin"], answer["session_id"], answer["expires_at"])

    async def pickup(
        self,
        session_id: str,
        *,
        name: str = "Technician",
        reconnect: ReconnectPolicy | None = None,
        timeout: float = 60.0,
    ) -> TechnicianSession:
        """Pick up a waiting session, connect to the customer and say ``hello``
        as ``name``; returns once the channel is open (at most ``timeout`` s)."""
        from ._session import TechnicianSession

        return await TechnicianSession.pick_up(
            self, session_id, name, reconnect=reconnect, timeout=timeout
        )

    async def queue(self) -> list[dict[str, Any]]:
        """Sessions in this technician's queues (``Session`` objects)."""
        sessions: list[dict[str, Any]] = (await self.get("/api/v1/queue"))["sessions"]
        return sessions

    async def session_log(self, session_id: str) -> list[dict[str, Any]]:
        """A session's log events, as the site stored them."""
        answer = await self.get(f"/api/v1/sessions/{session_id}/log")
        events: list[dict[str, Any]] = answer["events"]
        return events

    async def get(self, path: str) -> dict[str, Any]:
        """GET an API path; the JSON answer, or ``SiteRefused``."""
        return _json(await self._send("GET", path))

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST JSON to an API path with the CSRF token."""
        if self._csrf is None:
            raise LoginFailed("Log in first.")
        headers = {"X-CSRFToken": self._csrf, "Origin": self.url}
        return _json(await self._send("POST", path, json=body, headers=headers))

    # -- plumbing ----------------------------------------------------------------

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise SiteUnreachable(f"{method} {path}: {exc!r}") from exc

    async def _submit(self, path: str, form: dict[str, str]) -> httpx.Response:
        headers = {"Origin": self.url, "Referer": f"{self.url}{path}"}
        return await self._send("POST", path, data=form, headers=headers)

    async def _form_token(self, path: str) -> str:
        return await self._page_token(path)

    async def _page_token(self, path: str) -> str:
        page = await self._send("GET", path)
        match = _META.search(page.text) or _HIDDEN.search(page.text)
        if page.status_code != 200 or match is None:
            raise LoginFailed(f"{path} answered {page.status_code} without a form")
        return match[1]


def _ssl_context(verify: str | Path | ssl.SSLContext | bool) -> ssl.SSLContext:
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is True:
        return ssl.create_default_context()
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return pinned_context(cafile=verify)


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        body = None
    if answer.status_code >= 400 or not isinstance(body, dict):
        message = f"HTTP {answer.status_code}"
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            message = body["error"]
        raise SiteRefused(message, answer.status_code)
    return body


def _page_error(answer: httpx.Response, default: str) -> str:
    match = _PAGE_ERROR.search(answer.text)
    return match[1].strip() if match else f"{default} (HTTP {answer.status_code})"
