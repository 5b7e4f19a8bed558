"""A picked-up session, from the technician's side: the channel, chat, hold,
transfer, close, and the session log posted to the site as it happens."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ..protocol import Channel, ChannelClosed, ErrorCode, Role
from ..protocol.aio import (
    ChannelConnection,
    ChannelEnded,
    ReconnectPolicy,
    connect,
)
from . import _messages as messages
from ._errors import ClientError, MessageError
from ._eventlog import EventLog

if TYPE_CHECKING:
    from ._site import SiteClient

__all__ = [
    "ChatReceived",
    "CustomerEnded",
    "CustomerHello",
    "Delivered",
    "PictureMessage",
    "ScreenMessage",
    "SessionClosed",
    "SessionEvent",
    "TechnicianSession",
]

logger = logging.getLogger(__name__)

VIOLATION = ErrorCode.APPLICATION + 1
CustomerHello = messages.CustomerHello
ScreenMessage = messages.ScreenMessage
PictureMessage = messages.PictureMessage


@dataclass(frozen=True)
class ChatReceived:
    """The customer wrote a chat line (a ``delivered`` receipt was sent)."""

    id: str
    """The line's id."""
    text: str
    """The line, as the customer typed it: show it as text."""


@dataclass(frozen=True)
class Delivered:
    """The applet showed the technician's line ``id`` to the customer."""

    id: str
    """The id ``send_chat`` returned."""


@dataclass(frozen=True)
class CustomerEnded:
    """The customer pressed End session; ``SessionClosed`` follows."""

    reason: str
    """The applet's reason."""


@dataclass(frozen=True)
class SessionClosed:
    """The channel is closed; the last event of the iteration."""

    reason: str
    """The close reason."""
    clean: bool
    """An authenticated close (not a transport that stopped)."""
    by_peer: bool
    """The customer's end closed it."""


SessionEvent = (
    CustomerHello
    | ChatReceived
    | Delivered
    | CustomerEnded
    | ScreenMessage
    | PictureMessage
    | SessionClosed
)


