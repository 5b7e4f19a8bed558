"""``{{ event|screen_line }}``: the readable line of a screen event."""

from __future__ import annotations

from django import template

from ..models import SessionEvent
from ..screen_events import describe

register = template.Library()


@register.filter
def screen_line(event: SessionEvent) -> str:
    # Plain text: autoescaping applies, as for every other log line.
    return describe(event)
