"""The technician group tree as the pages show it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet

from lifebuoy.site.accounts.models import Role, TechnicianGroup


@dataclasses.dataclass
class GroupNode:
    group: TechnicianGroup
    """The group itself."""
    technicians: int
    """How many technicians are directly in the group."""
    children: list[GroupNode] = dataclasses.field(default_factory=list)
    """Its subgroups that the viewer may see, by name."""


def with_technician_counts(
    groups: QuerySet[TechnicianGroup],
) -> QuerySet[TechnicianGroup]:
    return groups.annotate(
        technician_count=Count(
            "technicians", filter=Q(technicians__role=Role.TECHNICIAN)
        )
    )


def build_tree(groups: Iterable[TechnicianGroup]) -> list[GroupNode]:
    """Nest the groups; a group whose parent is not among them is a root.

    An administrator sees only the subtrees they manage, so their roots are
    the groups they were given, wherever those sit in the organization.
    """
    nodes = {
        group.pk: GroupNode(group, getattr(group, "technician_count", 0))
        for group in groups
    }
    roots: list[GroupNode] = []
    for node in nodes.values():
        parent = nodes.get(node.group.parent_id or 0)
        (parent.children if parent else roots).append(node)

    for node in nodes.values():
        node.children.sort(key=_by_name)
    roots.sort(key=_by_name)
    return roots


def group_paths(groups: Iterable[TechnicianGroup]) -> dict[int, str]:
    """``Parent / Child`` labels for choosing a group, by group id."""
    by_id = {group.pk: group for group in groups}
    paths: dict[int, str] = {}
    for group in by_id.values():
        names, node, seen = [group.name], group, {group.pk}
        while node.parent_id in by_id and node.parent_id not in seen:
            node = by_id[node.parent_id]
            seen.add(node.pk)
            names.append(node.name)
        paths[group.pk] = " / ".join(reversed(names))
    return paths


def _by_name(node: GroupNode) -> str:
    return node.group.name.casefold()
