"""What can go wrong with a support request, each with its HTTP status.

::

    SupportError            400 unless said otherwise
    ├── BadInput            400: a field is missing, of the wrong type or size
    ├── NotAuthenticated    401: no login, or no valid session credential
    ├── Forbidden           403: logged in, but not allowed this
    ├── NotFound            404: no such session, or not one you may see
    ├── Conflict            409: the session is not in a state that allows it
    └── TooMany             429: a rate limit; says how long to wait

The message is written for the person who reads it (a customer, a technician
or a console developer) and goes out as ``{"error": message}``.
"""

from __future__ import annotations

import math

__all__ = [
    "BadInput",
    "Conflict",
    "Forbidden",
    "NotAuthenticated",
    "NotFound",
    "SupportError",
    "TooMany",
]


class SupportError(Exception):
    status = 400

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else "The request was refused."


class BadInput(SupportError):
    status = 400


class NotAuthenticated(SupportError):
    status = 401


class Forbidden(SupportError):
    status = 403


class NotFound(SupportError):
    status = 404


class Conflict(SupportError):
    status = 409


class TooMany(SupportError):
    status = 429

    def __init__(self, message: str, wait_s: float) -> None:
        super().__init__(message)
        self.wait_s = max(1, math.ceil(wait_s))

    @property
    def wait_minutes(self) -> int:
        return max(1, math.ceil(self.wait_s / 60))
