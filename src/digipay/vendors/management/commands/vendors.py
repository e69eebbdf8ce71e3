"""``digipay vendors suket-reminders``: e-mail vendors whose Suket PPh Final ends within 30
days (once per Suket; run daily from the scheduler)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from digipay.vendors import services


class Command(BaseCommand):
    help = "Vendor housekeeping. 'suket-reminders' e-mails vendors whose Suket is expiring."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["suket-reminders"])

    def handle(self, *args: Any, **options: Any) -> None:
        sent = services.send_suket_reminders()
        self.stdout.write(f"{sent} pengingat Suket PPh Final dikirim.")
