"""The technician's side of a support session, in Python: for scripts, tests
and benchmarks. See docs/client.md.

    async with SiteClient("https://support.example.com", verify="ca.pem") as site:
        await site.login("tech1@example.com", password)
        pin = await site.create_pin()             # read it to the customer
        ...                                       # wait until they joined
        session = await site.pickup(pin.session_id, name="Taylor Tech")
        print(session.comparison_code)
        await session.send_chat("Hello! How can I help?")
        async for event in session:               # ends with SessionClosed
            ...
        await session.close()

Exceptions::

    ClientError                 root
    ├── LoginFailed             the site did not log in (str: the site's words)
    ├── SiteRefused             an API error answer; ``status``, ``retryable``
    ├── SiteUnreachable         no answer from the site
    └── MessageError            the applet broke the channel message rules

Channel errors come from ``lifebuoy.protocol.aio`` (``ChannelEnded``...).
"""

from ._errors import (
    ClientError,
    LoginFailed,
    MessageError,
    SiteRefused,
    SiteUnreachable,
)
from ._eventlog import EventLog
from ._messages import CustomerHello
from ._session import (
    ChatReceived,
    CustomerEnded,
    Delivered,
    PictureMessage,
    ScreenMessage,
    SessionClosed,
    SessionEvent,
    TechnicianSession,
)
from ._site import Pin, SiteClient

__all__ = [
    "ChatReceived",
    "ClientError",
    "CustomerEnded",
    "CustomerHello",
    "Delivered",
    "EventLog",
    "LoginFailed",
    "MessageError",
    "PictureMessage",
    "Pin",
    "ScreenMessage",
    "SessionClosed",
    "SessionEvent",
    "SiteClient",
    "SiteRefused",
    "SiteUnreachable",
    "TechnicianSession",
]
