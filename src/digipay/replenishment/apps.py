from datetime import timedelta

from django.apps import AppConfig


class ReplenishmentConfig(AppConfig):
    name = "digipay.replenishment"
    label = "replenishment"
    verbose_name = "Penggantian UP"

    def ready(self) -> None:
        from digipay.payments import refunds
        from digipay.replenishment import services
        from digipay.worker.registry import periodic

        # SPMs waiting on SPAN: submissions to settle, decisions and SP2D credits to read back
        # (UP is restored when SPAN reports the credit CREDITED).
        periodic("replenishment.poll_span", every=timedelta(seconds=30))(services.poll_span)
        # The replenishment-age sanctions: warnings and cuts, told once per episode.
        periodic("replenishment.check_sanctions", every=timedelta(days=1))(services.daily_sanctions)
        # No refund in Digipay for an invoice already in a live SPM (SSPB outside Digipay).
        refunds.on_refund_check(services.refund_check)
