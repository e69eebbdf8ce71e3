"""``digipay demo-data``: load the demo organisations and users, then print the logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from digipay import demo as demo_set
from digipay.accounts import demo
from digipay.orders.rules import OrderState


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
        if c["orders"]:
            states = ", ".join(
                f"{c[f'orders_{state.lower()}']} {label}"
                for state, label in OrderState.choices
                if c[f"orders_{state.lower()}"]
            )
            self.stdout.write(
                f"{c['orders']} pesanan ({states}); {c['bast']} BAST; "
                f"{c['cart_lines']} baris keranjang."
            )
        self.stdout.write("")
        self.stdout.write(f"Kata sandi semua akun demo: {demo.DEMO_PASSWORD}")
        self.stdout.write(
            f"Kunci TOTP akun 2FA (tambahkan ke aplikasi autentikator): {demo.DEMO_TOTP_BASE32}"
        )
        self.stdout.write("Kode TOTP saat ini: digipay demo-totp")
        self.stdout.write("")
        waiting = demo_set.waiting()
        for login in demo.logins():
            flag = " [2FA]" if login.two_factor else ""
            work = f" — {waiting[login.email]}" if login.email in waiting else ""
            self.stdout.write(
                f"  {login.email:<44} {login.role:<22} {login.organisation}{flag}{work}"
            )
