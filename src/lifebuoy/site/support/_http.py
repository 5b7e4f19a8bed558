"""Turning requests into arguments and errors into JSON answers."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.utils import check_csrf

from lifebuoy.site.security.net import client_ip

from .errors import BadInput, Forbidden, NotAuthenticated, SupportError, TooMany
from .queues import technician_only
from .technician import Actor

__all__ = ["answers_json", "json_body", "technician"]

logger = logging.getLogger(__name__)

Handler = Callable[..., HttpResponse | dict[str, Any]]


def error_response(exc: SupportError) -> JsonResponse:
    response = JsonResponse({"error": exc.message}, status=exc.status)
    if isinstance(exc, TooMany):
        response["Retry-After"] = str(exc.wait_s)
    return response


def answers_json(handler: Handler) -> Callable[..., HttpResponse]:
    """Run the handler; a dict becomes a 200 JSON answer, a SupportError its
    ``{"error": ...}`` answer."""

    @functools.wraps(handler)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            result = handler(request, *args, **kwargs)
        except SupportError as exc:
            logger.debug("refused %s: %s", request.path, exc.message)
            return error_response(exc)
        if isinstance(result, HttpResponse):
            return result
        return JsonResponse(result)

    return wrapper


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The body as a JSON object; an empty body is ``{}``."""
    if not request.body:
        return {}
    try:
        body = json.loads(request.body)
    except (ValueError, RecursionError):
        raise BadInput("The body is not JSON.") from None
    if not isinstance(body, dict):
        raise BadInput("The body must be a JSON object.")
    return body


def technician(request: HttpRequest) -> Actor:
    """The logged-in technician; CSRF is checked on every change."""
    user = request.user
    if not user.is_authenticated:
        raise NotAuthenticated("Log in first.")
    if request.method not in ("GET", "HEAD", "OPTIONS") and check_csrf(request):
        raise Forbidden("The CSRF token is missing or wrong: send it as X-CSRFToken.")
    return Actor(technician_only(user), client_ip(request))
