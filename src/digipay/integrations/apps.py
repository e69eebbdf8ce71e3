from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "digipay.integrations"
    label = "integrations"
    verbose_name = "Integrasi"
