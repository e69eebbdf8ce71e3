"""``digipay create-djpb-admin``: the first national admin of a new installation."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from digipay.accounts import services
from digipay.core.errors import DomainError


class Command(BaseCommand):
    help = "Create the first DJPb admin (asks for the password)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--nik", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        password = getpass.getpass("Kata sandi: ")
        try:
            user = services.bootstrap_djpb_admin(
                email=options["email"],
                full_name=options["name"],
                nik=options["nik"],
                password=password,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Admin DJPb dibuat: {user.email}. Aktifkan 2FA saat pertama masuk.")
