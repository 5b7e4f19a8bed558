"""Administrator pages, for master administrators only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lifebuoy.site.accounts.models import Role, User
from lifebuoy.site.bootstrap.organizations import one_time_password

from . import _account_actions
from ._access import acting_user, administrator_or_404, audit, master_admins_only
from .forms import AdministratorForm

_DUPLICATE = "An account with this email already exists."


@require_GET
@master_admins_only
def administrator_list(request: HttpRequest) -> HttpResponse:
    administrators = (
        User.objects.filter(
            organization_id=acting_user(request).organization_id,
            role__in=(Role.MASTER_ADMIN, Role.ADMIN),
        )
        .prefetch_related("managed_groups")
        .order_by("name", "pk")
    )
    context = {"administrators": administrators, "section": "administrators"}
    return render(request, "admincenter/administrator_list.html", context)


@require_http_methods(["GET", "POST"])
@master_admins_only
def administrator_create(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if request.method == "GET":
        return _form_page(request, AdministratorForm(user), None)

    form = AdministratorForm(user, request.POST)
    if not form.is_valid():
        return _form_page(request, form, None, status=400)
    data, password = form.cleaned_data, one_time_password()
    try:
        with transaction.atomic():
            administrator = User.objects.create_user(
                data["email"],
                password,
                organization_id=user.organization_id,
                name=data["name"],
                role=Role.ADMIN,
                must_change_password=True,
            )
            administrator.managed_groups.set(data["managed_groups"])
            detail = {
                "name": administrator.name,
                "managed_groups": sorted(g.name for g in data["managed_groups"]),
            }
            audit(request, "admin.create", administrator.email, detail)
    except IntegrityError:
        form.add_error("email", _DUPLICATE)
        return _form_page(request, form, None, status=400)

    back = reverse("admincenter:administrator", args=[administrator.pk])
    return _account_actions.one_time_password_page(
        request, administrator, password, back, created=True
    )


@require_http_methods(["GET", "POST"])
@master_admins_only
def administrator_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    user = acting_user(request)
    administrator = administrator_or_404(user, user_id)
    if request.method == "GET":
        initial = {
            "name": administrator.name,
            "email": administrator.email,
            "managed_groups": [g.pk for g in administrator.managed_groups.all()],
        }
        form = AdministratorForm(user, initial=initial, instance=administrator)
        return _form_page(request, form, administrator)

    form = AdministratorForm(user, request.POST, instance=administrator)
    if not form.is_valid():
        return _form_page(request, form, administrator, status=400)
    try:
        with transaction.atomic():
            changes = _apply(administrator, form.cleaned_data)
            if changes:
                administrator.save(update_fields=["name", "email"])
                audit(request, "admin.update", administrator.email, changes)
    except IntegrityError:
        form.add_error("email", _DUPLICATE)
        return _form_page(request, form, administrator, status=400)

    messages.success(request, f"{administrator.name} is saved.")
    return redirect("admincenter:administrator", user_id=administrator.pk)


@require_POST
@master_admins_only
def administrator_set_enabled(request: HttpRequest, user_id: int) -> HttpResponse:
    administrator = administrator_or_404(acting_user(request), user_id)
    back = reverse("admincenter:administrator", args=[administrator.pk])
    return _account_actions.set_enabled(request, administrator, back)


@require_POST
@master_admins_only
def administrator_reset_password(request: HttpRequest, user_id: int) -> HttpResponse:
    administrator = administrator_or_404(acting_user(request), user_id)
    back = reverse("admincenter:administrator", args=[administrator.pk])
    return _account_actions.reset_password(request, administrator, back)


def _apply(administrator: User, data: dict[str, Any]) -> dict[str, Any]:
    """Copy the form onto the account (groups are saved at once); return what
    changed as [before, after]."""
    changed: dict[str, list[Any]] = {}
    for field in ("name", "email"):
        if getattr(administrator, field) != data[field]:
            changed[field] = [getattr(administrator, field), data[field]]
            setattr(administrator, field, data[field])

    if "managed_groups" in data:
        before = set(administrator.managed_groups.all())
        after = set(data["managed_groups"])
        if before != after:
            names = [sorted(g.name for g in before), sorted(g.name for g in after)]
            changed["managed_groups"] = names
            administrator.managed_groups.set(after)
    return {"changed": changed} if changed else {}


def _form_page(
    request: HttpRequest,
    form: AdministratorForm,
    administrator: User | None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "administrator": administrator,
        "section": "administrators",
    }
    return render(
        request, "admincenter/administrator_form.html", context, status=status
    )
