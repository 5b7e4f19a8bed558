"""The support API of docs/sessions.md, as a Ninja router mounted at /api/v1.

Bodies are read by hand rather than by Ninja schemas so that every refusal
has the contract's form, ``{"error": "..."}`` with a 4xx status
(docs/decisions/0010-support-api-shape.md).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Router

from . import applet, technician
from ._http import answers_json, json_body
from ._http import technician as acting
from .errors import BadInput
from .keys import x25519_public_key
from .pins import create_pin
from .queues import as_json, queue_for, sweep
from .session_log import post_events, read_log

__all__ = ["router"]

router = Router(tags=["support"])


@router.post("/pins", auth=None)
@answers_json
def new_pin(request: HttpRequest) -> dict[str, Any]:
    """A PIN for a new session in the technician's private queue (shown once)."""
    actor = acting(request)
    json_body(request)
    session, digits, expires_at = create_pin(actor.user, actor.ip)
    return {
        "pin": digits,
        "session_id": session.public_id,
        "expires_at": expires_at.isoformat(),
    }


@router.get("/queue", auth=None)
@answers_json
def queue(request: HttpRequest) -> dict[str, Any]:
    """Sessions in the technician's queues and those they have picked up."""
    actor = acting(request)
    sweep()
    return {"sessions": [as_json(session) for session in queue_for(actor.user)]}


@router.post("/sessions/{session_id}/pickup", auth=None)
@answers_json
def pickup(request: HttpRequest, session_id: str) -> dict[str, Any]:
    actor = acting(request)
    public_key = x25519_public_key(json_body(request).get("public_key"))
    return technician.pickup(actor, session_id, public_key)


@router.post("/sessions/{session_id}/ticket", auth=None)
@answers_json
def technician_ticket(request: HttpRequest, session_id: str) -> dict[str, Any]:
    return technician.refresh_ticket(acting(request), session_id)


@router.post("/sessions/{session_id}/hold", auth=None)
@answers_json
def hold(request: HttpRequest, session_id: str) -> dict[str, Any]:
    actor = acting(request)
    on_hold = json_body(request).get("on_hold")
    if not isinstance(on_hold, bool):
        raise BadInput("on_hold must be true or false.")
    return {"session": as_json(technician.hold(actor, session_id, on_hold))}


@router.post("/sessions/{session_id}/transfer", auth=None)
@answers_json
def transfer(request: HttpRequest, session_id: str) -> dict[str, Any]:
    actor = acting(request)
    body = json_body(request)
    session = technician.transfer(
        actor,
        session_id,
        body.get("technician"),
        body.get("group"),
        body.get("note", ""),
    )
    return {"session": as_json(session)}


@router.post("/sessions/{session_id}/close", auth=None)
@answers_json
def close(request: HttpRequest, session_id: str) -> dict[str, Any]:
    actor = acting(request)
    reason = json_body(request).get("reason", "")
    return {"session": as_json(technician.close(actor, session_id, reason))}


@router.post("/sessions/{session_id}/events", auth=None)
@answers_json
def events(request: HttpRequest, session_id: str) -> dict[str, Any]:
    actor = acting(request)
    body = json_body(request)
    stored, duplicates = post_events(actor.user, session_id, body.get("events"))
    return {"stored": stored, "duplicates": duplicates}


@router.get("/sessions/{session_id}/log", auth=None)
@answers_json
def log(request: HttpRequest, session_id: str) -> dict[str, Any]:
    return {"events": read_log(acting(request).user, session_id)}


def _text(body: dict[str, Any], name: str, longest: int) -> str:
    value = body.get(name, "")
    if not isinstance(value, str) or len(value) > longest or "\x00" in value:
        raise BadInput(f"{name} must be text of at most {longest} characters.")
    return value


@router.post("/applet/join", auth=None)
@answers_json
def applet_join(request: HttpRequest) -> dict[str, Any]:
    """Bearer: the session credential. A new customer key, ticket and certificate."""
    with transaction.atomic():
        session = applet.authenticate(request.headers.get("Authorization", ""))
        body = json_body(request)
        public_key = x25519_public_key(body.get("public_key"))
        host = _text(body, "hostname", applet.HOST_CHARS)
        os = _text(body, "os", applet.HOST_CHARS)
        return applet.join(session, public_key, host, os)


@router.post("/applet/ticket", auth=None)
@answers_json
def applet_ticket(request: HttpRequest) -> dict[str, Any]:
    """Bearer: the session credential. A fresh customer ticket."""
    with transaction.atomic():
        session = applet.authenticate(request.headers.get("Authorization", ""))
        json_body(request)
        return applet.ticket(session)


@router.post("/applet/leave", auth=None)
@answers_json
def applet_leave(request: HttpRequest) -> dict[str, Any]:
    """Bearer: the session credential. The customer ended the session."""
    with transaction.atomic():
        session = applet.authenticate(request.headers.get("Authorization", ""))
        reason = _text(json_body(request), "reason", 200)
        applet.leave(session, reason or "ended")
    return {}
