from datetime import timedelta

from django.apps import AppConfig


class BooksConfig(AppConfig):
    name = "digipay.books"
    label = "books"
    verbose_name = "Pembukuan"

    def ready(self) -> None:
        from digipay.books import queries, services
        from digipay.replenishment.services import on_spm_check
        from digipay.worker.registry import periodic

        # A late LPJ blocks the satker's next SPM (GUP, GUP KKP, TUP) until it is submitted.
        on_spm_check(queries.spm_check)

        # The daily three-way reconciliation of every treasurer account (the last few days:
        # a re-run finds its cases again, a later run catches what became late).
        periodic("books.reconcile", every=timedelta(days=1), lease=timedelta(minutes=30))(
            services.reconcile_all
        )
