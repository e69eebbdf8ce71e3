from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "digipay.audit"
    label = "audit"
    verbose_name = "Jejak audit"
