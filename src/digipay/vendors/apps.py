from django.apps import AppConfig


class VendorsConfig(AppConfig):
    name = "digipay.vendors"
    label = "vendors"
    verbose_name = "Vendor"
