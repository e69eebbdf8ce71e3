from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "digipay.notifications"
    label = "notifications"
    verbose_name = "Notifikasi"

    def ready(self) -> None:
        # Periodic job: re-enqueue e-mails whose task was lost or failed (docs/adr/0012).
        from digipay.notifications import jobs  # noqa: F401
