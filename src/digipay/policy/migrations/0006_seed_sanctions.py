"""The replenishment-age sanction (DOMAIN.md §5, configurable): no GUP for 2 months after the
UP was given → the KPPN warns; one more month → the UP is cut by 25%."""

from datetime import date

from django.db import migrations

ROWS = [
    ("SANCTION_WARNING_MONTHS", 2, 1, "MONTHS", "Peringatan KPPN: 2 bulan tanpa GUP sejak UP"),
    ("SANCTION_CUT_MONTHS", 3, 1, "MONTHS", "Pemotongan UP: 3 bulan tanpa GUP sejak UP"),
    ("SANCTION_CUT_RATIO", 1, 4, "RATIO", "UP dipotong 25% (DOMAIN.md §5)"),
]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    rule = apps.get_model("policy", "PolicyRule")
    for key, numerator, denominator, unit, basis in ROWS:
        rule.objects.create(
            key=key,
            numerator=numerator,
            denominator=denominator,
            unit=unit,
            valid_from=date(2024, 1, 1),
            legal_basis=basis,
        )


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("policy", "PolicyRule").objects.filter(key__in=[r[0] for r in ROWS]).delete()


class Migration(migrations.Migration):
    dependencies = [("policy", "0005_sanction_keys")]
    operations = [migrations.RunPython(forward, backward)]
