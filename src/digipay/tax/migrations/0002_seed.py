"""The tax rules of DOMAIN.md §6 as the first rows, from 1 April 2022 (PPN 11%).

PPN per collector channel: the Bendahara collects it unless the payment is at most Rp2,000,000
including PPN (and not split); an appointed marketplace (PIHAK_LAIN) always collects it; on a
KKP payment nobody collects it and the PKP accounts for it itself. Rates by period: 11% of the
price until 2024-12-31; from 2025-01-01 12% of DPP nilai lain 11/12 (= 11% of the price); luxury
goods 12% of the price from 2025-02-01, and in January 2025 (the transition of PMK 131/2024)
12% of DPP nilai lain 11/12 like other goods. PPh 22 1.5% (3% without NPWP) by the Bendahara
with the Rp2 juta floor (excluding PPN), 0.5% by PIHAK_LAIN, none on KKP payments; PPh 23 2%
(4% without NPWP) on services on every channel; PPh final 0.5% for a vendor with a valid Suket
PPh Final, in place of PPh 22/23 and withheld where they would be (on a KKP goods payment the
vendor pays it itself).
"""

from datetime import date

from django.db import migrations

START = date(2022, 4, 1)
PPN_11_END = date(2024, 12, 31)
PPN_12 = date(2025, 1, 1)
LUXURY_TRANSITION_END = date(2025, 1, 31)
LUXURY_12 = date(2025, 2, 1)

PPN_BASIS = {
    "BENDAHARA": "PMK 231/2019 s.t.d.d. PMK 59/2022: Bendahara memungut PPN kecuali pembayaran paling banyak Rp2.000.000 termasuk PPN dan tidak dipecah (PKP menyetor sendiri)",
    "PIHAK_LAIN": "PMK 58/2022: PPN dipungut oleh pihak lain yang ditunjuk",
    "KKP": "PMK 231/2019 s.t.d.d. PMK 59/2022 Pasal 18(1)(b): PPN tidak dipungut atas pembayaran dengan KKP; PKP menyetor sendiri",
}
PPN_CHANNEL = {
    # collector: (threshold_idr, threshold_basis, collected)
    "BENDAHARA": (2_000_000, "INCL_PPN", True),
    "PIHAK_LAIN": (None, "EXCL_PPN", True),
    "KKP": (None, "EXCL_PPN", False),
}
PPN_PERIODS = [
    # kind, luxury, rate, base fraction, valid_from, valid_to, rate basis
    (
        "ALL",
        "ANY",
        (11, 100),
        (1, 1),
        START,
        PPN_11_END,
        "UU 7/2021 (HPP): PPN 11% sejak 1 April 2022",
    ),
    (
        "ALL",
        "NON_LUXURY",
        (12, 100),
        (11, 12),
        PPN_12,
        None,
        "PMK 131/2024: PPN 12% × DPP nilai lain 11/12 untuk selain barang mewah",
    ),
    (
        "GOODS",
        "LUXURY",
        (12, 100),
        (11, 12),
        PPN_12,
        LUXURY_TRANSITION_END,
        "PMK 131/2024: masa peralihan Januari 2025, barang mewah 12% × DPP nilai lain 11/12",
    ),
    (
        "GOODS",
        "LUXURY",
        (12, 100),
        (1, 1),
        LUXURY_12,
        None,
        "PMK 131/2024: barang mewah 12% × harga jual sejak 1 Februari 2025",
    ),
]

