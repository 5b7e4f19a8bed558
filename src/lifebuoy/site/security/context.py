from __future__ import annotations

from django.http import HttpRequest


def csp_nonce(request: HttpRequest) -> dict[str, str]:
    """``{{ csp_nonce }}`` in templates, for the few inline blocks allowed."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
