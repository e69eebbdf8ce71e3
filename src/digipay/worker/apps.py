from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "digipay.worker"
    label = "worker"
    verbose_name = "Worker"

    def ready(self) -> None:
        # The worker's own housekeeping job (pruning its tables and finished task results).
        from digipay.worker import jobs  # noqa: F401
