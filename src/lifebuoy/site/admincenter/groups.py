"""Technician group pages: view, create, edit, enable and disable."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lifebuoy.site.accounts.models import Role, TechnicianGroup
from lifebuoy.site.security.views import error_response

from ._access import (
    acting_user,
    administrators_only,
    audit,
    enabled_flag,
    group_or_404,
    manageable_groups,
    query_id,
)
from .channel_links import channel_links_of
from .forms import SCREEN_DEFAULTS, SCREEN_PERMISSIONS, GroupForm
from .tree import with_technician_counts

_DUPLICATE = "A group with this name already exists here."


@require_GET
@administrators_only
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    user = acting_user(request)
    group = group_or_404(user, group_id)
    visible = manageable_groups(user)
    visible_ids = {g.pk for g in visible}

    context = {
        "group": group,
        "section": "overview",
        "ancestors": [g for g in reversed(group.ancestors()) if g.pk in visible_ids],
        "subgroups": with_technician_counts(visible.filter(parent=group)),
        "technicians": group.technicians.filter(role=Role.TECHNICIAN),
        "administrators": group.administrators.filter(role=Role.ADMIN),
        "channel_links": channel_links_of(group),
    }
    return render(request, "admincenter/group_detail.html", context)


@require_http_methods(["GET", "POST"])
@administrators_only
def group_create(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if request.method == "GET":
        initial = {"parent": query_id(request, "parent"), **SCREEN_DEFAULTS}
        return _form_page(request, GroupForm(user, initial=initial), None)

    form = GroupForm(user, request.POST)
    if not form.is_valid():
        return _form_page(request, form, None, status=400)
    data = form.cleaned_data
    parent: TechnicianGroup | None = data["parent"]
    try:
        with transaction.atomic():
            group = TechnicianGroup.objects.create(
                organization_id=user.organization_id,
                parent=parent,
                name=data["name"],
                description=data["description"],
                **{field: data[field] for field in SCREEN_PERMISSIONS},
            )
            detail = {
                "group_id": group.pk,
                "parent": parent.name if parent else None,
                **{field: data[field] for field in SCREEN_PERMISSIONS},
            }
            audit(request, "group.create", group.name, detail)
    except IntegrityError:
        form.add_error("name", _DUPLICATE)
        return _form_page(request, form, None, status=400)

    messages.success(request, f"The group {group.name} is created.")
    return redirect("admincenter:group", group_id=group.pk)


@require_http_methods(["GET", "POST"])
@administrators_only
def group_edit(request: HttpRequest, group_id: int) -> HttpResponse:
    user = acting_user(request)
    group = group_or_404(user, group_id)
    if request.method == "GET":
        initial = {
            "name": group.name,
            "description": group.description,
            "parent": group.parent_id,
            **{field: getattr(group, field) for field in SCREEN_PERMISSIONS},
        }
        return _form_page(
            request, GroupForm(user, initial=initial, instance=group), group
        )

    form = GroupForm(user, request.POST, instance=group)
    if not form.is_valid():
        return _form_page(request, form, group, status=400)
    changes = _apply(group, form.cleaned_data)
    if changes:
        try:
            with transaction.atomic():
                fields = ["name", "description", "parent", *SCREEN_PERMISSIONS]
                group.save(update_fields=fields)
                detail = {"group_id": group.pk, "changed": changes}
                audit(request, "group.update", group.name, detail)
        except IntegrityError:
            form.add_error("name", _DUPLICATE)
            return _form_page(request, form, group, status=400)

    messages.success(request, f"The group {group.name} is saved.")
    return redirect("admincenter:group", group_id=group.pk)


@require_POST
@administrators_only
def group_set_enabled(request: HttpRequest, group_id: int) -> HttpResponse:
    group = group_or_404(acting_user(request), group_id)
    enabled = enabled_flag(request)
    if enabled is None:
        return error_response(request, 400, "Say whether to enable or disable.")

    if group.enabled != enabled:
        with transaction.atomic():
            group.enabled = enabled
            group.save(update_fields=["enabled"])
            action = "group.enable" if enabled else "group.disable"
            audit(request, action, group.name, {"group_id": group.pk})
    state = "enabled" if enabled else "disabled"
    messages.success(request, f"The group {group.name} is {state}.")
    return redirect("admincenter:group", group_id=group.pk)


def _apply(group: TechnicianGroup, data: dict[str, Any]) -> dict[str, list[Any]]:
    """Copy the form onto the group; return what changed as [before, after]."""
    changes: dict[str, list[Any]] = {}
    for field in ("name", "description", *SCREEN_PERMISSIONS):
        if getattr(group, field) != data[field]:
            changes[field] = [getattr(group, field), data[field]]
            setattr(group, field, data[field])

    parent: TechnicianGroup | None = data["parent"]
    if group.parent_id != (parent.pk if parent else None):
        before = group.parent.name if group.parent else None
        changes["parent"] = [before, parent.name if parent else None]
        group.parent = parent
    return changes


def _form_page(
    request: HttpRequest,
    form: GroupForm,
    group: TechnicianGroup | None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "group": group,
        "section": "overview",
        "screen_fields": [form[field] for field in SCREEN_PERMISSIONS],
    }
    return render(request, "admincenter/group_form.html", context, status=status)
