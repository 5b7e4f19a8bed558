"""The Technician Console's page.

Everything the console's modules need to start is in one JSON block read with
``JSON.parse`` (never executed), so the page has no inline script; the CSRF
token is in ``<meta name="csrf-token">`` for the API calls.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe

from lifebuoy.site.accounts.models import TechnicianGroup

# Inside <script type="application/json"> only "</" could end the element
# early; escaping <, > and & as JSON escapes rules that out (as json_script does).
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def _groups(organization_id: int) -> list[dict[str, Any]]:
    """Enabled groups a session can be transferred to."""
    rows = TechnicianGroup.objects.filter(organization_id=organization_id, enabled=True)
    return [{"id": group.pk, "name": group.name} for group in rows.order_by("name")]


def console_config(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.user
    return {
        "user": {"id": user.pk, "name": user.name, "email": user.email},
        "is_technician": user.is_technician,
        "group": user.group.name if user.group_id else None,
        "groups": _groups(user.organization_id) if user.organization_id else [],
        "gateways": list(settings.LIFEBUOY.gateway_urls),
    }


def _as_json_block(value: Any) -> SafeString:
    return mark_safe(json.dumps(value).translate(_JSON_ESCAPES))  # noqa: S308


@login_required
def index(request: HttpRequest) -> HttpResponse:
    config = _as_json_block(console_config(request))
    return render(request, "console/index.html", {"config_json": config})
