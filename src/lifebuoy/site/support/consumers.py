"""``/live/queue/``: a technician's queues, pushed whenever they change.

The socket joins the channel-layer group of its technician and of their
technician group (see notify.py); on "changed" it reads the queue again and
sends ``{"type": "queue", "sessions": [...]}``. The first message goes out
on connect.
"""

from __future__ import annotations

import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.urls import path

from lifebuoy.site.accounts.models import User

from .notify import group_channel, technician_channel
from .queues import as_json, queue_for

__all__ = ["QueueConsumer", "websocket_urlpatterns"]

logger = logging.getLogger(__name__)


def _queue(user_id: int) -> list[dict[str, Any]] | None:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.is_technician:
        return None
    return [as_json(session) for session in queue_for(user)]


class QueueConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    groups_joined: list[str]

    async def connect(self) -> None:
        self.groups_joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        if not isinstance(user, User) or not user.is_technician:
            await self.close(code=4403)
            return

        self.user_id = user.pk
        names = [technician_channel(user.pk)]
        if user.group_id is not None:
            names.append(group_channel(user.group_id))
        for name in names:
            await self.channel_layer.group_add(name, self.channel_name)
        self.groups_joined = names
        await self.accept()
        await self.queue_changed({})

    async def disconnect(self, code: int) -> None:
        for name in self.groups_joined:
            await self.channel_layer.group_discard(name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The console has nothing to say on this socket.
        return None

    async def queue_changed(self, event: dict[str, Any]) -> None:
        sessions = await database_sync_to_async(_queue)(self.user_id)
        if sessions is None:
            await self.close(code=4403)
            return
        await self.send_json({"type": "queue", "sessions": sessions})


websocket_urlpatterns = [path("live/queue/", QueueConsumer.as_asgi())]
