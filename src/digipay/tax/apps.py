from django.apps import AppConfig


class TaxConfig(AppConfig):
    name = "digipay.tax"
    label = "tax"
    verbose_name = "Pajak"
