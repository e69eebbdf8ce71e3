from django.apps import AppConfig


class TreasuryConfig(AppConfig):
    name = "digipay.treasury"
    label = "treasury"
    verbose_name = "Perbendaharaan"
