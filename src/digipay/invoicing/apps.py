from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "digipay.invoicing"
    label = "invoicing"
    verbose_name = "Tagihan"

    def ready(self) -> None:
        from digipay.invoicing import documents, services
        from digipay.orders import documents as order_documents
        from digipay.orders import services as order_services

        # Every BAST makes its invoice, inside the transaction that records the receipt.
        order_services.on_receipt(services.on_receipt)
        # Invoices, kuitansi, SPBy and slips can be checked on the public page too.
        order_documents.register_checker(documents.public_facts)
