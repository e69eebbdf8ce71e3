"""Reference data from the migrations, the demo data command and the ``digipay`` CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from digipay import demo as demo_set
from digipay.accounts import demo
from digipay.accounts.models import Organisation, Province, User
from digipay.accounts.rules import OrgKind
from digipay.catalog.models import ProductImage
from digipay.vendors.models import Vendor


def test_38_provinces_and_the_himbara_banks_are_seeded(db: None) -> None:
    assert Province.objects.count() == 38
    assert Province.objects.get(code="31").name == "DKI Jakarta"
    assert Province.objects.get(code="96").name == "Papua Barat Daya"
    banks = dict(Organisation.objects.filter(kind=OrgKind.BANK).values_list("code", "name"))
    for code, name in (("002", "BRI"), ("008", "Mandiri"), ("009", "BNI"), ("200", "BTN")):
        assert name in banks[code]
    assert Organisation.objects.filter(kind=OrgKind.DJPB).count() == 1


def test_demo_data_is_idempotent_and_prints_the_logins(db: None) -> None:
    out = StringIO()
    call_command("demo_data", stdout=out)
    first = out.getvalue()
    assert "Data demo dimuat." in first
    assert demo.DEMO_PASSWORD in first
    assert demo.DEMO_TOTP_BASE32 in first
    assert "admin@415256.demo.digipay.id" in first
    users = User.objects.count()
    # The full set (issue 5): about twenty verified vendors across the demo provinces, 300+
    # products with images, one vendor pending and one rejected.
    counts = demo_set.counts()
    assert counts["vendors_verified"] >= 20
    assert counts["vendors_pending"] == 1
    assert counts["vendors_rejected"] == 1
    assert counts["products"] >= 300
    assert ProductImage.objects.values("product").distinct().count() >= 300
    assert Vendor.objects.values("province").distinct().count() >= 5
    assert f"{counts['products']} produk" in first
    # Orders in every state (digipay.orders.demo; tests/integration/orders/test_demo_orders.py
    # checks them in detail), and who has work waiting.
    assert counts["orders"] >= 30
    assert f"{counts['orders']} pesanan (" in first
    assert f"{counts['orders_menunggu_ppk']} Menunggu Persetujuan PPK" in first
    assert counts["bast"] >= 5
    assert counts["cart_lines"] >= 3
    assert "pesanan menunggu" in first
    assert "baris di keranjang" in first
    out = StringIO()
    call_command("demo_data", stdout=out)
    assert "Data demo sudah ada." in out.getvalue()
    assert User.objects.count() == users
    assert demo_set.counts() == counts
    # Three satkers with the five operational roles, an admin and (for SPMs) a PPSPM each.
    for code in ("415256", "652840", "527010"):
        roles = set(User.objects.filter(organisation__code=code).values_list("role", flat=True))
        assert roles == {
            "SATKER_ADMIN",
            "PEMESAN",
            "PEJABAT_PENGADAAN",
            "PPK",
            "PENERIMA_BARANG",
            "BENDAHARA",
            "PPSPM",
        }


def test_the_small_world_has_no_demo_orders(world: dict[str, Any]) -> None:
    # The tests' world (full=False) makes no orders: the tests make the orders they need.
    counts = demo_set.counts()
    assert counts["orders"] == counts["bast"] == counts["cart_lines"] == 0
    assert demo_set.waiting() == {}


def test_demo_totp_prints_the_current_code(world: dict[str, Any]) -> None:
    from tests.conftest import current_totp

    out = StringIO()
    call_command("demo_totp", stdout=out)
    assert out.getvalue().split()[0] in {current_totp()}


@pytest.mark.parametrize("argv", [["demo-totp"], ["audit", "--help"]])
def test_the_digipay_console_script_maps_hyphenated_commands(
    argv: list[str], tmp_path: Any
) -> None:
    env = {
        **os.environ,
        "DIGIPAY_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "",
        "DIGIPAY_ALLOW_DEV_SECRET": "1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "digipay.cli", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_production_settings_refuse_the_published_secret(tmp_path: Any) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DIGIPAY_ALLOW_DEV_SECRET", "DEBUG", "SECRET_KEY"}
    }
    env["DIGIPAY_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", "import digipay.config.settings"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
