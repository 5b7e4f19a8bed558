"""Administration Center pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lifebuoy.site.accounts.models import TechnicianGroup, User


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if not user.is_administrator:
        raise PermissionDenied
    groups = TechnicianGroup.objects.filter(pk__in=user.manageable_group_ids())
    return render(request, "admincenter/index.html", {"groups": groups})
