from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "digipay.invoicing"
    label = "invoicing"
    verbose_name = "Tagihan"

    def ready(self) -> None:
        from digipay.invoicing import services
        from digipay.orders import services as order_services

        # Every BAST makes its invoice, inside the transaction that records the receipt.
        order_services.on_receipt(services.on_receipt)
