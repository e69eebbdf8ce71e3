"""Reference data every installation needs: the 38 provinces (Kemendagri codes), DJPb, banks."""

from django.db import migrations

PROVINCES = [
    ("11", "Aceh"),
    ("12", "Sumatera Utara"),
    ("13", "Sumatera Barat"),
    ("14", "Riau"),
    ("15", "Jambi"),
    ("16", "Sumatera Selatan"),
    ("17", "Bengkulu"),
    ("18", "Lampung"),
    ("19", "Kepulauan Bangka Belitung"),
    ("21", "Kepulauan Riau"),
    ("31", "DKI Jakarta"),
    ("32", "Jawa Barat"),
    ("33", "Jawa Tengah"),
    ("34", "DI Yogyakarta"),
    ("35", "Jawa Timur"),
    ("36", "Banten"),
    ("51", "Bali"),
    ("52", "Nusa Tenggara Barat"),
    ("53", "Nusa Tenggara Timur"),
    ("61", "Kalimantan Barat"),
    ("62", "Kalimantan Tengah"),
    ("63", "Kalimantan Selatan"),
    ("64", "Kalimantan Timur"),
    ("65", "Kalimantan Utara"),
    ("71", "Sulawesi Utara"),
    ("72", "Sulawesi Tengah"),
    ("73", "Sulawesi Selatan"),
    ("74", "Sulawesi Tenggara"),
    ("75", "Gorontalo"),
    ("76", "Sulawesi Barat"),
    ("81", "Maluku"),
    ("82", "Maluku Utara"),
    ("91", "Papua"),
    ("92", "Papua Barat"),
    ("93", "Papua Selatan"),
    ("94", "Papua Tengah"),
    ("95", "Papua Pegunungan"),
    ("96", "Papua Barat Daya"),
]

# Bank codes of Bank Indonesia's clearing list: the four Himbara banks and common others
# (for interbank transfers to vendors' accounts).
BANKS = [
    ("002", "Bank Rakyat Indonesia (BRI)"),
    ("008", "Bank Mandiri"),
    ("009", "Bank Negara Indonesia (BNI)"),
    ("200", "Bank Tabungan Negara (BTN)"),
    ("014", "Bank Central Asia (BCA)"),
    ("022", "Bank CIMB Niaga"),
    ("013", "Bank Permata"),
    ("451", "Bank Syariah Indonesia (BSI)"),
    ("011", "Bank Danamon"),
    ("110", "Bank BJB"),
    ("111", "Bank DKI"),
    ("114", "Bank Jatim"),
]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    Province = apps.get_model("accounts", "Province")
    Organisation = apps.get_model("accounts", "Organisation")
    Province.objects.bulk_create([Province(code=c, name=n) for c, n in PROVINCES])
    Organisation.objects.create(
        kind="DJPB",
        code="DJPB",
        name="Direktorat Jenderal Perbendaharaan",
        address="Gedung Prijadi Praptosuhardjo, Jl. Budi Utomo No. 6, Jakarta Pusat",
    )
    Organisation.objects.bulk_create([Organisation(kind="BANK", code=c, name=n) for c, n in BANKS])


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("accounts", "Organisation").objects.filter(kind__in=["DJPB", "BANK"]).delete()
    apps.get_model("accounts", "Province").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
