from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "lifebuoy.site.api"
    label = "api"
    verbose_name = "API"
