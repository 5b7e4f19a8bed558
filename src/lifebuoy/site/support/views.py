"""The customer's pages: enter a PIN or open a channel link, then download
the session file. Public: no login."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from lifebuoy.site.security.net import client_ip
from lifebuoy.site.security.views import error_response

from .entry import channel_link, enter_by_channel
from .errors import NotFound, SupportError, TooMany
from .forms import CustomerForm, PinForm
from .limits import limits
from .pins import check_pin_format, redeem_pin
from .session_file import session_file_response

_KEY = "lb_support"


def _refusal(exc: SupportError) -> str:
    if isinstance(exc, TooMany):
        minutes = exc.wait_minutes
        unit = "minute" if minutes == 1 else "minutes"
        return f"{exc.message} Please wait {minutes} {unit} and try again."
    return exc.message


def _remember(
    request: HttpRequest, session_id: str, credential: str, label: str
) -> None:
    request.session.cycle_key()
    request.session[_KEY] = {"id": session_id, "credential": credential, "label": label}


@require_http_methods(["GET", "POST"])
def enter_pin(request: HttpRequest) -> HttpResponse:
    form = PinForm(request.POST if request.method == "POST" else None)
    if request.method == "GET" or not form.is_valid():
        status = 400 if request.method == "POST" else 200
        return _page(request, "support/enter.html", form, status)

    data = form.cleaned_data
    try:
        digits = check_pin_format(data["pin"])
        session, credential = redeem_pin(
            digits, client_ip(request), data["name"], data["problem"]
        )
    except SupportError as exc:
        form.add_error("pin", _refusal(exc))
        return _page(request, "support/enter.html", form, exc.status)
    _remember(request, session.public_id, credential, digits)
    return redirect("support:ready")


@require_http_methods(["GET", "POST"])
def enter_channel(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = channel_link(token)
    except NotFound as exc:
        return error_response(request, 404, exc.message)
    form = CustomerForm(request.POST if request.method == "POST" else None)
    extra = {"group_name": link.group.name}
    if request.method == "GET" or not form.is_valid():
        status = 400 if request.method == "POST" else 200
        return _page(request, "support/channel.html", form, status, extra)

    data = form.cleaned_data
    try:
        session, credential = enter_by_channel(
            token, client_ip(request), data["name"], data["problem"]
        )
    except SupportError as exc:
        form.add_error(None, _refusal(exc))
        return _page(request, "support/channel.html", form, exc.status, extra)
    _remember(request, session.public_id, credential, "channel")
    return redirect("support:ready")


def _page(
    request: HttpRequest,
    template: str,
    form: Any,
    status: int,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    minutes = limits().pin_lifetime_s // 60
    context = {"form": form, "pin_minutes": minutes, **(extra or {})}
    return render(request, template, context, status=status)


@require_GET
def ready(request: HttpRequest) -> HttpResponse:
    entry = request.session.get(_KEY)
    if not entry:
        return redirect("support:enter")
    context = {"label": entry["label"], "minutes": limits().credential_lifetime_s // 60}
    return render(request, "support/ready.html", context)


@require_GET
def download(request: HttpRequest) -> HttpResponse:
    entry = request.session.get(_KEY)
    if not entry:
        return redirect("support:enter")
    return session_file_response(entry["id"], entry["credential"], entry["label"])
