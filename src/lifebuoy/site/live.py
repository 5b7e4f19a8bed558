"""Live pages over WebSockets (Django Channels).

``/live/session/`` tells an open page the moment its web session is ended
elsewhere (the user was disabled, or logged out everywhere), so the page
leaves at once instead of at its next click.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.urls import path


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def notify_session_ended(user_id: int, reason: str) -> None:
    """Tell every open page of the user that their session is over."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(
            user_group(user_id), {"type": "session.ended", "reason": reason}
        )


class SessionWatchConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The page has nothing to say on this socket.
        return None

    async def session_ended(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "ended", "reason": event["reason"]})
        await self.close(code=4001)


def _routes() -> list[Any]:
    from lifebuoy.site.support.consumers import websocket_urlpatterns as support

    return [path("live/session/", SessionWatchConsumer.as_asgi()), *support]


websocket_urlpatterns = _routes()
