"""Forms of the Administration Center.

Group choices are built from what the acting user may manage, so an id from
outside that scope is refused as an invalid choice, like any other bad input.
"""

from __future__ import annotations

from typing import Any

from django import forms

from lifebuoy.site.accounts.models import (
    CONTROL_NEEDS_VIEWING,
    Organization,
    TechnicianGroup,
    User,
)

from ._access import manageable_groups
from .tree import group_paths

_NAME_ERRORS = {"required": "Enter a name."}
_EMAIL_ERRORS = {
    "required": "Enter an email address.",
    "invalid": "Enter a valid email address.",
}
_DUPLICATE_EMAIL = "An account with this email already exists."


def _name_field() -> forms.CharField:
    return forms.CharField(
        max_length=120,
        error_messages=_NAME_ERRORS,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def _group_choices(groups: list[TechnicianGroup]) -> list[tuple[int, str]]:
    paths = group_paths(groups)
    return sorted(paths.items(), key=lambda item: item[1].casefold())


SCREEN_PERMISSIONS = ("desktop_viewing", "remote_control", "single_prompt")
"""The group's screen permissions (docs/screen.md, "Who may do what")."""
SCREEN_DEFAULTS = {"desktop_viewing": True, "remote_control": True}


class GroupForm(forms.Form):
    """Name, description, parent and screen permissions of a technician group."""

    name = _name_field()
    description = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    parent = forms.TypedChoiceField(
        label="Parent group", coerce=int, required=False, empty_value=None
    )
    desktop_viewing = forms.BooleanField(
        label="Desktop viewing",
        required=False,
        help_text="Technicians may ask to see the customer's screen.",
    )
    remote_control = forms.BooleanField(
        label="Remote control (includes viewing)",
        required=False,
        help_text="Technicians may ask to move the mouse and type on it.",
    )
    single_prompt = forms.BooleanField(
        label="Single prompt: ask the customer once for everything this group may do",
        required=False,
        help_text=(
            "Otherwise the customer is asked for viewing and again for control."
            " The customer can stop either at any moment."
        ),
    )

    def __init__(
        self, user: User, *args: Any, instance: TechnicianGroup | None = None, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.user, self.instance = user, instance
        self.parents = self._allowed_parents()

        # An administrator's groups hang below groups they do not manage, so
        # only a master administrator may put a group at the top level.
        keeps_top = instance is not None and instance.parent_id is None
        self.top_level_allowed = user.is_master_admin or keeps_top
        field = self.fields["parent"]
        assert isinstance(field, forms.TypedChoiceField)
        choices: list[tuple[Any, str]] = _group_choices(list(self.parents.values()))
        if self.top_level_allowed:
            choices.insert(0, ("", "None: a top-level group"))
        field.choices = choices
        field.required = not self.top_level_allowed

    def _allowed_parents(self) -> dict[int, TechnicianGroup]:
        groups = {group.pk: group for group in manageable_groups(self.user)}
        if self.instance is None:
            return groups

        # Not below itself (no cycles); its current parent may always stay.
        for group_id in self.instance.descendant_ids():
            groups.pop(group_id, None)
        parent = self.instance.parent
        if parent is not None:
            groups.setdefault(parent.pk, parent)
        return groups

    def clean_parent(self) -> TechnicianGroup | None:
        parent_id = self.cleaned_data.get("parent")
        if parent_id is None:
            return None
        return self.parents[parent_id]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        name = data.get("name")
        if name and "parent" in data:
            siblings = TechnicianGroup.objects.filter(
                organization_id=self.user.organization_id,
                parent=data["parent"],
                name__iexact=name,
            )
            if self.instance is not None:
                siblings = siblings.exclude(pk=self.instance.pk)
            if siblings.exists():
                self.add_error("name", "A group with this name already exists here.")
        if data.get("remote_control") and not data.get("desktop_viewing"):
            self.add_error("remote_control", CONTROL_NEEDS_VIEWING)
        return data


class AccountForm(forms.Form):
    """Name and email (the login ID) of an account."""

    name = _name_field()
    email = forms.EmailField(
        max_length=254,
        error_messages=_EMAIL_ERRORS,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text="This is also the login ID.",
    )

    def __init__(
        self, user: User, *args: Any, instance: User | None = None, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.user, self.instance = user, instance

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip().lower()
        others = User.objects.filter(email__iexact=email)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_DUPLICATE_EMAIL)
        return email


class TechnicianForm(AccountForm):
    group = forms.TypedChoiceField(
        coerce=int, error_messages={"required": "Choose a group."}
    )

    def __init__(self, user: User, *args: Any, **kw: Any) -> None:
        super().__init__(user, *args, **kw)
        self.groups = {group.pk: group for group in manageable_groups(user)}
        field = self.fields["group"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [
            ("", "Choose a group"),
            *_group_choices([*self.groups.values()]),
        ]

    def clean_group(self) -> TechnicianGroup:
        return self.groups[self.cleaned_data["group"]]


class AdministratorForm(AccountForm):
    managed_groups = forms.TypedMultipleChoiceField(
        label="Groups this administrator manages",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="They also manage every group below the ones chosen.",
    )

    def __init__(self, user: User, *args: Any, **kw: Any) -> None:
        super().__init__(user, *args, **kw)
        self.groups = {group.pk: group for group in manageable_groups(user)}
        field = self.fields["managed_groups"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = _group_choices([*self.groups.values()])
        if self.instance is not None and self.instance.is_master_admin:
            # A master administrator manages everything already.
            del self.fields["managed_groups"]

    def clean_managed_groups(self) -> list[TechnicianGroup]:
        return [self.groups[pk] for pk in self.cleaned_data["managed_groups"]]


class OrganizationForm(forms.Form):
    inactivity_minutes = forms.IntegerField(
        label="Log off after this many minutes without activity",
        min_value=1,
        max_value=480,
        help_text="From 1 to 480 minutes (8 hours). Applies to every account.",
        error_messages={"required": "Enter a number of minutes."},
    )

    @classmethod
    def for_organization(
        cls, organization: Organization, data: Any = None
    ) -> OrganizationForm:
        minutes = max(1, organization.inactivity_timeout_s // 60)
        return cls(data, initial={"inactivity_minutes": minutes})
