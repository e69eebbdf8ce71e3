"""``digipay audit verify``: recompute every tenant's hash chain and report the first break."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from digipay.audit import queries


class Command(BaseCommand):
    help = "Audit log tools. 'verify' recomputes the per-tenant hash chains."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = queries.verify_all()
        if broken:
            for link in broken:
                self.stderr.write(
                    f"RUSAK tenant={link.tenant_id} seq={link.seq} "
                    f"event={link.event_id}: {link.reason}"
                )
            raise CommandError(f"{len(broken)} dari {checked} rantai audit rusak.")
        self.stdout.write(self.style.SUCCESS(f"OK: {checked} rantai audit utuh."))
