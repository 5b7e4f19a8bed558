"""Telling open consoles that a queue changed (the live queue).

Each technician's sockets listen on a channel-layer group of their own and on
one of their technician group; a change sends a bare "changed" to the groups
it touches, after the transaction commits, and each socket reads its own
queue again. Works with the in-memory layer and the Redis layer alike.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from .models import SupportSession

__all__ = ["group_channel", "queue_changed", "technician_channel"]

logger = logging.getLogger(__name__)


def technician_channel(user_id: int) -> str:
    return f"support.technician.{user_id}"


def group_channel(group_id: int) -> str:
    return f"support.group.{group_id}"


def audience(session: SupportSession) -> set[str]:
    """The channel-layer groups whose queue shows or showed this session."""
    names = set()
    for user_id in (session.queue_owner_id, session.technician_id):
        if user_id is not None:
            names.add(technician_channel(user_id))
    if session.queue_group_id is not None:
        names.add(group_channel(session.queue_group_id))
    return names


def queue_changed(*sessions: SupportSession, before: set[str] | None = None) -> None:
    """Send "changed" to everyone concerned once the transaction commits."""
    names = set(before or ())
    for session in sessions:
        names |= audience(session)
    if names:
        transaction.on_commit(lambda: _send(sorted(names)))


def _send(names: list[str]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for name in names:
        try:
            async_to_sync(layer.group_send)(name, {"type": "queue.changed"})
        except Exception:
            # A lost push costs a stale queue until the next change or
            # reconnect; the request that made the change must still succeed.
            logger.exception("could not push a queue change to %s", name)
