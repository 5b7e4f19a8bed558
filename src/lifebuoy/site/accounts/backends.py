"""The authentication backend: loads the logged-in user for each request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from .models import User


class LoginIdBackend(BaseBackend):
    """Users log in through ``accounts.login.attempt_login``; this backend only
    resolves the session's user, and refuses disabled ones at once."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        # Password checks go through attempt_login, which applies lockout,
        # throttling and the bounded hashing pool; never around them.
        return None

    def get_user(self, user_id: int) -> User | None:
        user = User.objects.select_related("organization").filter(pk=user_id).first()
        if user is None or not user.is_active:
            return None
        return user
