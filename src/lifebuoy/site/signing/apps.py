from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "lifebuoy.site.signing"
    label = "signing"
    verbose_name = "Signing keys"
