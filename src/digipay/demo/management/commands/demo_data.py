"""``digipay demo-data``: load the demo organisations and users, then print the logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from digipay import demo as demo_set
from digipay.accounts import demo


class Command(BaseCommand):
    help = "Load the demo data set (idempotent) and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        created = demo_set.load()
        self.stdout.write("Data demo dimuat." if created else "Data demo sudah ada.")
        c = demo_set.counts()
        self.stdout.write(
            f"{c['vendors_verified']} vendor terverifikasi, {c['vendors_pending']} menunggu "
            f"verifikasi, {c['vendors_rejected']} ditolak; {c['products']} produk "
            f"({c['products_listed']} tayang), {c['product_images']} gambar; "
            f"{c['bank_accounts_verified']}/{c['bank_accounts']} rekening vendor "
            "terverifikasi bank."
        )
        self.stdout.write("")
        self.stdout.write(f"Kata sandi semua akun demo: {demo.DEMO_PASSWORD}")
        self.stdout.write(
            f"Kunci TOTP akun 2FA (tambahkan ke aplikasi autentikator): {demo.DEMO_TOTP_BASE32}"
        )
        self.stdout.write("Kode TOTP saat ini: digipay demo-totp")
        self.stdout.write("")
        for login in demo.logins():
            flag = " [2FA]" if login.two_factor else ""
            self.stdout.write(f"  {login.email:<44} {login.role:<22} {login.organisation}{flag}")
