from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "digipay.ledger"
    label = "ledger"
    verbose_name = "Buku besar"
