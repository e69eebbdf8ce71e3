"""``digipay demo-totp``: the current 6-digit code for the demo TOTP key."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django_otp.oath import totp

from digipay.accounts import demo


class Command(BaseCommand):
    help = "Print the current TOTP code of the demo key (demo only)."

    def handle(self, *args: Any, **options: Any) -> None:
        code = totp(bytes.fromhex(demo.DEMO_TOTP_KEY_HEX), step=30, t0=0, digits=6)
        remaining = 30 - int(time.time()) % 30
        self.stdout.write(f"{code:06d}  (berlaku {remaining} detik lagi)")
