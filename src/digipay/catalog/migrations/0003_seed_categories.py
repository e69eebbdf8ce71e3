"""The seed category tree for government office purchasing (DJPb may extend it)."""

from django.db import migrations

GOODS, SERVICES = "GOODS", "SERVICES"

TREE = [
    (
        "ATK",
        "Alat tulis kantor",
        GOODS,
        [
            ("ATK-KERTAS", "Kertas dan amplop"),
            ("ATK-TULIS", "Alat tulis"),
            ("ATK-ARSIP", "Map, ordner dan pengarsipan"),
            ("ATK-TINTA", "Tinta, toner dan pita printer"),
            ("ATK-PERLENGKAPAN", "Perlengkapan meja kantor"),
        ],
    ),
    (
        "PERALATAN",
        "Peralatan kantor",
        GOODS,
        [
            ("PERALATAN-ELEKTRONIK", "Elektronik kantor"),
            ("PERALATAN-PENDINGIN", "Pendingin dan kipas angin"),
            ("PERALATAN-KEAMANAN", "Peralatan keamanan dan APAR"),
        ],
    ),
    (
        "TIK",
        "Teknologi informasi",
        GOODS,
        [
            ("TIK-KOMPUTER", "Komputer dan laptop"),
            ("TIK-PRINTER", "Printer dan pemindai"),
            ("TIK-AKSESORI", "Aksesori komputer"),
            ("TIK-JARINGAN", "Perangkat jaringan"),
            ("TIK-PENYIMPANAN", "Media penyimpanan"),
        ],
    ),
    (
        "MEBEL",
        "Mebel dan perabot",
        GOODS,
        [
            ("MEBEL-MEJA", "Meja"),
            ("MEBEL-KURSI", "Kursi"),
            ("MEBEL-LEMARI", "Lemari dan rak"),
        ],
    ),
    (
        "KONSUMSI",
        "Makanan, minuman dan katering",
        GOODS,
        [
            ("KONSUMSI-NASI", "Nasi kotak dan prasmanan"),
            ("KONSUMSI-SNACK", "Kue dan makanan ringan"),
            ("KONSUMSI-MINUMAN", "Air minum dan minuman"),
        ],
    ),
    (
        "KEBERSIHAN",
        "Kebersihan dan rumah tangga",
        GOODS,
        [
            ("KEBERSIHAN-PEMBERSIH", "Cairan pembersih"),
            ("KEBERSIHAN-ALAT", "Alat kebersihan"),
            ("KEBERSIHAN-TISU", "Tisu dan perlengkapan toilet"),
        ],
    ),
    (
        "CETAK",
        "Percetakan dan penggandaan",
        SERVICES,
        [
            ("CETAK-DOKUMEN", "Cetak dan fotokopi dokumen"),
            ("CETAK-PROMOSI", "Spanduk, banner dan media promosi"),
            ("CETAK-JILID", "Penjilidan"),
        ],
    ),
    (
        "PEMELIHARAAN",
        "Jasa pemeliharaan",
        SERVICES,
        [
            ("PEMELIHARAAN-AC", "Servis AC"),
            ("PEMELIHARAAN-GEDUNG", "Perbaikan gedung dan instalasi"),
            ("PEMELIHARAAN-KENDARAAN", "Servis kendaraan dinas"),
            ("PEMELIHARAAN-TIK", "Servis komputer dan printer"),
        ],
    ),
    (
        "JASA",
        "Jasa lainnya",
        SERVICES,
        [
            ("JASA-KEBERSIHAN", "Jasa kebersihan"),
            ("JASA-SEWA", "Sewa peralatan dan tenda"),
            ("JASA-PENGIRIMAN", "Jasa pengiriman"),
        ],
    ),
    (
        "SOUVENIR",
        "Cenderamata dan produk UMKM",
        GOODS,
        [
            ("SOUVENIR-KERAJINAN", "Kerajinan tangan"),
            ("SOUVENIR-BATIK", "Batik dan tenun"),
        ],
    ),
]


def seed(apps, schema_editor):
    Category = apps.get_model("catalog", "Category")
    for position, (code, name, kind, children) in enumerate(TREE):
        root = Category.objects.create(
            code=code, name=name, default_kind=kind, position=position, path="tmp-" + code
        )
        root.path = f"{root.pk}/"
        root.save(update_fields=["path"])
        for child_position, (child_code, child_name) in enumerate(children):
            child = Category.objects.create(
                code=child_code,
                name=child_name,
                parent=root,
                depth=1,
                default_kind=kind,
                position=child_position,
                path="tmp-" + child_code,
            )
            child.path = f"{root.path}{child.pk}/"
            child.save(update_fields=["path"])


def unseed(apps, schema_editor):
    apps.get_model("catalog", "Category").objects.filter(depth=1).delete()
    apps.get_model("catalog", "Category").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_search_index")]
    operations = [migrations.RunPython(seed, unseed)]
