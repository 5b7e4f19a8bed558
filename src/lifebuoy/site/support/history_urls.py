"""The technician's own session history, under /console/sessions/."""

from django.urls import path

from . import history

app_name = "support-history"

urlpatterns = [
    path("", history.console_list, name="list"),
    path("<str:session_id>/", history.console_detail, name="detail"),
]
