"""Lifecycle events of sessions as gateways saw them."""

from __future__ import annotations

from django.db import models


class RelayEvent(models.Model):
    """One report: waiting, paired, left, returned or closed, with byte counts."""

    source = models.CharField(max_length=64)
    session_id = models.CharField(max_length=128, db_index=True)
    kind = models.CharField(max_length=16)
    role = models.CharField(max_length=16, blank=True)
    participant = models.CharField(max_length=128, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    bytes_from_customer = models.BigIntegerField(default=0)
    bytes_from_technician = models.BigIntegerField(default=0)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.session_id} {self.kind}"
