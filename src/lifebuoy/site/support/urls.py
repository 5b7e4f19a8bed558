"""The customer's pages, in the ``support`` namespace."""

from django.urls import path

from . import views

app_name = "support"

urlpatterns = [
    path("", views.enter_pin, name="enter"),
    path("c/<str:token>/", views.enter_channel, name="channel"),
    path("ready/", views.ready, name="ready"),
    path("ready/lifebuoy.lifebuoy", views.download, name="download"),
]
