"""Where a request comes from."""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The peer address of the connection.

    Forwarded headers are ignored: Lifebuoy serves TLS itself, and trusting
    ``X-Forwarded-For`` from anyone would let a client pick the address that
    lockout and the audit log record.
    """
    address = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
