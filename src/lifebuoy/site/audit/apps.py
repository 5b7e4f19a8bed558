from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "lifebuoy.site.audit"
    label = "audit"
    verbose_name = "Audit log"
