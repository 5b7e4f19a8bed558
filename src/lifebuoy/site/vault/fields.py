"""A model field whose value is stored sealed by the vault."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Lookup

from . import service

__all__ = ["EncryptedTextField"]


class _Sealed(str):
    """A value read from an encrypted column, opened on first access."""


class _OpeningDescriptor:
    """Opens a sealed value when the attribute is first read."""

    def __init__(self, field: EncryptedTextField) -> None:
        self.field = field

    def __get__(self, instance: models.Model | None, owner: type) -> Any:
        if instance is None:
            return self
        value = instance.__dict__.get(self.field.attname)
        if isinstance(value, _Sealed):
            organization_id = getattr(instance, self.field.organization_field)
            value = service.open_value(organization_id, self.field.purpose(), value)
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance: models.Model, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text sealed with the organization's data key before it is written.

    ``organization_field`` names the attribute of the model instance that holds
    the organization id. The column holds only ciphertext, so it cannot be
    searched: the only lookup allowed is ``isnull``.
    """

    def __init__(
        self, *args: Any, organization_field: str = "organization_id", **kwargs: Any
    ) -> None:
        self.organization_field = organization_field
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["organization_field"] = self.organization_field
        return name, path, args, kwargs

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False
    ) -> None:
        super().contribute_to_class(cls, name, private_only)
        setattr(cls, self.attname, _OpeningDescriptor(self))

    def purpose(self) -> str:
        return f"{self.model._meta.db_table}.{self.column}"

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if not value or isinstance(value, _Sealed):
            return value
        organization_id = getattr(model_instance, self.organization_field)
        return service.seal(organization_id, self.purpose(), value)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value and value.startswith(service.PREFIX):
            return _Sealed(value)
        return value

    def get_lookup(self, lookup_name: str) -> type[Lookup[Any]] | None:
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)
