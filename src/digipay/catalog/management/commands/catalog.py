"""``digipay catalog reindex``: rebuild the search side tables (the lexicon everywhere, the
FTS5 rows on SQLite) from the products, e.g. after a bulk load outside the services."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from digipay.catalog import search
from digipay.catalog.models import Product


class Command(BaseCommand):
    help = "Catalog maintenance. 'reindex' rebuilds the search lexicon (and FTS5 on SQLite)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["reindex"])
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args: Any, **options: Any) -> None:
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
