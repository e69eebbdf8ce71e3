"""The values of DOMAIN.md §5–§7 as the first rows (valid from 1 January 2024)."""

from datetime import date

from django.db import migrations

SEED = [
    # key, numerator, denominator, unit, legal basis
    (
        "PAYMENT_LIMIT_GENERAL",
        50_000_000,
        1,
        "IDR",
        "Pembayaran UP kepada satu penerima paling banyak Rp50 juta (DOMAIN.md §7)",
    ),
    (
        "PAYMENT_LIMIT_DIGIPAY_UMKM_PDN",
        200_000_000,
        1,
        "IDR",
        "Digipay, UMKM mikro/kecil, produk dalam negeri: Rp200 juta per penerima (DOMAIN.md §7)",
    ),
    (
        "UP_CEILING",
        500_000_000,
        1,
        "IDR",
        "UP paling banyak Rp500 juta kecuali disetujui Kanwil (DOMAIN.md §5)",
    ),
    (
        "UP_MAX_FRACTION",
        1,
        12,
        "RATIO",
        "UP paling banyak 1/12 pagu yang dapat dibayarkan melalui UP (DOMAIN.md §5)",
    ),
    ("KKP_SHARE", 2, 5, "RATIO", "Komposisi bawaan 60% UP Tunai / 40% UP KKP (DOMAIN.md §5)"),
    (
        "GUP_THRESHOLD",
        1,
        2,
        "RATIO",
        "GUP Tunai setelah UP Tunai terpakai paling sedikit 50% (DOMAIN.md §5)",
    ),
    (
        "AUTO_CANCEL_PPK_WORKDAYS",
        3,
        1,
        "WORKDAYS",
        "Pesanan batal bila PPK tidak menanggapi 3 hari kerja (DOMAIN.md §4)",
    ),
    (
        "AUTO_CANCEL_VENDOR_DAYS",
        5,
        1,
        "DAYS",
        "Pesanan batal bila vendor tidak menanggapi 5 hari (DOMAIN.md §4)",
    ),
    (
        "NEGO_MAX_ROUNDS",
        2,
        1,
        "COUNT",
        "Paling banyak 2 putaran negosiasi per pihak (DOMAIN.md §4)",
    ),
]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    PolicyRule = apps.get_model("policy", "PolicyRule")
    PolicyRule.objects.bulk_create(
        [
            PolicyRule(
                key=k,
                numerator=n,
                denominator=d,
                unit=u,
                valid_from=date(2024, 1, 1),
                legal_basis=b,
            )
            for k, n, d, u, b in SEED
        ]
    )


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("policy", "PolicyRule").objects.filter(valid_from=date(2024, 1, 1)).delete()


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
