from datetime import timedelta

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "digipay.orders"
    label = "orders"
    verbose_name = "Pesanan"

    def ready(self) -> None:
        from digipay.orders import notices, services
        from digipay.worker.registry import periodic

        # The scheduler (``digipay worker``): auto-cancel and the reminders before it.
        periodic("orders.auto_cancel", every=timedelta(minutes=5))(services.auto_cancel_overdue)
        periodic("orders.deadline_reminders", every=timedelta(hours=1))(
            notices.send_deadline_reminders
        )
