from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "lifebuoy.site.accounts"
    label = "accounts"
    verbose_name = "Accounts"
