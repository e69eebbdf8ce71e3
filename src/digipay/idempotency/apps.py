from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    name = "digipay.idempotency"
    label = "idempotency"
    verbose_name = "Kunci idempotensi"

    def ready(self) -> None:
        from digipay.idempotency import services

        # Refuse a retention shorter than the promise made to API clients (24 h).
        services.retention()
        # Periodic job: delete expired records (docs/adr/0018).
        from digipay.idempotency import jobs  # noqa: F401
