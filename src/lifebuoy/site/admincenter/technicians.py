"""Technician pages: list, create, edit, enable, disable, reset password."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lifebuoy.site.accounts.models import Role, User
from lifebuoy.site.bootstrap.organizations import one_time_password

from . import _account_actions
from ._access import (
    acting_user,
    administrators_only,
    audit,
    query_id,
    technician_or_404,
    technicians_for,
)
from .forms import TechnicianForm

_DUPLICATE = "An account with this email already exists."


@require_GET
@administrators_only
def technician_list(request: HttpRequest) -> HttpResponse:
    technicians = technicians_for(acting_user(request)).order_by("name", "pk")
    page = Paginator(technicians, 50).get_page(request.GET.get("page"))
    context = {"page": page, "section": "technicians"}
    return render(request, "admincenter/technician_list.html", context)


@require_http_methods(["GET", "POST"])
@administrators_only
def technician_create(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if request.method == "GET":
        initial = {"group": query_id(request, "group")}
        return _form_page(request, TechnicianForm(user, initial=initial), None)

    form = TechnicianForm(user, request.POST)
    if not form.is_valid():
        return _form_page(request, form, None, status=400)
    data, password = form.cleaned_data, one_time_password()
    try:
        with transaction.atomic():
            technician = User.objects.create_user(
                data["email"],
                password,
                organization_id=user.organization_id,
                name=data["name"],
                role=Role.TECHNICIAN,
                group=data["group"],
                must_change_password=True,
            )
            detail = {"name": technician.name, "group": data["group"].name}
            audit(request, "technician.create", technician.email, detail)
    except IntegrityError:
        form.add_error("email", _DUPLICATE)
        return _form_page(request, form, None, status=400)

    back = reverse("admincenter:technician", args=[technician.pk])
    return _account_actions.one_time_password_page(
        request, technician, password, back, created=True
    )


@require_http_methods(["GET", "POST"])
@administrators_only
def technician_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    user = acting_user(request)
    technician = technician_or_404(user, user_id)
    if request.method == "GET":
        initial = {
            "name": technician.name,
            "email": technician.email,
            "group": technician.group_id,
        }
        form = TechnicianForm(user, initial=initial, instance=technician)
        return _form_page(request, form, technician)

    form = TechnicianForm(user, request.POST, instance=technician)
    if not form.is_valid():
        return _form_page(request, form, technician, status=400)
    changes = _apply(technician, form.cleaned_data)
    if changes:
        try:
            with transaction.atomic():
                technician.save(update_fields=["name", "email", "group"])
                audit(request, "technician.update", technician.email, changes)
        except IntegrityError:
            form.add_error("email", _DUPLICATE)
            return _form_page(request, form, technician, status=400)

    messages.success(request, f"{technician.name} is saved.")
    return redirect("admincenter:technician", user_id=technician.pk)


@require_POST
@administrators_only
def technician_set_enabled(request: HttpRequest, user_id: int) -> HttpResponse:
    technician = technician_or_404(acting_user(request), user_id)
    back = reverse("admincenter:technician", args=[technician.pk])
    return _account_actions.set_enabled(request, technician, back)


@require_POST
@administrators_only
def technician_reset_password(request: HttpRequest, user_id: int) -> HttpResponse:
    technician = technician_or_404(acting_user(request), user_id)
    back = reverse("admincenter:technician", args=[technician.pk])
    return _account_actions.reset_password(request, technician, back)


def _apply(technician: User, data: dict[str, Any]) -> dict[str, Any]:
    """Copy the form onto the account; return what changed as [before, after]."""
    changed: dict[str, list[Any]] = {}
    for field in ("name", "email"):
        if getattr(technician, field) != data[field]:
            changed[field] = [getattr(technician, field), data[field]]
            setattr(technician, field, data[field])

    group = data["group"]
    if technician.group_id != group.pk:
        before = technician.group.name if technician.group else None
        changed["group"] = [before, group.name]
        technician.group = group
    return {"changed": changed} if changed else {}


def _form_page(
    request: HttpRequest,
    form: TechnicianForm,
    technician: User | None,
    status: int = 200,
) -> HttpResponse:
    context = {"form": form, "technician": technician, "section": "technicians"}
    return render(request, "admincenter/technician_form.html", context, status=status)
