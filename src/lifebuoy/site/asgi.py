"""The ASGI application: Django for HTTP, Channels for live pages."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifebuoy.site.settings")

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.core.asgi import get_asgi_application

django_application = get_asgi_application()

from lifebuoy.site.live import websocket_urlpatterns  # noqa: E402

# Every WebSocket must come from the site's own origin: a page on another
# site cannot open one with the user's cookies (cross-site WebSocket hijacking).
application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": OriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
            [settings.LIFEBUOY.public_url],
        ),
    }
)
