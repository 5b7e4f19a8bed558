"""Enable, disable and reset the password of an account: shared by the
technician and administrator pages, carried out by ``accounts.admin_actions``
(which ends the account's web sessions and records the change)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from lifebuoy.site.accounts import admin_actions
from lifebuoy.site.accounts.models import User
from lifebuoy.site.security.net import client_ip
from lifebuoy.site.security.views import error_response

from ._access import acting_user, enabled_flag


def set_enabled(request: HttpRequest, account: User, back: str) -> HttpResponse:
    actor = acting_user(request)
    enabled = enabled_flag(request)
    if enabled is None:
        return error_response(request, 400, "Say whether to enable or disable.")
    if account.pk == actor.pk:
        return error_response(request, 400, "You cannot disable your own account.")

    if account.is_active != enabled:
        admin_actions.set_enabled(account, enabled, actor=actor, ip=client_ip(request))
    if enabled:
        messages.success(request, f"{account.name} is enabled.")
    else:
        messages.success(request, f"{account.name} is disabled and logged out.")
    return redirect(back)


def reset_password(request: HttpRequest, account: User, back: str) -> HttpResponse:
    actor = acting_user(request)
    if account.pk == actor.pk:
        return error_response(
            request, 400, "Change your own password on the Password page."
        )
    password = admin_actions.reset_password(
        account.email, actor=actor.email, actor_id=actor.pk, ip=client_ip(request)
    )
    if password is None:
        return error_response(request, 404)
    return one_time_password_page(request, account, password, back, created=False)


def one_time_password_page(
    request: HttpRequest, account: User, password: str, back: str, *, created: bool
) -> HttpResponse:
    """The only place a one-time password is ever shown.

    It is rendered straight into the POST answer and kept nowhere (the page
    is ``no-store``), so leaving or reloading the page cannot show it again.
    """
    context = {
        "account": account,
        "one_time_password": password,
        "created": created,
        "back": back,
        "section": "technicians" if account.is_technician else "administrators",
    }
    return render(request, "admincenter/one_time_password.html", context)
