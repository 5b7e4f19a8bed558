from django.apps import AppConfig


class AdminCenterConfig(AppConfig):
    name = "lifebuoy.site.admincenter"
    label = "admincenter"
    verbose_name = "Administration Center"
