"""Signing keys of the site."""

from __future__ import annotations

from django.db import models

from lifebuoy.site.vault.fields import EncryptedTextField


class SigningKey(models.Model):
    """One Ed25519 key pair; the private half sealed under the site's data key."""

    # Site-wide: sealed under the data key of no organization.
    organization_id = None

    key_id = models.CharField(primary_key=True, max_length=32)
    private_key = EncryptedTextField()
    public_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)
    verify_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"signing key {self.key_id}"
