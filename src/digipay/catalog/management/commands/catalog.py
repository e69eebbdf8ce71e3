"""``digipay catalog reindex``: rebuild the search side tables (the lexicon everywhere, the
FTS5 rows on SQLite) from the products, e.g. after a bulk load outside the services.

``digipay catalog purge-imports``: delete checked import files whose import was never
confirmed (the import page keeps the checked file between the dry run and "Impor sekarang");
run daily from the scheduler."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from digipay.catalog import search, services
from digipay.catalog.models import Product


class Command(BaseCommand):
    help = "Catalog maintenance. 'reindex' rebuilds the search lexicon (and FTS5 on SQLite)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["reindex", "purge-imports"])
        parser.add_argument("--batch", type=int, default=2000)
        parser.add_argument("--older-than-hours", type=int, default=24)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "purge-imports":
            self._purge(options["older_than_hours"])
            return
        batch: int = options["batch"]
        last, total = 0, 0
        while True:
            products = list(
                Product.objects.filter(pk__gt=last)
                .order_by("pk")
                .only("id", "name", "vendor_name", "description")[:batch]
            )
            if not products:
                break
            with transaction.atomic():
                search.index_products(products)
            last, total = products[-1].pk, total + len(products)
        self.stdout.write(f"{total} produk diindeks ulang.")

    def _purge(self, hours: int) -> None:
        removed = services.purge_imports(older_than=timedelta(hours=hours))
        self.stdout.write(f"{removed} berkas impor lama dihapus.")
