from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "lifebuoy.site.console"
    label = "console"
    verbose_name = "Technician Console"