class TechnicianSession:
    """A session this technician has picked up; made by ``SiteClient.pickup``.

    Iterate (``async for event in session``) to receive ``SessionEvent``s until
    ``SessionClosed``.
    """

    def __init__(
        self,
        site: SiteClient,
        session_id: str,
        participant: str,
        connection: ChannelConnection,
        log: EventLog,
        policy: str | None = None,
    ) -> None:
        self.site = site
        self.session_id = session_id
        """The session's public id."""
        self.participant = participant
        """This technician's participant id (``technician-<user id>``)."""
        self.connection = connection
        """The channel (``lifebuoy.protocol.aio``)."""
        self.log = log
        """The session log outbox (chat lines, both ways)."""
        self.policy = policy
        """The session policy from pickup (docs/screen.md), or None without one."""
        self.customer: CustomerHello | None = None
        """What the applet said about the customer's computer, once it has."""
        self._events: asyncio.Queue[SessionEvent] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())
        self._finished = False

    @classmethod
    async def pick_up(
        cls,
        site: SiteClient,
        session_id: str,
        name: str,
        *,
        reconnect: ReconnectPolicy | None = None,
        timeout: float = 60.0,
    ) -> TechnicianSession:
        """Pick up ``session_id``, connect and say ``hello`` as ``name``."""
        key = X25519PrivateKey.generate()
        public = base64.b64encode(key.public_key().public_bytes_raw()).decode()
        answer = await site.post(
            f"/api/v1/sessions/{session_id}/pickup", {"public_key": public}
        )
        channel = Channel(
            role=Role.TECHNICIAN,
            session_id=session_id,
            certificate=base64.b64decode(answer["certificate"]),
            private_key=key,
            site_keys=_site_keys(answer["signing_keys"]),
            now=time.time(),
        )
        first: list[str] = [answer["ticket"]]

        async def tickets(gateway_url: str) -> str:
            if first:
                return first.pop()
            path = f"/api/v1/sessions/{session_id}/ticket"
            ticket: str = (await site.post(path, {}))["ticket"]
            return ticket

        async with asyncio.timeout(timeout):
            connection = await connect(
                channel,
                answer["gateways"],
                tickets,
                ssl_context=site.ssl_context,
                reconnect=reconnect,
            )
        log = EventLog(lambda batch: _post_events(site, session_id, batch))
        policy = answer.get("policy")
        session = cls(
            site,
            session_id,
            answer["participant"],
            connection,
            log,
            policy=policy if isinstance(policy, str) else None,
        )
        await session._greet(name)
        return session

    async def _greet(self, name: str) -> None:
        # The policy right after hello (docs/screen.md, "Who may do what").
        await self.connection.send(messages.encode("hello", name=name))
        if self.policy is not None:
            await self.connection.send(messages.encode("policy", token=self.policy))

    @property
    def comparison_code(self) -> str:
        """The six-digit code ("123 456") the customer sees too."""
        return self.connection.comparison_code

    # -- chat and events -----------------------------------------------------------

    async def send_chat(self, text: str) -> str:
        """Send a chat line; returns its id (a ``Delivered`` event names it)."""
        line_id = uuid.uuid4().hex
        at = datetime.now(UTC).isoformat(timespec="seconds")
        await self.connection.send(
            messages.encode("chat", id=line_id, text=text, at=at)
        )
        self.log.add("chat.technician", self.participant, text)
        return line_id

    async def send_message(self, message: dict[str, Any]) -> None:
        """Send any JSON message as it is, unchecked (tests and benchmarks)."""
        data = json.dumps(message, ensure_ascii=False).encode("utf-8")
        await self.connection.send(data)

    async def next_event(self, timeout: float | None = None) -> SessionEvent:
        """The next event (``SessionClosed`` is the last; after it, it repeats)."""
        async with asyncio.timeout(timeout):
            event = await self._events.get()
        if isinstance(event, SessionClosed):
            self._events.put_nowait(event)
        return event

    async def __aiter__(self) -> AsyncIterator[SessionEvent]:
        while True:
            event = await self.next_event()
            yield event
            if isinstance(event, SessionClosed):
                return

    # -- session actions -------------------------------------------------------------

    async def hold(self, on: bool = True) -> dict[str, Any]:
        """Put the session on hold (or take it back); the site's Session."""
        with contextlib.suppress(ChannelEnded):
            await self.connection.send(messages.encode("hold", on=on))
        path = f"/api/v1/sessions/{self.session_id}/hold"
        answer = await self.site.post(path, {"on_hold": on})
        return answer["session"]  # type: ignore[no-any-return]

    async def transfer(
        self,
        *,
        to_technician: str | None = None,
        to_group: int | None = None,
        note: str = "",
    ) -> dict[str, Any]:
        """Hand the customer on (docs/sessions.md step 6); the site's Session."""
        if (to_technician is None) == (to_group is None):
            raise ValueError("give either to_technician or to_group")
        to = to_technician if to_technician is not None else f"group {to_group}"
        with contextlib.suppress(ChannelEnded):
            await self.connection.send(messages.encode("transfer", to=to, note=note))
        await self.connection.close("transferred")
        body = {"technician": to_technician, "group": to_group, "note": note}
        path = f"/api/v1/sessions/{self.session_id}/transfer"
        answer = await self.site.post(path, body)
        await self._finish()
        return answer["session"]  # type: ignore[no-any-return]

    async def close(self, reason: str = "ended") -> dict[str, Any] | None:
        """End the session: ``end``, an authenticated close, the site's close.

        Returns the site's Session, or None when the session was already
        closed there (by the customer leaving)."""
        if self.connection.closed is None:
            with contextlib.suppress(ChannelEnded):
                await self.connection.send(messages.encode("end", reason=reason))
            await self.connection.close("ended")
        await self.log.flush(timeout=10)  # the log complete before the close
        path = f"/api/v1/sessions/{self.session_id}/close"
        try:
            answer = await self.site.post(path, {"reason": reason})
        except ClientError as exc:
            logger.info("session %s not closed at the site: %s", self.session_id, exc)
            answer = None
        await self._finish()
        return answer["session"] if answer else None

    async def wait_closed(self) -> ChannelClosed:
        """Wait for the channel to end; flush the log."""
        closed = await self.connection.wait_closed()
        await self._finish()
        return closed

    async def _finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        await self.log.aclose()
        await asyncio.gather(self._reader, return_exceptions=True)

    # -- receiving -----------------------------------------------------------------

    async def _read(self) -> None:
        connection = self.connection
        try:
            while True:
                data = await connection.receive()
                try:
                    message = messages.parse(data)
                except MessageError as exc:
                    logger.warning("session %s: %s", self.session_id, exc)
                    await connection.close("protocol violation", code=VIOLATION)
                    continue
                await self._handle(message)
        except ChannelEnded as exc:
            closed = exc.closed
            self._events.put_nowait(
                SessionClosed(closed.reason, closed.clean, closed.by_peer)
            )

    async def _handle(self, message: messages.Incoming) -> None:
        if isinstance(message, messages.Chat):
            self.log.add(
                "chat.customer", self.connection.peer_participant, message.text
            )
            with contextlib.suppress(ChannelEnded):
                await self.connection.send(messages.encode("delivered", id=message.id))
            self._events.put_nowait(ChatReceived(message.id, message.text))
        elif isinstance(message, messages.Delivered):
            self._events.put_nowait(Delivered(message.id))
        elif isinstance(message, messages.CustomerHello):
            self.customer = message
            self._events.put_nowait(message)
        elif isinstance(message, messages.End):
            self._events.put_nowait(CustomerEnded(message.reason))
        elif isinstance(message, ScreenMessage | PictureMessage):
            self._events.put_nowait(message)
        else:
            logger.info("ignored a channel message of unknown type %r", message.type)


async def _post_events(
    site: SiteClient, session_id: str, batch: list[dict[str, Any]]
) -> None:
    await site.post(f"/api/v1/sessions/{session_id}/events", {"events": batch})


def _site_keys(encoded: Any) -> dict[str, Ed25519PublicKey]:
    if not isinstance(encoded, dict):
        raise ClientError("the site sent no signing keys")
    try:
        return {
            str(key_id): Ed25519PublicKey.from_public_bytes(base64.b64decode(value))
            for key_id, value in encoded.items()
        }
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ClientError("the site sent an unusable signing key") from exc
