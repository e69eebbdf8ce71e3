from datetime import timedelta

from django.apps import AppConfig


class VendorsConfig(AppConfig):
    name = "digipay.vendors"
    label = "vendors"
    verbose_name = "Vendor"

    def ready(self) -> None:
        from digipay.vendors import services
        from digipay.worker.registry import periodic

        # Vendors hear 30 days ahead that their Suket PPh Final ends (once per Suket).
        periodic("vendors.suket_reminders", every=timedelta(days=1))(services.remind_suket_expiry)
