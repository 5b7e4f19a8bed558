"""Stored data keys, each wrapped by the master key."""

from __future__ import annotations

from django.db import models


class DataKey(models.Model):
    """A data key of one organization (or of the site when it has none)."""

    key_id = models.CharField(primary_key=True, max_length=32)
    organization_id = models.BigIntegerField(null=True, db_index=True)
    master_key_id = models.CharField(max_length=32)
    wrapped = models.BinaryField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organization_id", "active"])]

    def __str__(self) -> str:
        return f"data key {self.key_id}"
