"""Login, logout and password change pages."""

from __future__ import annotations

import time

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth import alogin, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from lifebuoy.site.audit.chain import record
from lifebuoy.site.security.net import client_ip

from . import sessions
from .forms import LoginForm, PasswordChangeForm
from .login import Outcome, attempt_login
from .models import User

# Templates may touch request.user (a database read), so async views render
# through a thread.
_arender = sync_to_async(render)

_ANSWERS = {
    Outcome.INVALID: (401, "The email or password is not right."),
    Outcome.LOCKED: (
        403,
        "Too many failed attempts for this login ID: it is locked for a while. "
        "Try again later, or ask your administrator.",
    ),
    Outcome.THROTTLED: (
        429,
        "Too many failed logins from your address. Wait a few minutes.",
    ),
    Outcome.BUSY: (
        429,
        "The site is busy logging others in. Try again in a few seconds.",
    ),
}


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path of this site: a relative target (or undecodable bytes, which
    # arrive as U+FFFD) would land somewhere under the login page.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=True
    ):
        return target
    return reverse("home")


@require_http_methods(["GET", "POST"])
async def login_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        form = LoginForm()
        reason = request.GET.get("reason")
        return await _arender(
            request, "accounts/login.html", {"form": form, "reason": reason}
        )

    form = LoginForm(request.POST)
    if not form.is_valid():
        return await _arender(
            request, "accounts/login.html", {"form": form}, status=400
        )

    result = await attempt_login(
        form.cleaned_data["login_id"], form.cleaned_data["password"], client_ip(request)
    )
    if result.outcome is not Outcome.OK or result.user is None:
        status, message = _ANSWERS[result.outcome]
        response = await _arender(
            request,
            "accounts/login.html",
            {"form": form, "error": message},
            status=status,
        )
        if status == 429:
            response["Retry-After"] = "10"
        return response

    user = result.user
    await alogin(request, user)
    now = int(time.time())
    request.session["lb_auth_at"] = now
    request.session["lb_last_seen"] = now
    await request.session.asave()
    await sync_to_async(sessions.remember)(user, request.session.session_key)
    if user.must_change_password:
        return redirect("accounts:password")
    return HttpResponseRedirect(_next_url(request))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if isinstance(user, User):
        sessions.forget(request.session.session_key)
        record(
            "logout",
            organization_id=user.organization_id,
            actor_id=user.pk,
            actor=user.email,
            ip=client_ip(request),
        )
    logout(request)
    return redirect(f"{reverse('accounts:login')}?reason=logged-out")


@login_required
@require_http_methods(["GET", "POST"])
def password_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user.set_password(form.cleaned_data["new_password"])
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        update_session_auth_hash(request, user)
        record(
            "password.change",
            organization_id=user.organization_id,
            actor_id=user.pk,
            actor=user.email,
            target=user.email,
            ip=client_ip(request),
        )
        messages.success(request, "Your password is changed.")
        return redirect("home")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/password.html", {"form": form}, status=status)


@login_required
def home_view(request: HttpRequest) -> HttpResponse:
    """Send each role to its own landing page."""
    user = request.user
    assert isinstance(user, User)
    if user.is_administrator:
        return redirect("admincenter:index")
    return redirect("console:index")
