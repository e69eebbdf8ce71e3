from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "digipay.core"
    label = "core"
    verbose_name = "Inti"
