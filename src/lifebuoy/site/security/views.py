"""Error answers: a short page for people, JSON for the API, never a trace."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

_MESSAGES = {
    400: "The request could not be understood.",
    403: "You are not allowed to do that.",
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
    413: "The request is too large.",
    500: "Something went wrong on our side. It has been logged.",
}


def error_response(request: HttpRequest, status: int, detail: str = "") -> HttpResponse:
    message = detail or _MESSAGES.get(status, "The request failed.")
    if request.path.startswith("/api/"):
        return JsonResponse({"error": message}, status=status)
    context = {"status": status, "message": message}
    return render(request, "errors/error.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception, **_: Any) -> HttpResponse:
    return error_response(request, 400)


def permission_denied(
    request: HttpRequest, exception: Exception, **_: Any
) -> HttpResponse:
    return error_response(request, 403)


def not_found(request: HttpRequest, exception: Exception, **_: Any) -> HttpResponse:
    return error_response(request, 404)


def server_error(request: HttpRequest, **_: Any) -> HttpResponse:
    return error_response(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_response(
        request,
        403,
        "The form expired or came from another site. Reload the page and try again.",
    )
