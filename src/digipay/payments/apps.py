from datetime import timedelta

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "digipay.payments"
    label = "payments"
    verbose_name = "Pembayaran"

    def ready(self) -> None:
        from digipay.payments import services
        from digipay.worker.registry import periodic

        # The outbox: bank instructions written by payments are sent every 10 seconds.
        periodic("payments.send_instructions", every=timedelta(seconds=10))(
            services.send_due_instructions
        )
