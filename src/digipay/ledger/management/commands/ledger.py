"""``digipay ledger verify``: check every ledger invariant against the rows."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from digipay.ledger import queries


class Command(BaseCommand):
    help = "Ledger tools. 'verify' checks balances, holds and every posting."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        problems = queries.validate_ledger()
        if problems:
            for problem in problems:
                self.stderr.write(f"RUSAK [{problem.check}] {problem.detail}")
            raise CommandError(f"{len(problems)} pelanggaran invarian buku besar.")
        self.stdout.write(self.style.SUCCESS("OK: buku besar seimbang dan konsisten."))