PPH22_BENDAHARA = "PMK 231/2019 s.t.d.d. PMK 59/2022: PPh 22 1,5% (3% tanpa NPWP) dari harga tidak termasuk PPN; tidak dipungut bila pembayaran paling banyak Rp2.000.000 tidak termasuk PPN dan tidak dipecah; tidak dipungut atas pembayaran KKP (Pasal 12(2)(b))"
PPH22_PIHAK_LAIN = (
    "PMK 58/2022: PPh 22 0,5% dari nilai transaksi tidak termasuk PPN, dipungut pihak lain"
)
PPH23 = "UU PPh Pasal 23: 2% dari bruto tidak termasuk PPN atas jasa (4% tanpa NPWP), juga bila dibayar dengan KKP"
FINAL = "PP 55/2022: PPh final 0,5% dari bruto tidak termasuk PPN bagi UMKM pemegang Suket PPh Final, menggantikan PPh 22/23"
FINAL_BENDAHARA_GOODS = "PP 55/2022: PPh final 0,5% menggantikan PPh 22; seperti PPh 22 tidak dipotong Bendahara bila pembayaran paling banyak Rp2.000.000 tidak termasuk PPN dan tidak dipecah (UMKM menyetor sendiri)"
FINAL_KKP_GOODS = "PP 55/2022; PMK 59/2022 Pasal 12(2)(b): tidak dipungut atas pembelian barang dengan KKP; UMKM menyetor sendiri"


def _rows():  # type: ignore[no-untyped-def]
    rows = []
    for collector, (threshold, basis, collected) in PPN_CHANNEL.items():
        for kind, luxury, rate, base, start, end, rate_basis in PPN_PERIODS:
            rows.append(
                {
                    "tax": "PPN",
                    "collector": collector,
                    "kind": kind,
                    "luxury": luxury,
                    "rate_numerator": rate[0],
                    "rate_denominator": rate[1],
                    "base_numerator": base[0],
                    "base_denominator": base[1],
                    "threshold_idr": threshold,
                    "threshold_basis": basis,
                    "collected": collected,
                    "valid_from": start,
                    "valid_to": end,
                    "legal_basis": f"{rate_basis}. {PPN_BASIS[collector]}",
                }
            )
    rows.append(
        {
            "tax": "PPH22",
            "collector": "BENDAHARA",
            "kind": "GOODS",
            "luxury": "ANY",
            "rate_numerator": 3,
            "rate_denominator": 200,
            "rate_no_npwp_numerator": 3,
            "rate_no_npwp_denominator": 100,
            "threshold_idr": 2_000_000,
            "threshold_basis": "EXCL_PPN",
            "valid_from": START,
            "legal_basis": PPH22_BENDAHARA,
        }
    )
    rows.append(
        {
            "tax": "PPH22",
            "collector": "PIHAK_LAIN",
            "kind": "GOODS",
            "luxury": "ANY",
            "rate_numerator": 1,
            "rate_denominator": 200,
            "valid_from": START,
            "legal_basis": PPH22_PIHAK_LAIN,
        }
    )
    for collector in ("BENDAHARA", "PIHAK_LAIN", "KKP"):
        rows.append(
            {
                "tax": "PPH23",
                "collector": collector,
                "kind": "SERVICES",
                "luxury": "ANY",
                "rate_numerator": 2,
                "rate_denominator": 100,
                "rate_no_npwp_numerator": 4,
                "rate_no_npwp_denominator": 100,
                "valid_from": START,
                "legal_basis": PPH23,
            }
        )
    for collector, kind, threshold, collected, basis in (
        ("BENDAHARA", "GOODS", 2_000_000, True, FINAL_BENDAHARA_GOODS),
        ("BENDAHARA", "SERVICES", None, True, FINAL),
        ("PIHAK_LAIN", "ALL", None, True, FINAL),
        ("KKP", "SERVICES", None, True, FINAL),
        ("KKP", "GOODS", None, False, FINAL_KKP_GOODS),
    ):
        rows.append(
            {
                "tax": "PPH_FINAL",
                "collector": collector,
                "kind": kind,
                "luxury": "ANY",
                "rate_numerator": 1,
                "rate_denominator": 200,
                "threshold_idr": threshold,
                "threshold_basis": "EXCL_PPN",
                "collected": collected,
                "valid_from": START,
                "legal_basis": basis,
            }
        )
    return rows


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    TaxRule = apps.get_model("tax", "TaxRule")
    TaxRule.objects.bulk_create([TaxRule(**row) for row in _rows()])


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("tax", "TaxRule").objects.filter(created_by_id__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("tax", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
