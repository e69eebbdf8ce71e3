from datetime import timedelta

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "digipay.integrations"
    label = "integrations"
    verbose_name = "Integrasi"

    def ready(self) -> None:
        from digipay.integrations import services
        from digipay.worker.registry import periodic

        periodic("integrations.process_pending", every=timedelta(minutes=1))(
            services.process_received
        )
