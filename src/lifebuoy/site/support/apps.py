from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "lifebuoy.site.support"
    label = "support"
    verbose_name = "Support sessions"
