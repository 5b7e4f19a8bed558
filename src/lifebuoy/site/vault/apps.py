from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "lifebuoy.site.vault"
    label = "vault"
    verbose_name = "Vault"
