from datetime import timedelta

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "digipay.catalog"
    label = "catalog"
    verbose_name = "Katalog"

    def ready(self) -> None:
        from digipay.catalog import services
        from digipay.vendors import services as vendor_services
        from digipay.worker.registry import periodic

        # Products follow their vendor's status and name (docs/adr/0011).
        vendor_services.on_vendor_changed(services.sync_vendor_listing)
        # Checked import files whose import was never confirmed, after a day.
        periodic("catalog.purge_imports", every=timedelta(days=1))(services.purge_stale_imports)
