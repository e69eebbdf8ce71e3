from datetime import timedelta

from django.apps import AppConfig


class CardbillsConfig(AppConfig):
    name = "digipay.cardbills"
    label = "cardbills"
    verbose_name = "Tagihan KKP"

    def ready(self) -> None:
        from digipay.cardbills import services
        from digipay.payments import services as payments
        from digipay.payments.rules import Purpose
        from digipay.worker.registry import periodic

        # A card bill's transfer settled: mark the bill paid and free the card's limit.
        payments.on_transfer_settled(Purpose.CARD_BILL, services._transfer_settled)
        # Last month's bill of every card, once; the job runs every 6 hours so that a bank
        # that was down on the 1st is asked again the same day (a stored bill is not re-asked).
        periodic("cardbills.fetch_bills", every=timedelta(hours=6))(services.fetch_due_bills)
        # Overdue bills: a reminder to the Bendahara and the PPK once a day.
        periodic("cardbills.remind_overdue", every=timedelta(days=1))(services.remind_overdue)
