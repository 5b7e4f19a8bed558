"""Security middleware of the site.

Django 5.2 has no Content-Security-Policy support of its own (it arrives in
Django 6), so the header and its per-request nonce are set here; the other
headers come from Django's SecurityMiddleware and are enforced on every
response, errors and static files included, by being outermost.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from lifebuoy.site.audit.chain import record

from .net import client_ip
from .views import error_response

_SECURITY = settings.LIFEBUOY.security

_CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self' 'nonce-{nonce}'; img-src 'self' data: blob:; "
    "connect-src 'self' {gateways}; media-src 'self' blob:; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'; upgrade-insecure-requests"
)
_GATEWAYS = " ".join(settings.LIFEBUOY.gateway_urls)


def _set_headers(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    nonce = getattr(request, "csp_nonce", "")
    response.headers["Content-Security-Policy"] = _CSP.format(
        nonce=nonce, gateways=_GATEWAYS
    )
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    response.headers.setdefault(
        "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
    )
    response.headers.setdefault(
        "Strict-Transport-Security",
        f"max-age={settings.SECURE_HSTS_SECONDS}; includeSubDomains",
    )
    if "Cache-Control" not in response.headers and not request.path.startswith(
        settings.STATIC_URL
    ):
        response.headers["Cache-Control"] = "no-store"
    return response


def _is_bare_405(response: HttpResponse) -> bool:
    # Django's method decorators answer 405 with an empty body.
    return (
        response.status_code == 405 and not response.streaming and not response.content
    )


def _explain_405(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    explained = error_response(request, 405)
    explained["Allow"] = response.get("Allow", "")
    return explained


class SecurityHeadersMiddleware:
    """CSP with a fresh nonce, HSTS, nosniff, Referrer-Policy on every response."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        request.csp_nonce = secrets.token_urlsafe(18)  # type: ignore[attr-defined]
        if self.is_async:
            return self._acall(request)
        response = self.get_response(request)
        if _is_bare_405(response):
            response = _explain_405(request, response)
        return _set_headers(request, response)

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        response = await self.get_response(request)
        if _is_bare_405(response):
            # The error page reads request.user, a database query.
            response = await sync_to_async(_explain_405)(request, response)
        return _set_headers(request, response)


class RequestLimitsMiddleware:
    """Refuse oversized bodies before anything reads them (413, not 500)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        # RFC 9110 8.6: digits only; int() would also take "-1", "+5", " 12 ".
        if not (raw.isascii() and raw.isdigit()):
            return JsonResponse(
                {"error": "Content-Length is not a number."}, status=400
            )
        length = int(raw)
        if length > _SECURITY.max_request_body_bytes:
            limit = _SECURITY.max_request_body_bytes
            return JsonResponse(
                {"error": f"The request body is larger than {limit} bytes."}, status=413
            )
        return None

    def __call__(self, request: HttpRequest) -> Any:
        refusal = self._refusal(request)
        if self.is_async:
            return self._acall(request, refusal)
        return refusal or self.get_response(request)

    async def _acall(self, request: HttpRequest, refusal: HttpResponse | None) -> Any:
        if refusal is not None:
            return refusal
        return await self.get_response(request)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class WebSessionLifetimeMiddleware:
    """Inactivity logoff, absolute session lifetime, forced password change."""

    _EXEMPT = ("/accounts/logout/", "/accounts/password/", "/static/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)

        now = int(time.time())
        session = request.session
        last_seen = int(session.get("lb_last_seen", 0))
        auth_at = int(session.get("lb_auth_at", 0))
        idle_limit = user.organization.inactivity_timeout_s
        if now - last_seen > idle_limit:
            return self._end(request, "inactive")
        if now - auth_at > _SECURITY.session_max_age_s:
            return self._end(request, "expired")
        if now - last_seen >= 15:
            session["lb_last_seen"] = now

        if getattr(user, "must_change_password", False) and not request.path.startswith(
            self._EXEMPT
        ):
            return HttpResponseRedirect(reverse("accounts:password"))
        return self.get_response(request)

    def _end(self, request: HttpRequest, reason: str) -> HttpResponse:
        user = request.user
        record(
            "logout",
            organization_id=getattr(user, "organization_id", None),
            actor_id=user.pk,
            actor=getattr(user, "email", ""),
            ip=client_ip(request),
            detail={"reason": reason},
        )
        logout(request)
        if _wants_json(request):
            return JsonResponse(
                {"error": f"Your session has ended ({reason})."}, status=401
            )
        return HttpResponseRedirect(f"{reverse('accounts:login')}?reason={reason}")
