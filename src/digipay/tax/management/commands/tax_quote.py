"""``digipay tax-quote``: read one JSON case on stdin, print the JSON quote on stdout.

The same path as ``POST /api/v1/tax/quote`` (``services.quote_json``). Bad input: the message
(Bahasa Indonesia, naming the field) on stderr and exit status 2.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from digipay.core.errors import DomainError
from digipay.tax import services


class Command(BaseCommand):
    help = (
        "Quote the taxes of one invoice: reads a JSON case on stdin "
        '({"date", "collector", "vendor", "lines", "split"}) and prints the JSON result.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file",
            default="-",
            help="Read the case from this file instead of stdin ('-': stdin).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        try:
            if path == "-":
                raw = sys.stdin.read()
            else:
                with open(path, encoding="utf-8") as handle:
                    raw = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            self.stderr.write(_("Gagal membaca kasus pajak: %(error)s") % {"error": exc})
            raise SystemExit(2) from exc
        try:
            result = services.quote_json(raw)
        except DomainError as exc:
            self.stderr.write(
                _("Kasus pajak ditolak (%(code)s): %(message)s")
                % {"code": exc.code, "message": exc.message}
            )
            raise SystemExit(2) from exc
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
