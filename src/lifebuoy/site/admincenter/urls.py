"""URLs of the Administration Center, in the ``admincenter`` namespace."""

from django.urls import path

from lifebuoy.site.support import history as support_history
from lifebuoy.site.support import settings_views as support_settings

from . import (
    administrators,
    audit_log,
    channel_links,
    groups,
    organization,
    overview,
    technicians,
)

app_name = "admincenter"

urlpatterns = [
    path("", overview.index, name="index"),
    path("groups/new/", groups.group_create, name="group-create"),
    path("groups/<int:group_id>/", groups.group_detail, name="group"),
    path("groups/<int:group_id>/edit/", groups.group_edit, name="group-edit"),
    path(
        "groups/<int:group_id>/enabled/",
        groups.group_set_enabled,
        name="group-enabled",
    ),
    path(
        "groups/<int:group_id>/channel-links/",
        channel_links.channel_link_create,
        name="channel-link-create",
    ),
    path(
        "groups/<int:group_id>/channel-links/<int:link_id>/enabled/",
        channel_links.channel_link_set_enabled,
        name="channel-link-enabled",
    ),
    path(
        "groups/<int:group_id>/channel-links/<int:link_id>/replace/",
        channel_links.channel_link_replace,
        name="channel-link-replace",
    ),
    path("technicians/", technicians.technician_list, name="technicians"),
    path("technicians/new/", technicians.technician_create, name="technician-create"),
    path("technicians/<int:user_id>/", technicians.technician_edit, name="technician"),
    path(
        "technicians/<int:user_id>/enabled/",
        technicians.technician_set_enabled,
        name="technician-enabled",
    ),
    path(
        "technicians/<int:user_id>/password/",
        technicians.technician_reset_password,
        name="technician-password",
    ),
    path("administrators/", administrators.administrator_list, name="administrators"),
    path(
        "administrators/new/",
        administrators.administrator_create,
        name="administrator-create",
    ),
    path(
        "administrators/<int:user_id>/",
        administrators.administrator_edit,
        name="administrator",
    ),
    path(
        "administrators/<int:user_id>/enabled/",
        administrators.administrator_set_enabled,
        name="administrator-enabled",
    ),
    path(
        "administrators/<int:user_id>/password/",
        administrators.administrator_reset_password,
        name="administrator-password",
    ),
    path("organization/", organization.organization_settings, name="organization"),
    path("audit/", audit_log.audit_log, name="audit"),
    path("sessions/", support_history.admin_list, name="sessions"),
    path(
        "sessions/<str:session_id>/",
        support_history.admin_detail,
        name="session",
    ),
    path(
        "organization/support/",
        support_settings.support_settings,
        name="organization-support",
    ),
]
