"""Web sessions of a user: recorded at login, ended together when needed."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings

from .models import User, WebSession


def remember(user: User, session_key: str | None) -> None:
    if session_key:
        WebSession.objects.get_or_create(user=user, session_key=session_key)


def forget(session_key: str | None) -> None:
    if session_key:
        WebSession.objects.filter(session_key=session_key).delete()


def end_all(user: User) -> int:
    """End every web session of ``user`` now; returns how many were ended."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(user.web_sessions.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    user.web_sessions.all().delete()
    User.objects.filter(pk=user.pk).update(
        session_generation=user.session_generation + 1
    )
    user.session_generation += 1
    return len(keys)
