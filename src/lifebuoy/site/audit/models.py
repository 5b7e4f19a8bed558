"""Audit events and the head of their hash chain."""

from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    """Who did what, when, from which address, and how it ended."""

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    organization_id = models.BigIntegerField(null=True, db_index=True)
    actor_id = models.BigIntegerField(null=True)
    actor = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=254, blank=True)
    ip = models.GenericIPAddressField(null=True)
    outcome = models.CharField(max_length=16)
    detail = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.outcome}"


class AuditHead(models.Model):
    """The last link of the chain, so that events cut off the end are noticed."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"
