"""Split purchases are blocked by default (DOMAIN.md §7: "blocked or flagged")."""

from datetime import date

from django.db import migrations


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("policy", "PolicyRule").objects.create(
        key="SPLIT_BLOCKS",
        numerator=1,
        denominator=1,
        unit="COUNT",
        valid_from=date(2024, 1, 1),
        legal_basis=(
            "Pemecahan transaksi untuk menghindari batas diblokir; 0 = hanya ditandai untuk PPK "
            "dan KPPN (DOMAIN.md §7)"
        ),
    )


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("policy", "PolicyRule").objects.filter(key="SPLIT_BLOCKS").delete()


class Migration(migrations.Migration):
    dependencies = [("policy", "0003_split_blocks_key")]
    operations = [migrations.RunPython(forward, backward)]
