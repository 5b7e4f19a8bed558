from django.urls import path

from . import views

app_name = "admincenter"

urlpatterns = [path("", views.index, name="index")]
