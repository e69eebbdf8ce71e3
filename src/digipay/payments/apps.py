from datetime import timedelta

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "digipay.payments"
    label = "payments"
    verbose_name = "Pembayaran"

    def ready(self) -> None:
        from digipay.invoicing import queries as invoicing_queries
        from digipay.payments import deposits, queries, refunds, services
        from digipay.payments.rules import Purpose
        from digipay.worker.registry import periodic

        # No credit note may change an invoice while the bank is paying it.
        invoicing_queries.on_payment_check(queries.invoice_being_paid)
        # The outbox: bank instructions written by payments are sent every 10 seconds.
        periodic("payments.send_instructions", every=timedelta(seconds=10))(
            services.send_due_instructions
        )
        # Tax deposits: billing code, transfer (through the outbox), NTPN.
        services.on_transfer_settled(Purpose.TAX_DEPOSIT, deposits.on_settled)
        periodic("payments.advance_deposits", every=timedelta(seconds=10))(
            deposits.advance_deposits
        )
        # Refunds: credits on the treasurer's statement quoting a refund reference.
        periodic("payments.match_refunds", every=timedelta(seconds=30))(refunds.match_refunds)
