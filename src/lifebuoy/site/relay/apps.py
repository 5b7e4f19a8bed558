from django.apps import AppConfig


class RelayConfig(AppConfig):
    name = "lifebuoy.site.relay"
    label = "relay"
    verbose_name = "Gateway reports"
