"""Support sessions and what hangs off them, all scoped to an organization.

Nothing a customer typed and nothing said in a chat is stored in the clear:
those columns are `EncryptedTextField`. PINs are kept only as an HMAC.
"""

from __future__ import annotations

import secrets
import uuid

from django.db import models

from lifebuoy.site.accounts.models import Organization, TechnicianGroup, User
from lifebuoy.site.vault.fields import EncryptedTextField


def new_session_id() -> str:
    # 16 random bytes are 22 URL-safe characters.
    return "s_" + secrets.token_urlsafe(16)


def new_channel_token() -> str:
    return secrets.token_urlsafe(24)


class State(models.TextChoices):
    WAITING = "waiting", "Waiting"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    CLOSED = "closed", "Closed"


OPEN_STATES = (State.WAITING, State.ACTIVE, State.ON_HOLD)


class SupportSession(models.Model):
    """One customer being helped, from PIN or channel link to goodbye."""

    public_id = models.CharField(max_length=24, unique=True, default=new_session_id)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="support_sessions"
    )
    state = models.CharField(max_length=8, choices=State.choices, db_index=True)
    # The queue: a technician's private queue or a group's shared queue.
    queue_owner = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    queue_group = models.ForeignKey(
        TechnicianGroup, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    technician = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer_name = EncryptedTextField(blank=True, default="")
    problem = EncryptedTextField(blank=True, default="")
    hostname = EncryptedTextField(blank=True, default="")
    os = EncryptedTextField(blank=True, default="")
    transfer_note = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    waiting_since = models.DateTimeField()
    entered_at = models.DateTimeField(null=True)
    """When the customer entered the PIN or opened the channel link."""
    joined_at = models.DateTimeField(null=True)
    """When the applet first joined."""
    picked_up_at = models.DateTimeField(null=True)
    closed_at = models.DateTimeField(null=True)
    close_reason = models.CharField(max_length=200, blank=True)
    credential_jti = models.CharField(max_length=32, blank=True)
    customer_joins = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.public_id

    @property
    def is_open(self) -> bool:
        return self.state != State.CLOSED

    @property
    def customer_participant(self) -> str:
        return f"customer-{self.customer_joins}"


class Pin(models.Model):
    """A PIN, as an HMAC of its digits under a server secret."""

    session = models.OneToOneField(
        SupportSession, on_delete=models.CASCADE, related_name="pin"
    )
    digest = models.CharField(max_length=64, db_index=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"PIN of session {self.session_id}"


class ChannelLink(models.Model):
    """A technician group's link for customers: no PIN, the group's queue."""

    group = models.OneToOneField(
        TechnicianGroup, on_delete=models.CASCADE, related_name="channel_link"
    )
    token = models.CharField(max_length=64, unique=True, default=new_channel_token)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"channel link of group {self.group_id}"


class EventKind(models.TextChoices):
    CHAT_TECHNICIAN = "chat.technician"
    CHAT_CUSTOMER = "chat.customer"
    PICKUP = "pickup"
    HOLD = "hold"
    UNHOLD = "unhold"
    TRANSFER = "transfer"
    CLOSE = "close"
    REQUEST = "request"
    ANSWER = "answer"
    SCREEN_REQUEST = "screen.request", "Screen request"
    SCREEN_ANSWER = "screen.answer", "Screen answer"
    SCREEN_START = "screen.start", "Screen sharing started"
    SCREEN_STOP = "screen.stop", "Screen sharing stopped"
    SCREEN_REFUSED = "screen.refused", "Screen input refused"


CHAT_KINDS = (EventKind.CHAT_TECHNICIAN, EventKind.CHAT_CUSTOMER)
SCREEN_KINDS = (
    EventKind.SCREEN_REQUEST,
    EventKind.SCREEN_ANSWER,
    EventKind.SCREEN_START,
    EventKind.SCREEN_STOP,
    EventKind.SCREEN_REFUSED,
)


class ScreenAction(models.TextChoices):
    VIEW = "view", "viewing"
    CONTROL = "control", "control"


class ScreenActor(models.TextChoices):
    """Who decided a screen event (docs/screen.md)."""

    CUSTOMER = "customer"
    TECHNICIAN = "technician"
    POLICY = "policy"
    TIMEOUT = "timeout"


class SessionEvent(models.Model):
    """One line of the session log; ``event_id`` is chosen by the console."""

    session = models.ForeignKey(
        SupportSession, on_delete=models.CASCADE, related_name="events"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    event_id = models.UUIDField(default=uuid.uuid4)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    at = models.DateTimeField()
    actor = models.CharField(max_length=120, blank=True)
    text = EncryptedTextField(blank=True, default="")
    """Chat text, a close reason, or the ``reason`` of a screen event."""
    # Screen events (SCREEN_KINDS) only: what was asked, the answer, who decided.
    what = models.CharField(max_length=8, choices=ScreenAction.choices, blank=True)
    allowed = models.BooleanField(null=True)
    by = models.CharField(max_length=10, choices=ScreenActor.choices, blank=True)
    stored_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "event_id"], name="unique_event_per_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} in session {self.session_id}"


class SessionTechnician(models.Model):
    """A technician who had the session, for their history and the log."""

    session = models.ForeignKey(
        SupportSession, on_delete=models.CASCADE, related_name="technicians"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    first_pickup_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user"], name="unique_session_technician"
            )
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} in session {self.session_id}"


class Attempt(models.Model):
    """A counted request for rate limits: PIN guesses and PIN or session asks."""

    class Kind(models.TextChoices):
        WRONG_PIN = "wrong_pin"
        PIN_ISSUED = "pin_issued"
        CHANNEL_SESSION = "channel_session"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    ip = models.GenericIPAddressField(null=True)
    user = models.ForeignKey(User, null=True, on_delete=models.CASCADE)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "ip", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


class SupportSettings(models.Model):
    """Support options of an organization (absent row: the defaults)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="support_settings"
    )
    store_chat_text = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"support settings of organization {self.organization_id}"


def store_chat_text(organization_id: int) -> bool:
    row = SupportSettings.objects.filter(organization_id=organization_id).first()
    return row.store_chat_text if row else True
