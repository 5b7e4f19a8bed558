"""The Administration Center's first page: the group tree."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ._access import acting_user, administrators_only, manageable_groups
from .tree import build_tree, with_technician_counts


@require_GET
@administrators_only
def index(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    groups = with_technician_counts(manageable_groups(user))
    context = {"tree": build_tree(groups), "section": "overview"}
    return render(request, "admincenter/index.html", context)
