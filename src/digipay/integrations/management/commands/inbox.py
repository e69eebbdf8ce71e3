"""``digipay inbox process``: process bank notifications that are stored but not yet applied."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from digipay.integrations import services


class Command(BaseCommand):
    help = "Bank notification inbox. 'process' applies stored notifications (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["process"])

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        while batch := services.process_pending():
            total += batch
        self.stdout.write(f"{total} notifikasi diproses.")
