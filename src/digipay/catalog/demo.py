# ruff: noqa: E501 - the vocabulary and style tables below are kept one entry per line
"""Demo products of the demo vendors (``digipay.vendors.demo``), created, published and given
an image through the real services, so that every step is audited like a real one.

``load(full=False)`` (the test fixture ``world``): four products each for UMKM-0001 and
UMKM-0002, published or ready to order, without images. ``load(full=True)`` (``make run``):
every demo vendor's products (over three hundred in all) from the vocabulary below, each
with one generated product card as its image; mostly ready to order, some only published,
a few drafts (a vendor waiting for verification can only prepare drafts).

Deterministic: each vendor's products come from ``random.Random`` seeded with its code, so a
product keeps its SKU, price and stock from one run to the next. Idempotent: a SKU the
vendor already has is skipped; an image is added only to a product without one.
"""

from __future__ import annotations

import io
import math
import random
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from django.db import transaction
from PIL import Image, ImageDraw, ImageFont

from digipay.accounts.models import User
from digipay.accounts.rules import OrgKind, Role
from digipay.catalog import services
from digipay.catalog.models import Category, Product, ProductImage
from digipay.catalog.rules import ProductKind, ProductState
from digipay.vendors import demo as vendors_demo
from digipay.vendors.demo import DemoVendor
from digipay.vendors.models import Vendor
from digipay.vendors.rules import VendorStatus

GOODS, SERVICES = ProductKind.GOODS, ProductKind.SERVICES
# Products of each vendor in the tests' small world (full=False).
CORE_PRODUCTS = 4
# Vendors whose last product is left as a draft in the full demo.
DRAFT_LAST = frozenset({"UMKM-0006", "UMKM-0014"})


@dataclass(frozen=True, slots=True)
class Item:
    """One kind of product a vendor of that category may sell."""

    name: str
    unit: str
    price_idr: int
    description: str
    min_order: int = 1
    kind: str = ""  # "" = the kind of the category's root (Jasa for CETAK, PEMELIHARAAN, JASA)


P = Item  # short, to keep the vocabulary below one product per line

# --- the vocabulary: what the demo vendors sell, per category -----------------------------

# fmt: off
VOCABULARY: Mapping[str, tuple[Item, ...]] = {
    "ATK-KERTAS": (
        P("Kertas HVS A4 70 gsm", "rim", 48_000, "Kertas HVS putih ukuran A4 (210 × 297 mm), 70 gsm, isi 500 lembar per rim. Untuk cetak dan fotokopi harian."),
        P("Kertas HVS A4 80 gsm", "rim", 57_000, "Kertas HVS putih A4 80 gsm, isi 500 lembar. Lebih tebal, cocok untuk surat dinas dan dokumen resmi."),
        P("Kertas HVS F4 70 gsm", "rim", 53_000, "Kertas HVS ukuran F4/folio (215 × 330 mm), 70 gsm, isi 500 lembar."),
        P("Kertas HVS F4 80 gsm", "rim", 62_000, "Kertas HVS F4 80 gsm, isi 500 lembar, putih terang dan tidak mudah menggulung di printer."),
        P("Kertas HVS A3 80 gsm", "rim", 118_000, "Kertas HVS ukuran A3 (297 × 420 mm), 80 gsm, isi 500 lembar, untuk cetak lampiran dan peta."),
        P("Amplop putih kabinet 104 tanpa logo", "kotak", 32_000, "Amplop putih ukuran 110 × 230 mm dengan perekat, isi 100 lembar per kotak."),
        P("Amplop cokelat folio 250 × 350 mm", "pak", 38_000, "Amplop cokelat kertas samson untuk dokumen folio, isi 50 lembar per pak."),
        P("Kertas linen piagam A4 220 gsm", "pak", 47_000, "Kertas bertekstur linen warna krem untuk piagam dan sertifikat, isi 50 lembar."),
        P("Kertas foto glossy A4 180 gsm", "pak", 36_000, "Kertas foto mengilap untuk printer tinta, isi 20 lembar."),
        P("Kertas continuous form 9,5 × 11 inci 1 ply", "dus", 285_000, "Kertas komputer berlubang untuk printer dot matrix, isi 2.000 lembar per dus."),
        P("Kertas label stiker nomor 103", "pak", 9_500, "Label stiker putih 32 × 64 mm untuk undangan dan map, isi 10 lembar."),
        P("Amplop putih dinas berjendela 110 × 230 mm", "kotak", 46_000, "Amplop putih dengan jendela plastik untuk alamat tujuan, isi 100 lembar."),
    ),
    "ATK-TULIS": (
        P("Pulpen gel hitam 0,5 mm", "lusin", 36_000, "Pulpen gel tinta hitam, ujung 0,5 mm, tinta cepat kering dan tidak mudah luntur. Isi 12 batang."),
        P("Pulpen gel biru 0,5 mm", "lusin", 36_000, "Pulpen gel tinta biru untuk tanda tangan dokumen, ujung 0,5 mm. Isi 12 batang."),
        P("Pulpen ballpoint biru standar", "lusin", 24_000, "Pulpen ballpoint tutup klip, tinta biru, isi 12 batang."),
        P("Pensil kayu 2B", "lusin", 31_000, "Pensil 2B untuk menulis dan lembar jawaban komputer, isi 12 batang."),
        P("Spidol papan tulis hitam isi ulang", "lusin", 78_000, "Spidol whiteboard tinta hitam yang dapat diisi ulang, mudah dihapus, isi 12 batang."),
        P("Spidol permanen hitam", "lusin", 72_000, "Spidol permanen tahan air untuk menandai arsip dan kardus, isi 12 batang."),
        P("Pena penanda (highlighter) 5 warna", "set", 32_000, "Highlighter ujung pahat, lima warna terang dalam satu set."),
        P("Pita koreksi 5 mm × 6 m", "buah", 9_000, "Correction tape untuk koreksi rapi tanpa menunggu kering."),
        P("Penghapus pensil putih", "kotak", 45_000, "Penghapus putih lembut yang tidak merusak kertas, isi 40 buah per kotak."),
        P("Penggaris besi 30 cm", "buah", 9_500, "Penggaris baja tahan karat dengan skala sentimeter dan inci."),
        P("Buku tulis 58 lembar", "pak", 42_000, "Buku tulis bergaris 58 lembar, isi 10 buku per pak."),
        P("Pensil mekanik 0,5 mm", "buah", 17_500, "Pensil mekanik dengan pegangan karet dan penghapus di ujung."),
    ),
    "ATK-ARSIP": (
        P("Ordner folio punggung 7 cm", "buah", 29_000, "Ordner karton tebal berlapis PVC dengan besi penjepit, muat sekitar 500 lembar."),
        P("Ordner A4 punggung 5 cm", "buah", 26_000, "Ordner A4 dengan label punggung yang dapat diganti."),
        P("Map plastik kancing folio", "lusin", 30_000, "Map plastik transparan dengan kancing, ukuran folio, isi 12 buah, warna campur."),
        P("Map snelhecter plastik folio", "lusin", 27_000, "Map berpenjepit dengan sampul depan transparan, isi 12 buah."),
        P("Map gantung folio", "kotak", 165_000, "Hanging folder untuk laci lemari arsip, isi 50 buah per kotak."),
        P("Box file plastik folio", "buah", 32_000, "Kotak arsip plastik tebal dengan penutup, punggung 10 cm."),
        P("Kardus arsip 37 × 25 × 30 cm", "buah", 18_500, "Kotak arsip karton bergelombang untuk arsip inaktif, dengan kolom label."),
        P("Clear holder 40 kantong", "buah", 24_000, "Map berkantong plastik bening, 40 kantong, ukuran A4."),
        P("Binder clip no. 200 (25 mm)", "kotak", 9_500, "Penjepit kertas hitam ukuran 25 mm, isi 12 buah."),
        P("Binder clip no. 260 (41 mm)", "kotak", 19_000, "Penjepit kertas hitam ukuran 41 mm, isi 12 buah."),
        P("Buku ekspedisi 100 lembar", "buah", 17_500, "Buku tanda terima surat dengan kolom tanggal, nomor, tujuan dan paraf."),
        P("Buku agenda surat folio", "buah", 38_000, "Buku agenda surat masuk dan keluar, sampul hard cover, 200 halaman."),
        P("Pembatas indeks 10 warna", "set", 12_000, "Divider plastik A4 dengan 10 tab warna dan lembar indeks."),
    ),
    "ATK-TINTA": (
        P("Tinta isi ulang hitam 100 ml", "botol", 32_000, "Tinta kompatibel untuk printer ink tank, warna hitam pekat, botol 100 ml."),
        P("Tinta isi ulang cyan 100 ml", "botol", 32_000, "Tinta kompatibel warna cyan untuk printer ink tank, botol 100 ml."),
        P("Tinta isi ulang magenta 100 ml", "botol", 32_000, "Tinta kompatibel warna magenta untuk printer ink tank, botol 100 ml."),
        P("Tinta isi ulang kuning 100 ml", "botol", 32_000, "Tinta kompatibel warna kuning untuk printer ink tank, botol 100 ml."),
        P("Toner laser hitam kompatibel 1.600 halaman", "buah", 195_000, "Cartridge toner kompatibel untuk printer laser monokrom A4, kapasitas sekitar 1.600 halaman."),
        P("Toner laser hitam kompatibel 3.100 halaman", "buah", 420_000, "Cartridge toner kapasitas tinggi untuk printer laser kantor, sekitar 3.100 halaman."),
        P("Serbuk toner isi ulang 100 gram", "botol", 65_000, "Serbuk toner hitam untuk isi ulang cartridge laser, botol 100 gram."),
        P("Pita printer dot matrix", "buah", 28_000, "Pita kompatibel untuk printer dot matrix 9 pin ukuran sempit."),
        P("Tinta isi ulang spidol papan tulis 30 ml", "botol", 18_000, "Tinta hitam untuk mengisi ulang spidol whiteboard, botol 30 ml."),
    ),
    "ATK-PERLENGKAPAN": (
        P("Stapler no. 10", "buah", 22_000, "Stapler meja ukuran kecil, kapasitas 20 lembar, untuk isi staples no. 10."),
        P("Isi staples no. 10", "kotak", 28_000, "Isi staples no. 10, satu kotak isi 20 pak kecil."),
        P("Stapler besar kapasitas 100 lembar", "buah", 135_000, "Stapler heavy duty untuk menjilid dokumen tebal hingga 100 lembar."),
        P("Pelubang kertas 2 lubang", "buah", 42_000, "Perforator logam dengan penggaris, kapasitas 30 lembar."),
        P("Gunting kantor 8 inci", "buah", 14_000, "Gunting baja tahan karat dengan pegangan karet."),
        P("Lakban bening 48 mm", "roll", 14_500, "Lakban OPP bening 48 mm × 90 yard untuk mengemas dokumen dan kardus."),
        P("Lakban cokelat 48 mm", "roll", 14_500, "Lakban cokelat 48 mm × 90 yard, daya rekat kuat."),
        P("Lem stik 25 gram", "buah", 8_500, "Lem batang tidak beracun, rapi dan cepat kering."),
        P("Kalkulator meja 12 digit", "buah", 125_000, "Kalkulator dua sumber daya (surya dan baterai) dengan layar besar."),
        P("Stempel otomatis nama instansi", "buah", 145_000, "Stempel flash dengan teks dan logo sesuai permintaan, termasuk tinta awal. Desain dikonfirmasi sebelum dibuat."),
        P("Bantalan stempel no. 2", "buah", 18_000, "Stamp pad logam dengan busa tinta ungu."),
        P("Tinta stempel 30 ml", "botol", 9_000, "Tinta stempel ungu atau biru untuk bantalan stempel."),
        P("Papan klip folio", "buah", 17_000, "Clipboard hardboard dengan penjepit logam."),
        P("Kertas memo tempel 3 × 3 inci", "pak", 48_000, "Sticky notes warna kuning, isi 12 blok @100 lembar."),
        P("Tempat alat tulis meja akrilik", "buah", 65_000, "Organizer meja akrilik bening dengan 4 sekat."),
    ),
    "PERALATAN-ELEKTRONIK": (
        P("Dispenser air galon bawah", "unit", 1_650_000, "Dispenser air panas, dingin dan normal dengan galon di bawah, hemat listrik."),
        P("Dispenser air meja panas-normal", "unit", 285_000, "Dispenser air meja untuk galon atas, dua keran."),
        P("Televisi LED 43 inci smart TV", "unit", 4_250_000, "Smart TV 43 inci Full HD dengan Wi-Fi dan HDMI, cocok untuk ruang rapat."),
        P("Proyektor LCD 3.600 lumen", "unit", 5_900_000, "Proyektor XGA 3.600 lumen, HDMI dan VGA, untuk ruang rapat sedang."),
        P("Layar proyektor tripod 70 inci", "unit", 650_000, "Layar proyektor portabel dengan kaki tripod, permukaan matte putih."),
        P("Speaker aktif portabel 15 inci", "unit", 2_750_000, "Speaker aktif dengan baterai, dua mikrofon nirkabel, Bluetooth dan USB."),
        P("Mesin penghancur kertas 10 lembar", "unit", 2_350_000, "Paper shredder potongan silang (cross cut), kapasitas 10 lembar, keranjang 20 liter."),
        P("Mesin laminating A3", "unit", 750_000, "Mesin laminating panas untuk dokumen hingga A3."),
        P("Mesin absensi sidik jari", "unit", 1_450_000, "Mesin presensi sidik jari dan kartu, laporan melalui USB dan jaringan."),
        P("Kulkas 1 pintu 170 liter", "unit", 2_450_000, "Lemari es satu pintu untuk pantry kantor."),
        P("Ketel listrik 1,8 liter", "buah", 185_000, "Pemanas air listrik stainless, mati otomatis saat mendidih."),
        P("Lampu LED 18 watt", "buah", 38_000, "Lampu LED putih 18 watt, setara 150 watt pijar, bersertifikat SNI."),
        P("Kabel roll 4 lubang 5 meter", "buah", 95_000, "Stop kontak 4 lubang dengan kabel 5 meter dan saklar, bersertifikat SNI."),
        P("Mesin penghitung uang", "unit", 2_100_000, "Penghitung uang kertas dengan deteksi UV dan MG."),
    ),
    "PERALATAN-PENDINGIN": (
        P("AC split 1/2 PK standar", "unit", 3_450_000, "AC split 1/2 PK non-inverter untuk ruangan hingga 12 m², harga unit saja."),
        P("AC split 1 PK standar", "unit", 4_350_000, "AC split 1 PK non-inverter untuk ruangan hingga 18 m², harga unit saja."),
        P("AC split 1 PK inverter", "unit", 5_600_000, "AC split 1 PK inverter hemat listrik, refrigeran R32, harga unit saja."),
        P("AC split 2 PK standar", "unit", 8_250_000, "AC split 2 PK untuk ruang rapat hingga 35 m², harga unit saja."),
        P("Kipas angin berdiri 16 inci", "unit", 325_000, "Kipas angin berdiri dengan 3 kecepatan dan timer."),
        P("Kipas angin dinding 16 inci", "unit", 285_000, "Kipas angin dinding dengan remote dan 3 kecepatan."),
        P("Kipas angin meja 12 inci", "unit", 195_000, "Kipas angin meja ringkas untuk meja kerja."),
        P("Air cooler 40 liter", "unit", 1_950_000, "Pendingin udara evaporatif dengan tangki 40 liter, untuk aula dan ruang tunggu."),
        P("Exhaust fan dinding 10 inci", "unit", 275_000, "Kipas penghisap udara untuk toilet dan dapur."),
        P("Pipa AC tembaga 1/4–3/8 inci", "meter", 95_000, "Pipa tembaga berinsulasi untuk instalasi AC split, harga per meter."),
        P("Remote AC universal", "buah", 45_000, "Remote pengganti untuk sebagian besar merek AC."),
    ),
    "PERALATAN-KEAMANAN": (
        P("APAR powder 3 kg", "tabung", 450_000, "Alat pemadam api ringan serbuk kimia kering 3 kg, kelas A, B dan C, dengan bracket dinding."),
        P("APAR powder 6 kg", "tabung", 780_000, "Alat pemadam api ringan serbuk 6 kg untuk koridor dan gudang."),
        P("APAR CO2 3 kg", "tabung", 1_350_000, "Pemadam api CO2 3 kg untuk ruang server dan panel listrik."),
        P("Isi ulang APAR powder 3 kg", "tabung", 165_000, "Pengisian ulang serbuk APAR 3 kg termasuk pengecekan tekanan dan label masa berlaku.", 1, SERVICES),
        P("Kamera CCTV 2 MP indoor", "unit", 385_000, "Kamera CCTV Full HD dengan infra merah untuk pemantauan malam."),
        P("Paket CCTV 4 kamera dengan DVR", "paket", 4_750_000, "Empat kamera 2 MP, DVR 4 kanal, hard disk 1 TB, kabel dan pemasangan."),
        P("Kotak P3K dinding lengkap", "set", 325_000, "Kotak P3K logam dengan isi standar perkantoran."),
        P("Rompi keselamatan reflektif", "buah", 35_000, "Rompi hijau stabilo dengan strip reflektif."),
        P("Helm keselamatan SNI", "buah", 55_000, "Helm proyek dengan tali dagu, bersertifikat SNI."),
        P("Detektor asap mandiri", "buah", 145_000, "Detektor asap dengan baterai dan alarm 85 dB, tanpa instalasi kabel."),
        P("Lampu darurat LED isi ulang", "buah", 125_000, "Lampu darurat yang menyala otomatis saat listrik padam, tahan 4 jam."),
        P("Rambu jalur evakuasi fotoluminesen", "lembar", 65_000, "Rambu arah evakuasi yang menyala dalam gelap, bahan akrilik 20 × 30 cm."),
        P("Brankas tahan api 40 kg", "unit", 3_250_000, "Brankas dengan kunci kombinasi dan kunci kontak, tahan api 30 menit."),
    ),
    "TIK-KOMPUTER": (
        P("Laptop 14 inci Core i5 RAM 8 GB SSD 512 GB", "unit", 10_750_000, "Laptop kantor 14 inci Full HD, prosesor Core i5, RAM 8 GB, SSD 512 GB, Windows 11, garansi resmi 2 tahun."),
        P("Laptop 14 inci Core i3 RAM 8 GB SSD 256 GB", "unit", 7_450_000, "Laptop 14 inci untuk administrasi, Core i3, RAM 8 GB, SSD 256 GB, garansi resmi."),
        P("Laptop 14 inci Core i7 RAM 16 GB SSD 512 GB", "unit", 15_900_000, "Laptop tipis untuk pimpinan dan analis, Core i7, RAM 16 GB, SSD 512 GB."),
        P("PC all-in-one 23,8 inci Core i5", "unit", 12_400_000, "Komputer all-in-one 23,8 inci Full HD, Core i5, RAM 8 GB, SSD 512 GB, keyboard dan mouse."),
        P("PC desktop Core i3 dengan monitor 21,5 inci", "unit", 8_600_000, "PC mini tower Core i3, RAM 8 GB, SSD 256 GB, monitor 21,5 inci, keyboard dan mouse."),
        P("Monitor LED 21,5 inci Full HD", "unit", 1_450_000, "Monitor 21,5 inci Full HD dengan port HDMI dan VGA."),
        P("Monitor IPS 24 inci Full HD", "unit", 2_050_000, "Monitor IPS 24 inci, warna akurat, HDMI dan DisplayPort."),
        P("Tablet 10 inci 4G RAM 4 GB", "unit", 3_450_000, "Tablet 10 inci dengan 4G LTE, RAM 4 GB, penyimpanan 64 GB."),
    ),
    "TIK-PRINTER": (
        P("Printer ink tank warna A4 multifungsi", "unit", 2_650_000, "Printer tinta isi ulang: cetak, pindai dan salin, hingga 7.500 halaman warna per set tinta."),
        P("Printer ink tank warna A4 Wi-Fi", "unit", 3_150_000, "Printer ink tank multifungsi dengan Wi-Fi dan cetak dari ponsel."),
        P("Printer laser monokrom A4", "unit", 2_350_000, "Printer laser hitam putih 30 halaman per menit, cetak bolak-balik otomatis."),
        P("Printer laser monokrom multifungsi A4", "unit", 3_950_000, "Printer laser multifungsi dengan pemindai ADF dan jaringan LAN."),
        P("Printer dot matrix 9 pin", "unit", 3_100_000, "Printer dot matrix untuk formulir rangkap dan kuitansi."),
        P("Printer ink tank A3", "unit", 5_950_000, "Printer tinta isi ulang hingga ukuran A3 untuk cetak lampiran besar."),
        P("Pemindai dokumen ADF dupleks 30 ppm", "unit", 6_450_000, "Scanner dokumen 30 halaman per menit, dua sisi sekaligus, untuk alih media arsip."),
        P("Pemindai flatbed A4", "unit", 1_350_000, "Scanner flatbed 4.800 dpi untuk dokumen dan foto."),
        P("Printer label thermal", "unit", 1_250_000, "Printer label dan barcode thermal untuk label arsip dan inventaris."),
    ),
    "TIK-AKSESORI": (
        P("Mouse nirkabel", "buah", 95_000, "Mouse optik nirkabel 2,4 GHz dengan receiver USB."),
        P("Keyboard dan mouse USB", "set", 145_000, "Set keyboard dan mouse kabel USB, tata letak standar."),
        P("Keyboard dan mouse nirkabel", "set", 265_000, "Set keyboard dan mouse nirkabel senyap."),
        P("Headset USB dengan mikrofon", "buah", 225_000, "Headset untuk rapat daring dengan peredam bising."),
        P("Webcam Full HD 1080p", "buah", 385_000, "Kamera web 1080p dengan mikrofon stereo untuk konferensi video."),
        P("UPS 1.200 VA", "unit", 1_350_000, "UPS line interactive 1.200 VA untuk PC dan perangkat jaringan."),
        P("UPS 650 VA", "unit", 765_000, "UPS 650 VA untuk satu komputer kantor."),
        P("Kabel HDMI 3 meter", "buah", 55_000, "Kabel HDMI 4K 3 meter berlapis nilon."),
        P("Adaptor USB-C ke HDMI", "buah", 145_000, "Adaptor USB-C ke HDMI 4K untuk presentasi dari laptop."),
        P("USB hub 4 port USB 3.0", "buah", 115_000, "Hub USB 3.0 empat port dengan kabel 30 cm."),
        P("Tas laptop 14 inci", "buah", 185_000, "Tas ransel laptop tahan air dengan kompartemen dokumen."),
        P("Pointer presentasi nirkabel", "buah", 165_000, "Presenter dengan laser merah, jangkauan 15 meter."),
    ),
    "TIK-JARINGAN": (
        P("Router Wi-Fi dual band AC1200", "unit", 465_000, "Router Wi-Fi 2,4 dan 5 GHz dengan 4 port LAN gigabit."),
        P("Access point Wi-Fi 6 plafon", "unit", 1_650_000, "Access point Wi-Fi 6 dengan PoE untuk ruang kerja terbuka."),
        P("Switch 8 port gigabit", "unit", 325_000, "Switch unmanaged 8 port gigabit, casing logam."),
        P("Switch 24 port gigabit rak", "unit", 2_350_000, "Switch 24 port gigabit untuk rak 19 inci."),
        P("Kabel UTP Cat6 305 meter", "roll", 1_450_000, "Kabel jaringan UTP Cat6 tembaga, satu roll 305 meter."),
        P("Konektor RJ45 Cat6", "kotak", 145_000, "Konektor RJ45 Cat6, isi 100 buah per kotak."),
        P("Rak server dinding 8U", "unit", 1_750_000, "Wall rack 8U dengan pintu kaca dan kipas."),
        P("Tang crimping dan LAN tester", "set", 185_000, "Set alat pemasangan kabel jaringan."),
        P("Modem 4G MiFi", "unit", 425_000, "Modem Wi-Fi portabel 4G LTE untuk kegiatan lapangan."),
    ),
    "TIK-PENYIMPANAN": (
        P("Flashdisk 32 GB USB 3.2", "buah", 65_000, "Flashdisk 32 GB dengan kecepatan baca hingga 100 MB/s."),
        P("Flashdisk 64 GB USB 3.2", "buah", 95_000, "Flashdisk 64 GB casing logam dengan gantungan."),
        P("Flashdisk 128 GB USB 3.2", "buah", 165_000, "Flashdisk 128 GB untuk arsip digital dan bahan presentasi."),
        P("Hard disk eksternal 1 TB", "unit", 875_000, "Hard disk portabel 1 TB USB 3.0 untuk cadangan data."),
        P("Hard disk eksternal 2 TB", "unit", 1_150_000, "Hard disk portabel 2 TB USB 3.0."),
        P("SSD eksternal 500 GB", "unit", 1_050_000, "SSD portabel 500 GB USB-C, tahan guncangan."),
        P("SSD internal SATA 512 GB", "unit", 625_000, "SSD 2,5 inci SATA untuk mempercepat komputer lama."),
        P("Kartu memori microSD 64 GB", "buah", 115_000, "MicroSD 64 GB kelas 10 untuk kamera dan CCTV."),
        P("NAS 2 bay", "unit", 4_850_000, "Penyimpanan jaringan dua slot untuk berbagi berkas kantor (tanpa hard disk)."),
        P("DVD-R 4,7 GB isi 50", "pak", 235_000, "Cakram DVD-R 16x dalam satu spindle isi 50."),
    ),
    "MEBEL-MEJA": (
        P("Meja kerja kayu jati 120 × 60 cm", "unit", 2_850_000, "Meja kerja kayu jati solid dengan 3 laci, finishing natural."),
        P("Meja kerja setengah biro 120 cm", "unit", 1_350_000, "Meja kerja papan partikel berlapis melamin dengan laci gantung."),
        P("Meja kerja satu biro 140 cm", "unit", 2_150_000, "Meja kerja dengan laci di dua sisi dan kunci."),
        P("Meja rapat oval 240 × 120 cm", "unit", 6_750_000, "Meja rapat kayu untuk 8–10 orang, dengan lubang kabel."),
        P("Meja komputer 100 cm", "unit", 875_000, "Meja komputer dengan rak keyboard geser dan tempat CPU."),
        P("Meja lipat serbaguna 180 × 60 cm", "unit", 1_150_000, "Meja lipat rangka besi untuk kegiatan dan pelatihan."),
        P("Meja resepsionis 160 cm", "unit", 5_450_000, "Meja resepsionis untuk ruang layanan, panel depan kayu."),
        P("Meja kerja pimpinan kayu jati 180 cm", "unit", 9_850_000, "Meja pimpinan kayu jati dengan ukiran halus khas Jepara."),
        P("Meja tamu kayu jati 100 × 60 cm", "unit", 1_650_000, "Meja tamu rendah untuk ruang tunggu."),
    ),
    "MEBEL-KURSI": (
        P("Kursi kerja staf sandaran jaring", "unit", 895_000, "Kursi kerja beroda dengan sandaran jaring, tinggi dapat diatur."),
        P("Kursi kerja pimpinan sandaran tinggi", "unit", 2_650_000, "Kursi pimpinan berlapis kulit sintetis dengan sandaran kepala."),
        P("Kursi lipat rangka besi", "unit", 265_000, "Kursi lipat dengan jok busa untuk aula dan kegiatan."),
        P("Kursi kuliah dengan meja tulis", "unit", 585_000, "Kursi dengan papan tulis lipat untuk ruang pelatihan."),
        P("Kursi tunggu 3 dudukan", "unit", 1_850_000, "Kursi tunggu rangka baja untuk ruang layanan."),
        P("Kursi rapat kaki besi", "unit", 625_000, "Kursi rapat berlapis kain dengan kaki besi krom."),
        P("Kursi tamu rotan sintetis satu set", "set", 5_250_000, "Empat kursi dan satu meja rotan sintetis tahan cuaca."),
        P("Kursi kayu jati minimalis", "unit", 950_000, "Kursi kayu jati dengan dudukan rotan."),
        P("Sofa kantor 3 dudukan", "unit", 4_650_000, "Sofa ruang tunggu berlapis kulit sintetis."),
        P("Kursi rotan alami teras", "unit", 750_000, "Kursi rotan alami anyaman tangan."),
    ),
    "MEBEL-LEMARI": (
        P("Lemari arsip besi 4 laci folio", "unit", 3_150_000, "Filing cabinet besi 4 laci dengan kunci sentral."),
        P("Lemari arsip besi pintu kaca geser", "unit", 3_450_000, "Lemari arsip besi dengan pintu kaca geser dan 4 rak."),
        P("Lemari arsip kayu 2 pintu", "unit", 2_650_000, "Lemari arsip kayu dengan kunci dan 4 rak."),
        P("Rak buku kayu 5 susun", "unit", 1_450_000, "Rak buku terbuka dari kayu mahoni, 5 susun."),
        P("Rak arsip besi siku 5 susun", "unit", 1_150_000, "Rak besi siku untuk gudang arsip, beban 100 kg per susun."),
        P("Loker pegawai besi 12 pintu", "unit", 3_950_000, "Loker besi 12 pintu dengan kunci masing-masing."),
        P("Lemari kayu jati 3 pintu", "unit", 6_500_000, "Lemari kayu jati untuk ruang pimpinan."),
        P("Rak pajang produk UMKM", "unit", 1_250_000, "Rak pajang kayu untuk pameran dan galeri produk lokal."),
    ),
    "KONSUMSI-NASI": (
        P("Nasi kotak ayam bakar", "kotak", 35_000, "Nasi putih, ayam bakar, sayur, tahu atau tempe, sambal, kerupuk dan buah.", 20),
        P("Nasi kotak rendang", "kotak", 42_000, "Nasi putih, rendang daging sapi, sayur nangka, perkedel, sambal hijau dan buah.", 20),
        P("Nasi kotak ayam goreng lengkuas", "kotak", 32_000, "Nasi putih, ayam goreng lengkuas, tumis buncis, sambal, lalapan dan buah.", 20),
        P("Nasi kotak ikan bakar", "kotak", 38_000, "Nasi putih, ikan bakar bumbu kecap, sayur asem, sambal dan buah.", 20),
        P("Nasi uduk komplit kotak", "kotak", 28_000, "Nasi uduk, ayam goreng, bihun, telur balado, orek tempe dan sambal kacang.", 20),
        P("Nasi bakar ayam suwir kemangi", "porsi", 22_000, "Nasi bakar isi ayam suwir dan kemangi, dibungkus daun pisang.", 20),
        P("Tumpeng nasi kuning 20 orang", "buah", 850_000, "Tumpeng nasi kuning lengkap dengan lauk tujuh rupa untuk acara syukuran."),
        P("Prasmanan menu standar", "porsi", 55_000, "Jasa katering prasmanan: nasi, dua lauk, sayur, kerupuk, buah dan air mineral; termasuk peralatan saji dan petugas.", 50, SERVICES),
        P("Prasmanan menu VIP", "porsi", 95_000, "Jasa katering prasmanan: tiga lauk pilihan, sup, salad, dessert dan minuman; termasuk dekorasi meja dan petugas.", 50, SERVICES),
        P("Paket rapat: rehat kopi dan makan siang", "orang", 85_000, "Jasa katering rapat: dua kali rehat kopi dengan kue dan makan siang prasmanan.", 20, SERVICES),
    ),
    "KONSUMSI-SNACK": (
        P("Snack box 3 kue tradisional", "kotak", 15_000, "Tiga kue basah tradisional (mis. lemper, kue lapis, risoles) dan air mineral gelas.", 20),
        P("Snack box 4 kue", "kotak", 18_000, "Empat kue basah dan kering pilihan dengan air mineral gelas.", 20),
        P("Snack box premium", "kotak", 27_500, "Roti isi, kue basah, buah potong dan teh kotak.", 20),
        P("Kue lapis legit 20 × 20 cm", "buah", 385_000, "Lapis legit wisman berlapis-lapis dengan rempah, dalam kotak mika."),
        P("Bolu pandan loyang 22 cm", "buah", 85_000, "Bolu pandan lembut dengan taburan kelapa."),
        P("Brownies panggang cokelat", "kotak", 75_000, "Brownies cokelat panggang 20 × 20 cm, dipotong 16."),
        P("Kue basah campur", "lusin", 45_000, "Dua belas kue basah campur: risoles, lemper, kue lumpur dan dadar gulung."),
        P("Keripik singkong balado 250 gram", "pak", 18_000, "Keripik singkong renyah dengan bumbu balado, kemasan ziplock."),
        P("Keripik pisang manis 250 gram", "pak", 17_500, "Keripik pisang kepok dengan lapisan gula aren."),
        P("Kacang mete panggang 250 gram", "pak", 65_000, "Kacang mete panggang tanpa minyak, gurih alami."),
        P("Rengginang ketan 500 gram", "pak", 28_000, "Rengginang ketan mentah siap goreng, buatan tangan."),
        P("Dodol Garut 500 gram", "kotak", 35_000, "Dodol ketan dengan gula aren, kemasan kotak oleh-oleh."),
    ),
    "KONSUMSI-MINUMAN": (
        P("Air minum galon 19 liter (isi)", "galon", 22_000, "Pengisian air minum dalam galon 19 liter, diantar ke kantor; galon kosong ditukar.", 5),
        P("Air mineral botol 600 ml isi 24", "dus", 52_000, "Air minum dalam kemasan botol 600 ml, satu dus isi 24 botol."),
        P("Air mineral gelas 220 ml isi 48", "dus", 32_000, "Air minum dalam kemasan gelas 220 ml, satu dus isi 48 gelas."),
        P("Air mineral botol 330 ml isi 24", "dus", 45_000, "Air minum botol kecil 330 ml untuk rapat, satu dus isi 24 botol."),
        P("Kopi bubuk robusta 250 gram", "pak", 38_000, "Kopi robusta sangrai sedang, digiling halus, dari petani lokal."),
        P("Kopi arabika biji sangrai 250 gram", "pak", 95_000, "Biji kopi arabika sangrai medium untuk mesin kopi pantry."),
        P("Teh celup melati isi 50", "kotak", 14_500, "Teh hitam aroma melati dalam kantong celup."),
        P("Gula pasir 1 kg", "kg", 18_500, "Gula pasir putih kemasan 1 kg."),
        P("Gula pasir sachet isi 100", "pak", 42_000, "Gula pasir sachet 8 gram untuk rapat, isi 100."),
        P("Jahe merah instan isi 10", "kotak", 28_000, "Minuman jahe merah instan dengan gula aren, 10 sachet."),
        P("Sari buah kotak 200 ml isi 24", "dus", 72_000, "Minuman sari buah kemasan kotak 200 ml, satu dus isi 24."),
    ),
    "KEBERSIHAN-PEMBERSIH": (
        P("Cairan pembersih lantai 800 ml", "botol", 16_500, "Pembersih lantai wangi lemon, membunuh kuman."),
        P("Cairan pembersih lantai curah", "liter", 11_000, "Pembersih lantai konsentrat kemasan curah, harga per liter.", 5),
        P("Sabun cuci tangan cair 500 ml", "botol", 19_500, "Sabun cuci tangan antiseptik dengan pompa."),
        P("Sabun cuci tangan cair isi ulang", "liter", 17_000, "Sabun cuci tangan curah untuk dispenser, harga per liter.", 5),
        P("Sabun cuci piring 800 ml", "botol", 15_500, "Sabun cuci piring jeruk nipis untuk pantry."),
        P("Pembersih kaca semprot 500 ml", "botol", 17_000, "Pembersih kaca dan cermin tanpa bekas."),
        P("Pembersih porselen 800 ml", "botol", 21_000, "Pembersih kerak kamar mandi dan kloset."),
        P("Pengharum ruangan semprot 300 ml", "botol", 32_000, "Pengharum ruangan aerosol aroma segar."),
        P("Cairan disinfektan 1 liter", "botol", 45_000, "Disinfektan permukaan untuk meja, gagang pintu dan lantai."),
        P("Hand sanitizer 500 ml", "botol", 35_000, "Pembersih tangan berbasis alkohol 70% dengan pompa."),
        P("Deterjen bubuk 1,8 kg", "pak", 38_000, "Deterjen bubuk untuk mencuci kain lap dan seragam."),
    ),
    "KEBERSIHAN-ALAT": (
        P("Sapu ijuk gagang kayu", "buah", 28_000, "Sapu ijuk tebal dengan gagang kayu 120 cm."),
        P("Sapu lidi bergagang", "buah", 18_000, "Sapu lidi untuk halaman kantor."),
        P("Alat pel putar dengan ember", "set", 185_000, "Spin mop dengan ember pemeras dan dua kepala pel."),
        P("Kain pel microfiber isi ulang", "buah", 35_000, "Kepala pel pengganti untuk alat pel putar."),
        P("Ember plastik 20 liter", "buah", 38_000, "Ember plastik tebal dengan pegangan besi."),
        P("Tempat sampah pedal 30 liter", "buah", 135_000, "Tempat sampah injak dengan tutup rapat."),
        P("Tempat sampah terpilah 3 warna 60 liter", "set", 1_250_000, "Tiga tempat sampah organik, anorganik dan B3 dengan rangka besi."),
        P("Kantong sampah 60 × 100 cm", "pak", 15_000, "Kantong sampah hitam tebal, isi 20 lembar."),
        P("Kantong sampah 90 × 120 cm", "pak", 22_000, "Kantong sampah besar untuk tempat sampah 60 liter, isi 10 lembar."),
        P("Kemoceng bulu ayam", "buah", 25_000, "Kemoceng bulu asli untuk membersihkan debu."),
        P("Pengki dengan gagang", "buah", 27_500, "Serokan sampah plastik bergagang panjang."),
        P("Lap microfiber 40 × 40 cm isi 10", "pak", 65_000, "Lap serbaguna microfiber, cepat kering, tidak meninggalkan serat."),
        P("Sarung tangan karet", "pasang", 14_500, "Sarung tangan karet untuk petugas kebersihan."),
        P("Wiper kaca 35 cm", "buah", 45_000, "Pembersih kaca karet dengan gagang dapat disambung."),
    ),
    "KEBERSIHAN-TISU": (
        P("Tisu wajah 250 lembar", "pak", 14_500, "Tisu wajah 2 ply lembut, 250 lembar."),
        P("Tisu wajah 250 lembar isi 24", "dus", 295_000, "Tisu wajah 2 ply, satu dus isi 24 pak."),
        P("Tisu toilet gulung isi 10", "pak", 42_000, "Tisu toilet 2 ply, 10 gulung per pak."),
        P("Tisu towel lipat 150 lembar", "pak", 11_500, "Tisu tangan lipat M untuk dispenser toilet."),
        P("Tisu toilet jumbo roll", "roll", 28_000, "Tisu toilet gulungan besar untuk dispenser jumbo roll."),
        P("Tisu makan 30 × 30 cm isi 50", "pak", 9_500, "Tisu makan untuk rapat dan jamuan."),
        P("Dispenser tisu jumbo roll", "buah", 145_000, "Dispenser plastik dengan kunci untuk tisu toilet jumbo."),
        P("Dispenser sabun dinding 500 ml", "buah", 85_000, "Dispenser sabun cair yang dipasang di dinding."),
        P("Tisu basah antiseptik 50 lembar", "pak", 16_000, "Tisu basah dengan antiseptik, tutup rapat."),
    ),
    "CETAK-DOKUMEN": (
        P("Fotokopi A4 hitam putih", "lembar", 300, "Fotokopi A4 kertas 70 gsm, satu sisi.", 100),
        P("Fotokopi F4 hitam putih", "lembar", 350, "Fotokopi F4 kertas 70 gsm, satu sisi.", 100),
        P("Cetak dokumen A4 hitam putih", "lembar", 500, "Cetak laser A4 hitam putih dari berkas PDF atau Word.", 50),
        P("Cetak dokumen A4 warna", "lembar", 1_500, "Cetak laser warna A4 untuk laporan dan bahan paparan.", 20),
        P("Cetak A3 warna", "lembar", 4_500, "Cetak warna A3 untuk peta, bagan dan poster kecil.", 10),
        P("Pindai dokumen ke PDF", "lembar", 1_000, "Pemindaian dokumen 300 dpi ke PDF yang dapat dicari teksnya.", 50),
        P("Alih media arsip", "lembar", 1_750, "Pemindaian, penamaan berkas dan pengindeksan arsip sesuai daftar arsip satker.", 500),
        P("Cetak kartu nama", "kotak", 45_000, "Kartu nama full color art carton 260 gsm, satu kotak isi 100."),
        P("Cetak kop surat instansi", "rim", 185_000, "Kop surat warna pada HVS 80 gsm, satu rim isi 500 lembar."),
        P("Cetak buku laporan A4 100 halaman", "eksemplar", 35_000, "Cetak dan jilid soft cover laporan 100 halaman, isi hitam putih, sampul warna.", 10),
        P("Cetak sertifikat kertas linen", "lembar", 6_500, "Cetak sertifikat atau piagam full color pada kertas linen A4.", 20),
        P("Cetak kartu identitas pegawai PVC", "buah", 15_000, "Kartu identitas PVC dua sisi dengan foto.", 10),
    ),
    "CETAK-PROMOSI": (
        P("Spanduk flexi 280 gram", "m2", 25_000, "Cetak spanduk bahan flexi 280 gram, finishing mata ayam atau selongsong."),
        P("Spanduk flexi Korea 440 gram", "m2", 55_000, "Cetak spanduk bahan flexi Korea, warna lebih tajam dan tahan lama."),
        P("X-banner 60 × 160 cm", "buah", 95_000, "X-banner lengkap dengan rangka dan cetak flexi."),
        P("Roll-up banner 80 × 200 cm", "buah", 285_000, "Roll-up banner aluminium dengan tas, cetak albatros."),
        P("Backdrop acara", "m2", 175_000, "Cetak dan pasang backdrop acara dengan rangka besi."),
        P("Stiker vinyl cetak potong", "m2", 95_000, "Stiker vinyl untuk kaca, kendaraan dinas dan papan nama."),
        P("Baliho 4 × 6 m", "buah", 2_350_000, "Cetak dan pasang baliho flexi 4 × 6 m (tanpa biaya reklame)."),
        P("Brosur A4 lipat tiga", "lembar", 1_250, "Brosur art paper 150 gsm, cetak dua sisi, lipat tiga.", 500),
        P("Poster A3 art paper", "lembar", 5_000, "Poster A3 art paper 150 gsm, cetak satu sisi.", 50),
        P("Plakat akrilik kenang-kenangan", "buah", 275_000, "Plakat akrilik dengan cetak UV dan kotak beludru."),
        P("Umbul-umbul 5 meter", "buah", 125_000, "Umbul-umbul kain cetak sublim 5 meter."),
    ),
    "CETAK-JILID": (
        P("Jilid soft cover lem panas", "eksemplar", 8_000, "Jilid buku A4 dengan sampul karton dan lem panas."),
        P("Jilid hard cover dengan tulisan emas", "eksemplar", 45_000, "Jilid hard cover laporan A4 dengan judul tinta emas.", 5),
        P("Jilid spiral kawat A4", "eksemplar", 12_000, "Jilid spiral kawat dengan sampul mika dan karton."),
        P("Jilid spiral plastik A4", "eksemplar", 7_500, "Jilid ring sisir plastik untuk bahan rapat."),
        P("Jilid lakban", "eksemplar", 4_000, "Jilid sederhana dengan lakban untuk dokumen tipis."),
        P("Laminating A4", "lembar", 5_000, "Laminating panas dokumen A4."),
        P("Laminating F4", "lembar", 6_000, "Laminating panas dokumen F4."),
        P("Potong kertas per rim", "rim", 10_000, "Pemotongan kertas dengan mesin potong sesuai ukuran pesanan."),
    ),
    "PEMELIHARAAN-AC": (
        P("Cuci AC split 0,5–1 PK", "unit", 85_000, "Pembersihan unit dalam dan luar, filter, evaporator dan saluran pembuangan."),
        P("Cuci AC split 1,5–2 PK", "unit", 110_000, "Pembersihan menyeluruh AC split 1,5–2 PK."),
        P("Tambah freon R32 AC 0,5–1 PK", "unit", 225_000, "Pengisian tambahan refrigeran R32 dan pengecekan tekanan."),
        P("Isi freon penuh R22", "unit", 325_000, "Vakum dan pengisian penuh refrigeran R22."),
        P("Bongkar pasang AC split", "unit", 650_000, "Pembongkaran dan pemasangan kembali AC split, pipa hingga 3 meter."),
        P("Pasang AC baru", "unit", 550_000, "Pemasangan AC split baru termasuk pipa 3 meter, bracket dan kabel."),
        P("Perbaikan AC tidak dingin", "unit", 175_000, "Pengecekan dan perbaikan ringan; suku cadang ditagih terpisah setelah persetujuan."),
        P("Kontrak perawatan AC bulanan", "bulan", 75_000, "Perawatan berkala per unit per bulan: cuci, cek tekanan dan laporan kondisi."),
        P("Servis AC kaset 3–5 PK", "unit", 350_000, "Pembersihan dan pengecekan AC kaset atau AC standing."),
        P("Ganti kapasitor AC", "unit", 275_000, "Penggantian kapasitor kompresor termasuk suku cadang."),
    ),
    "PEMELIHARAAN-GEDUNG": (
        P("Pengecatan dinding interior", "m2", 45_000, "Pengecatan dua lapis termasuk cat tembok interior dan dempul ringan."),
        P("Pengecatan dinding eksterior", "m2", 55_000, "Pengecatan dinding luar dengan cat tahan cuaca."),
        P("Perbaikan atap bocor", "kegiatan", 450_000, "Perbaikan satu titik atap bocor termasuk bahan pelapis anti bocor."),
        P("Pemasangan keramik lantai 60 × 60", "m2", 265_000, "Pemasangan keramik termasuk keramik, semen dan nat."),
        P("Teknisi listrik per jam", "jam", 75_000, "Pemeriksaan dan perbaikan instalasi listrik ruangan."),
        P("Pemasangan stop kontak baru", "buah", 85_000, "Pemasangan stop kontak atau saklar baru termasuk kabel hingga 5 meter."),
        P("Perbaikan pipa air bocor", "kegiatan", 350_000, "Perbaikan kebocoran pipa air bersih termasuk bahan."),
        P("Sedot septic tank", "kegiatan", 950_000, "Penyedotan septic tank dengan truk tinja hingga 4 m³."),
        P("Pemasangan partisi gipsum", "m2", 225_000, "Partisi gipsum dua sisi dengan rangka hollow, siap cat."),
        P("Perbaikan plafon gipsum", "m2", 125_000, "Penggantian plafon gipsum rusak termasuk rangka dan finishing."),
        P("Perawatan taman kantor", "bulan", 1_750_000, "Pemangkasan, penyiraman dan pemupukan taman kantor, dua kali seminggu."),
    ),
    "PEMELIHARAAN-KENDARAAN": (
        P("Servis berkala mobil 10.000 km", "unit", 750_000, "Servis berkala termasuk oli mesin, filter oli dan pemeriksaan 20 titik."),
        P("Ganti oli mesin mobil", "unit", 495_000, "Penggantian oli mesin 4 liter dan filter oli."),
        P("Servis berkala sepeda motor", "unit", 125_000, "Servis ringan sepeda motor dinas termasuk oli."),
        P("Tune up mesin bensin", "unit", 450_000, "Pembersihan throttle body, injektor dan penggantian busi."),
        P("Spooring dan balancing", "unit", 250_000, "Penyetelan roda dan balancing empat ban."),
        P("Ganti kampas rem depan", "unit", 425_000, "Penggantian kampas rem depan termasuk suku cadang."),
        P("Cuci mobil dan vakum interior", "unit", 65_000, "Cuci eksterior dan pembersihan interior kendaraan dinas."),
        P("Servis AC mobil", "unit", 350_000, "Pengecekan kebocoran, pembersihan evaporator dan isi freon."),
        P("Ganti aki mobil NS60", "unit", 1_150_000, "Penggantian aki kering NS60 termasuk aki baru dan pemasangan."),
        P("Pengecatan ulang panel bodi", "buah", 850_000, "Pengecatan ulang satu panel bodi mobil dengan warna sesuai aslinya."),
    ),
    "PEMELIHARAAN-TIK": (
        P("Servis laptop atau PC", "unit", 150_000, "Pengecekan dan perbaikan ringan; suku cadang ditagih terpisah setelah persetujuan."),
        P("Instal ulang sistem operasi", "unit", 125_000, "Instal ulang dan pengaturan aplikasi kantor dengan lisensi milik instansi."),
        P("Servis printer ink tank", "unit", 175_000, "Pembersihan head, reset pembuangan tinta dan uji cetak."),
        P("Servis printer laser", "unit", 225_000, "Pembersihan dan penyetelan; penggantian roller atau fuser ditagih terpisah."),
        P("Pemasangan titik jaringan LAN", "paket", 275_000, "Satu titik jaringan termasuk kabel Cat6 hingga 20 meter, konektor dan uji koneksi."),
        P("Perawatan komputer berkala", "unit", 85_000, "Pembersihan debu, pasta prosesor dan pemeriksaan kesehatan disk."),
        P("Kontrak perawatan jaringan kantor", "bulan", 2_500_000, "Pemantauan dan perbaikan jaringan kantor setiap bulan, kunjungan bila ada gangguan."),
        P("Pemulihan data hard disk", "unit", 750_000, "Pemulihan data dari hard disk atau flashdisk yang rusak secara logis."),
    ),
    "JASA-KEBERSIHAN": (
        P("Petugas kebersihan harian", "bulan", 4_650_000, "Satu petugas kebersihan, hari kerja pukul 07.00–16.00, termasuk seragam dan BPJS."),
        P("Pembersihan gedung menyeluruh", "m2", 12_000, "General cleaning lantai, kaca dalam, toilet dan pantry.", 100),
        P("Cuci karpet kantor", "m2", 18_000, "Pencucian karpet di tempat dengan mesin ekstraksi."),
        P("Cuci kursi kantor kain", "buah", 45_000, "Pencucian jok kursi kantor berbahan kain."),
        P("Poles lantai granit", "m2", 35_000, "Pemolesan dan kristalisasi lantai granit atau marmer.", 20),
        P("Pembersihan kaca gedung luar", "m2", 15_000, "Pembersihan kaca luar gedung hingga 4 lantai dengan tali.", 50),
        P("Pengendalian hama kantor", "m2", 6_500, "Penyemprotan dan pengendalian kecoak, semut dan nyamuk.", 100),
        P("Penyemprotan disinfektan ruangan", "m2", 4_500, "Disinfeksi ruangan dengan sprayer elektrik.", 100),
        P("Pembersihan tangki air", "buah", 450_000, "Pengurasan dan pembersihan toren air hingga 2.000 liter."),
    ),
    "JASA-SEWA": (
        P("Sewa tenda sarnafil 5 × 5 m", "hari", 1_250_000, "Sewa satu tenda sarnafil dengan rangka, termasuk pasang dan bongkar."),
        P("Sewa kursi lipat dengan sarung", "buah", 12_500, "Sewa kursi lipat bersarung kain per hari.", 50),
        P("Sewa meja prasmanan", "buah", 85_000, "Sewa meja prasmanan dengan taplak dan rok meja per hari."),
        P("Sewa sound system 1.000 watt", "hari", 1_750_000, "Sound system dengan 4 mikrofon dan operator."),
        P("Sewa proyektor dan layar", "hari", 450_000, "Proyektor 3.600 lumen dan layar 70 inci per hari."),
        P("Sewa genset 10 kVA", "hari", 1_650_000, "Genset senyap 10 kVA dengan operator dan solar 8 jam."),
        P("Sewa panggung 6 × 4 m", "kegiatan", 3_500_000, "Panggung rangka besi dengan karpet dan tangga."),
        P("Sewa AC standing 5 PK", "hari", 850_000, "Sewa AC standing untuk tenda dan aula."),
        P("Sewa kursi sofa VIP", "buah", 150_000, "Sewa sofa tunggal untuk tamu kehormatan per hari."),
        P("Sewa layar LED indoor", "m2", 650_000, "Layar LED P3 indoor dengan operator, per meter persegi per hari."),
        P("Sewa minibus dengan sopir", "hari", 850_000, "Minibus 15 kursi dengan sopir, 12 jam, di luar BBM dan tol."),
    ),
    "JASA-PENGIRIMAN": (
        P("Kirim dokumen dalam kota", "paket", 25_000, "Antar dokumen di hari yang sama dalam kota, dengan bukti terima."),
        P("Kirim paket antarkota reguler", "kg", 12_000, "Pengiriman paket antarkota 2–4 hari kerja, harga per kilogram.", 1),
        P("Kirim kilat dokumen antarkota", "paket", 35_000, "Dokumen tiba besok hari kerja di kota tujuan utama."),
        P("Sewa pikap dengan sopir dalam kota", "kegiatan", 350_000, "Angkut barang dengan pikap dalam kota, satu kali jalan."),
        P("Truk engkel antarkota", "kegiatan", 1_850_000, "Angkut barang dengan truk engkel antarkota dalam provinsi, satu kali jalan."),
        P("Kurir motor per jam", "jam", 35_000, "Kurir motor untuk antar-jemput berkas, minimal 2 jam.", 2),
        P("Jasa pindahan kantor", "kegiatan", 2_750_000, "Truk dan empat tenaga angkut untuk pindahan ruang atau gedung."),
        P("Kargo udara antarpulau", "kg", 28_000, "Pengiriman kargo udara antarpulau, minimal 10 kg.", 10),
        P("Pengemasan kayu", "paket", 150_000, "Pengemasan barang pecah belah dengan peti kayu."),
    ),
    "SOUVENIR-KERAJINAN": (
        P("Tas anyaman pandan", "buah", 85_000, "Tas jinjing anyaman pandan buatan perajin lokal."),
        P("Kotak tisu anyaman rotan", "buah", 65_000, "Kotak tisu rotan untuk meja tamu dan ruang rapat."),
        P("Plakat kayu ukir logo instansi", "buah", 325_000, "Plakat kayu jati dengan ukiran logo instansi, kotak kado."),
        P("Gantungan kunci kayu dengan logo", "buah", 7_500, "Gantungan kunci kayu dengan logo dicetak laser.", 100),
        P("Tumbler stainless dengan logo", "buah", 65_000, "Tumbler 500 ml dengan logo instansi (grafir).", 50),
        P("Tas seminar kanvas sablon", "buah", 35_000, "Tas kanvas dengan sablon logo kegiatan.", 50),
        P("Goodie bag spunbond", "buah", 6_500, "Tas spunbond dengan sablon satu warna.", 100),
        P("Keranjang rotan parsel", "buah", 95_000, "Keranjang rotan untuk parsel dan bingkisan."),
        P("Notebook sampul kulit sintetis dengan logo", "buah", 45_000, "Buku catatan A5 dengan logo dicetak timbul.", 50),
        P("Kaos polo bordir logo", "buah", 95_000, "Kaos polo katun pique dengan bordir logo instansi.", 24),
        P("Wayang kulit mini dalam bingkai", "buah", 275_000, "Wayang kulit tatah sungging ukuran mini dalam bingkai kaca."),
    ),
    "SOUVENIR-BATIK": (
        P("Kain batik tulis katun 2 m", "lembar", 450_000, "Batik tulis pada katun primissima, motif pesisiran, pewarna alami."),
        P("Kain batik cap katun 2 m", "lembar", 185_000, "Batik cap motif klasik pada katun primissima."),
        P("Kain batik printing 2 m", "lembar", 85_000, "Kain bermotif batik cetak untuk bahan seragam."),
        P("Kemeja batik pria lengan panjang", "buah", 225_000, "Kemeja batik cap berfuring, ukuran S–XXL."),
        P("Kemeja batik pria lengan pendek", "buah", 185_000, "Kemeja batik cap katun, ukuran S–XXL."),
        P("Blus batik wanita", "buah", 195_000, "Blus batik cap dengan potongan modern, ukuran S–XL."),
        P("Seragam batik motif instansi", "buah", 275_000, "Batik cap dengan motif khusus instansi, termasuk desain.", 50),
        P("Selendang batik sutra", "lembar", 385_000, "Selendang sutra dengan motif batik tulis."),
        P("Kain tenun lurik 2 m", "lembar", 165_000, "Kain lurik tenun ATBM untuk busana dan souvenir."),
        P("Dasi batik sutra", "buah", 145_000, "Dasi sutra bermotif batik dalam kotak kado."),
    ),
}
# fmt: on

# --- how each root category looks and behaves --------------------------------------------


@dataclass(frozen=True, slots=True)
class Root:
    name: str
    background: tuple[int, int, int]
    accent: tuple[int, int, int]
    icon: str
    kind: str
    pdn_share: float  # share of products that are domestic products (PDN)
    tkdn: tuple[int, int]  # range of TKDN, percent
    lead_days: tuple[int, int]
    nationwide_share: float  # share of goods delivered nationwide


# fmt: off
ROOTS: Mapping[str, Root] = {
    "ATK": Root("Alat tulis kantor", (226, 236, 252), (37, 99, 235), "paper", GOODS, 0.6, (25, 60), (1, 3), 0.45),
    "PERALATAN": Root("Peralatan kantor", (220, 245, 234), (5, 150, 105), "plug", GOODS, 0.35, (15, 45), (2, 5), 0.5),
    "TIK": Root("Teknologi informasi", (232, 234, 253), (79, 70, 229), "monitor", GOODS, 0.4, (25, 48), (2, 6), 0.6),
    "MEBEL": Root("Mebel dan perabot", (250, 236, 215), (180, 83, 9), "chair", GOODS, 0.95, (55, 90), (7, 21), 0.6),
    "KONSUMSI": Root("Makanan dan minuman", (255, 232, 210), (234, 88, 12), "bowl", GOODS, 1.0, (70, 95), (1, 1), 0.0),
    "KEBERSIHAN": Root("Kebersihan", (219, 244, 248), (8, 145, 178), "drop", GOODS, 0.8, (35, 80), (1, 3), 0.4),
    "CETAK": Root("Percetakan", (252, 228, 240), (219, 39, 119), "printer", SERVICES, 1.0, (60, 95), (1, 4), 0.0),
    "PEMELIHARAAN": Root("Jasa pemeliharaan", (234, 238, 243), (71, 85, 105), "gear", SERVICES, 1.0, (70, 100), (1, 3), 0.0),
    "JASA": Root("Jasa lainnya", (237, 233, 254), (124, 58, 237), "truck", SERVICES, 1.0, (65, 100), (1, 3), 0.0),
    "SOUVENIR": Root("Cenderamata UMKM", (254, 243, 199), (161, 98, 7), "gift", GOODS, 1.0, (80, 98), (3, 10), 0.7),
}
# fmt: on

# Provinces a vendor's goods reach when not delivered nationwide: its own and its neighbours.
NEIGHBOURS: Mapping[str, tuple[str, ...]] = {
    "12": ("11", "13", "14"),
    "18": ("16", "17", "36"),
    "31": ("32", "36"),
    "32": ("31", "36", "33"),
    "33": ("32", "34", "35"),
    "34": ("33", "35"),
    "35": ("33", "34", "51"),
    "36": ("31", "32"),
    "51": ("35", "52"),
    "64": ("62", "63", "65"),
    "73": ("72", "74", "76"),
}

# --- the plan: what each vendor sells --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedProduct:
    sku: str
    category_code: str
    name: str
    description: str
    unit: str
    price_idr: int
    min_order: int
    stock: int | None
    kind: str
    is_pdn: bool
    tkdn_bp: int
    bmp_bp: int
    lead_time_days: int
    provinces: tuple[str, ...]
    regencies: tuple[str, ...]
    state: str


def _root(category_code: str) -> Root:
    return ROOTS[category_code.split("-", 1)[0]]


def _round_price(value: float) -> int:
    if value < 5_000:
        step = 50
    elif value < 100_000:
        step = 500
    elif value < 1_000_000:
        step = 1_000
    elif value < 10_000_000:
        step = 5_000
    else:
        step = 10_000
    return max(step, round(value / step) * step)


def _stock(rng: random.Random, root_code: str, item: Item, price: int) -> int:
    if root_code == "KONSUMSI" and item.unit in ("kotak", "porsi", "buah"):
        return rng.randrange(100, 501, 50)  # what the kitchen makes for one order
    if price >= 5_000_000:
        return rng.randint(2, 12)
    if price >= 1_000_000:
        return rng.randint(4, 30)
    if price >= 100_000:
        return rng.randrange(10, 160, 5)
    return rng.randrange(60, 1500, 20)


def _sku_prefix(spec: DemoVendor) -> str:
    noise = {"CV", "UD", "PT", "KOPERASI", "FIRMA", "TOKO"}
    words = [w for w in spec.business_name.upper().split() if w not in noise]
    return "".join(w[0] for w in words)[:4]


def _flavour(rng: random.Random, spec: DemoVendor, root_code: str, kind: str) -> str:
    served = ", ".join(spec.serves) or spec.regency
    if root_code == "KONSUMSI":
        lines = [
            "Pesan paling lambat H-1 sebelum pukul 15.00.",
            "Dimasak setiap hari dengan bahan segar dari pasar setempat.",
            f"Gratis antar untuk wilayah {served}.",
        ]
    elif root_code == "CETAK":
        lines = [
            "Berkas dari pemesan (PDF atau CorelDRAW); bantuan desain sederhana tanpa biaya.",
            f"Antar gratis untuk wilayah {served}.",
            "Contoh cetak dikirim untuk disetujui sebelum produksi.",
        ]
    elif kind == SERVICES and root_code != "JASA":
        lines = [
            f"Melayani {served}.",
            "Dikerjakan teknisi berpengalaman, garansi pekerjaan 30 hari.",
            "Jadwal kunjungan disesuaikan dengan jam kerja satker.",
        ]
    elif kind == SERVICES:
        lines = [
            f"Melayani {served}.",
            "Jadwal disesuaikan dengan kegiatan satker.",
            "Berita acara serah terima pekerjaan disiapkan.",
        ]
    else:
        lines = [
            f"Dikirim dari {spec.regency}.",
            "Barang baru, garansi toko 7 hari untuk cacat produksi.",
            "Melayani pembelian partai besar untuk kebutuhan kantor.",
            "Stok diperbarui setiap hari kerja.",
        ]
    return rng.choice(lines)


def plan(spec: DemoVendor) -> list[PlannedProduct]:
    """The vendor's products, always the same for the same vendor (seeded with its code)."""
    rng = random.Random(f"digipay-demo:{spec.code}")  # noqa: S311 - demo data, not security
    queues: list[tuple[str, list[int]]] = []
    for code in spec.categories:
        order = list(range(len(VOCABULARY[code])))
        rng.shuffle(order)
        if not queues:  # the vendor's first product is the most typical item of its trade
            order.remove(0)
            order.insert(0, 0)
        queues.append((code, order))
    picks: list[tuple[str, int]] = []
    while len(picks) < spec.products and any(q for _c, q in queues):
        for code, queue in queues:
            if queue and len(picks) < spec.products:
                picks.append((code, queue.pop(0)))
    prefix = _sku_prefix(spec)
    selling = spec.status == VendorStatus.VERIFIED
    out: list[PlannedProduct] = []
    for n, (code, index) in enumerate(picks):
        item = VOCABULARY[code][index]
        root_code = code.split("-", 1)[0]
        root = ROOTS[root_code]
        kind = item.kind or root.kind
        price = _round_price(item.price_idr * rng.uniform(0.92, 1.12))
        stock = _stock(rng, root_code, item, price) if kind == GOODS else None
        is_pdn = rng.random() < root.pdn_share
        tkdn = bmp = 0
        if is_pdn and rng.random() < 0.8:
            tkdn = rng.randint(root.tkdn[0] * 100, root.tkdn[1] * 100)
            if rng.random() < 0.5:
                bmp = min(rng.choice((500, 800, 1000, 1500)), 10_000 - tkdn)
        local = root_code == "KONSUMSI" or (kind == SERVICES and code != "JASA-PENGIRIMAN")
        provinces: tuple[str, ...]
        regencies: tuple[str, ...]
        if local:
            provinces, regencies = (spec.province,), spec.serves or (spec.regency,)
        elif rng.random() < root.nationwide_share:
            provinces, regencies = (), ()
        else:
            provinces, regencies = (spec.province, *NEIGHBOURS.get(spec.province, ())), ()
        lead = rng.randint(*root.lead_days) + (2 if kind == GOODS and not provinces else 0)
        if not selling:
            state = ProductState.DRAFT
        elif n < CORE_PRODUCTS:
            state = ProductState.PUBLISHED if n == 2 else ProductState.READY
        elif n == len(picks) - 1 and spec.code in DRAFT_LAST:
            state = ProductState.DRAFT
        else:
            state = ProductState.READY if rng.random() < 0.82 else ProductState.PUBLISHED
        out.append(
            PlannedProduct(
                sku=f"{prefix}-{code.split('-', 1)[1][:3]}-{index + 1:02d}",
                category_code=code,
                name=item.name,
                description=f"{item.description} {_flavour(rng, spec, root_code, kind)}",
                unit=item.unit,
                price_idr=price,
                min_order=item.min_order,
                stock=stock,
                kind=kind,
                is_pdn=is_pdn,
                tkdn_bp=tkdn,
                bmp_bp=bmp,
                lead_time_days=lead,
                provinces=provinces,
                regencies=regencies,
                state=state,
            )
        )
    return out


# --- the product card image ------------------------------------------------------------------

SIZE = 600
INK = (30, 41, 59)
MUTED = (100, 116, 139)
WHITE = (255, 255, 255)
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=8)
def _font(size: int) -> Font:
    return ImageFont.load_default(size=size)


def _icon(draw: ImageDraw.ImageDraw, icon: str, cx: int, cy: int, c: tuple[int, int, int]) -> None:
    """A simple pictogram of the category, about 180 px wide, centred on (cx, cy)."""
    w = 8
    if icon == "paper":
        draw.rectangle((cx - 60, cy - 75, cx + 45, cy + 75), fill=WHITE, outline=c, width=w)
        for y in range(cy - 40, cy + 60, 26):
            draw.line((cx - 38, y, cx + 24, y), fill=c, width=6)
        draw.polygon(
            [(cx + 40, cy + 60), (cx + 95, cy - 40), (cx + 75, cy - 52), (cx + 22, cy + 48)],
            fill=c,
        )
    elif icon == "plug":
        for x in (cx - 36, cx + 20):
            draw.rounded_rectangle((x, cy - 92, x + 16, cy - 45), 4, fill=c)
        draw.rounded_rectangle((cx - 65, cy - 52, cx + 65, cy + 30), 18, fill=c)
        draw.polygon(
            [(cx - 35, cy + 28), (cx + 35, cy + 28), (cx + 16, cy + 55), (cx - 16, cy + 55)], fill=c
        )
        draw.polygon(
            [
                (cx + 8, cy - 42),
                (cx - 20, cy - 4),
                (cx - 2, cy - 4),
                (cx - 10, cy + 22),
                (cx + 20, cy - 16),
                (cx + 2, cy - 16),
            ],
            fill=WHITE,
        )
        draw.line((cx, cy + 50, cx, cy + 76), fill=c, width=10)
        draw.arc((cx - 5, cy + 45, cx + 65, cy + 110), 90, 180, fill=c, width=10)
        draw.line((cx + 30, cy + 105, cx + 62, cy + 105), fill=c, width=10)
    elif icon == "monitor":
        draw.rounded_rectangle((cx - 90, cy - 70, cx + 90, cy + 45), 12, fill=c)
        draw.rectangle((cx - 74, cy - 56, cx + 74, cy + 30), fill=WHITE)
        draw.polygon(
            [(cx - 18, cy + 45), (cx + 18, cy + 45), (cx + 28, cy + 78), (cx - 28, cy + 78)], fill=c
        )
        draw.line((cx - 60, cy + 80, cx + 60, cy + 80), fill=c, width=w)
    elif icon == "chair":
        draw.rounded_rectangle((cx - 50, cy - 85, cx + 50, cy - 5), 10, fill=c)
        draw.rounded_rectangle((cx - 70, cy + 2, cx + 70, cy + 26), 8, fill=c)
        for x in (cx - 55, cx + 55):
            draw.line((x, cy + 26, x, cy + 85), fill=c, width=10)
    elif icon == "bowl":
        draw.chord((cx - 90, cy - 60, cx + 90, cy + 90), 0, 180, fill=c)
        draw.line((cx - 100, cy + 15, cx + 100, cy + 15), fill=c, width=w)
        for x in (cx - 35, cx, cx + 35):
            draw.arc((x - 12, cy - 75, x + 12, cy - 40), 90, 270, fill=c, width=6)
            draw.arc((x - 12, cy - 45, x + 12, cy - 10), 270, 90, fill=c, width=6)
    elif icon == "drop":
        draw.polygon([(cx, cy - 90), (cx - 58, cy + 10), (cx + 58, cy + 10)], fill=c)
        draw.ellipse((cx - 62, cy - 32, cx + 62, cy + 92), fill=c)
        draw.ellipse((cx + 60, cy - 70, cx + 90, cy - 40), outline=c, width=5)
        draw.ellipse((cx - 95, cy - 50, cx - 70, cy - 25), outline=c, width=5)
    elif icon == "printer":
        draw.rectangle((cx - 55, cy - 80, cx + 55, cy - 20), fill=WHITE, outline=c, width=w)
        draw.rounded_rectangle((cx - 90, cy - 25, cx + 90, cy + 45), 12, fill=c)
        draw.rectangle((cx - 55, cy + 25, cx + 55, cy + 90), fill=WHITE, outline=c, width=w)
        for y in (cy + 48, cy + 68):
            draw.line((cx - 35, y, cx + 35, y), fill=c, width=5)
    elif icon == "gear":
        points = []
        for k in range(16):
            radius = 88 if k % 2 == 0 else 66
            for da in (-0.12, 0.12):
                a = (k + 0.5) * math.pi / 8 + da
                points.append((cx + radius * math.cos(a), cy + radius * math.sin(a)))
        draw.polygon(points, fill=c)
        draw.ellipse((cx - 28, cy - 28, cx + 28, cy + 28), fill=WHITE)
    elif icon == "truck":
        draw.rounded_rectangle((cx - 100, cy - 55, cx + 20, cy + 35), 6, fill=c)
        draw.polygon(
            [
                (cx + 26, cy - 25),
                (cx + 70, cy - 25),
                (cx + 100, cy + 5),
                (cx + 100, cy + 35),
                (cx + 26, cy + 35),
            ],
            fill=c,
        )
        draw.rectangle((cx + 40, cy - 15, cx + 68, cy + 5), fill=WHITE)
        for x in (cx - 60, cx + 60):
            draw.ellipse((x - 22, cy + 25, x + 22, cy + 69), fill=INK)
            draw.ellipse((x - 9, cy + 38, x + 9, cy + 56), fill=WHITE)
    else:  # gift
        draw.rectangle((cx - 75, cy - 15, cx + 75, cy + 85), fill=c)
        draw.rectangle((cx - 88, cy - 45, cx + 88, cy - 12), fill=c)
        draw.rectangle((cx - 12, cy - 45, cx + 12, cy + 85), fill=WHITE)
        draw.ellipse((cx - 60, cy - 85, cx - 4, cy - 45), outline=c, width=w)
        draw.ellipse((cx + 4, cy - 85, cx + 60, cy - 45), outline=c, width=w)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int, lines: int) -> list[str]:
    """Greedy word wrap into at most ``lines`` lines, the last one ending in "…" if cut."""
    out: list[str] = []
    for word in text.split():
        if out and draw.textlength(f"{out[-1]} {word}", font=font) <= width:
            out[-1] = f"{out[-1]} {word}"
        else:
            out.append(word)
    if len(out) > lines:
        out = out[:lines]
        words = out[-1].split()
        while len(words) > 1 and draw.textlength(" ".join(words) + " …", font=font) > width:
            words.pop()
        out[-1] = " ".join(words) + " …"
    return out


# The default font has no glyphs for some characters of the product names.
_CARD_CHARS = str.maketrans({"–": "-", "—": "-", "×": "x", "²": "2", "³": "3"})


def _card_text(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_CARD_CHARS))
    return text.encode("ascii", "ignore").decode()


def product_card(name: str, category_code: str, vendor_name: str) -> bytes:
    """A 600 × 600 JPEG product card: the category's colour and pictogram, the product name
    and the vendor (demo images; vendors upload photographs)."""
    root = _root(category_code)
    image = Image.new("RGB", (SIZE, SIZE), root.background)
    draw = ImageDraw.Draw(image)
    label = _font(22)
    pill = int(draw.textlength(root.name, font=label)) + 36
    draw.rounded_rectangle((32, 30, 32 + pill, 70), 20, fill=WHITE)
    draw.text((50, 50), root.name, font=label, fill=root.accent, anchor="lm")
    draw.ellipse((300 - 130, 215 - 130, 300 + 130, 215 + 130), fill=WHITE)
    _icon(draw, root.icon, 300, 215, root.accent)
    title = _font(36)
    lines = _wrap(draw, _card_text(name), title, SIZE - 80, 3)
    top = 395 if len(lines) < 3 else 375
    for k, line in enumerate(lines):
        draw.text((SIZE // 2, top + k * 44), line, font=title, fill=INK, anchor="mm")
    draw.line((220, 530, 380, 530), fill=root.accent, width=4)
    small = _font(22)
    draw.text((SIZE // 2, 562), _card_text(vendor_name), font=small, fill=MUTED, anchor="mm")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


# --- loading --------------------------------------------------------------------------------

STATE_PATH: Mapping[str, tuple[str, ...]] = {
    ProductState.DRAFT: (),
    ProductState.PUBLISHED: (ProductState.PUBLISHED,),
    ProductState.READY: (ProductState.PUBLISHED, ProductState.READY),
}


def _load_vendor(
    vendor: Vendor, products: list[PlannedProduct], categories: Mapping[str, int], *, images: bool
) -> None:
    admin = User.objects.filter(
        organisation_id=vendor.organisation_id, role=Role.VENDOR_ADMIN, is_active=True
    ).first()
    if admin is None:
        return
    existing = {p.sku: p for p in Product.objects.filter(vendor=vendor)}
    with_image = set(
        ProductImage.objects.filter(product__vendor=vendor).values_list("product__sku", flat=True)
    )
    for planned in products:
        if planned.category_code not in categories:
            continue
        product = existing.get(planned.sku)
        if product is None:
            product = services.create_product(
                admin,
                vendor,
                services.ProductInput(
                    sku=planned.sku,
                    name=planned.name,
                    category_id=categories[planned.category_code],
                    unit=planned.unit,
                    price_idr=planned.price_idr,
                    kind=planned.kind,
                    description=planned.description,
                    min_order=planned.min_order,
                    stock=planned.stock,
                    is_pdn=planned.is_pdn,
                    tkdn_bp=planned.tkdn_bp,
                    bmp_bp=planned.bmp_bp,
                    lead_time_days=planned.lead_time_days,
                    delivery_provinces=list(planned.provinces),
                    delivery_regencies=list(planned.regencies),
                ),
            )
            for state in STATE_PATH[planned.state]:
                product = services.change_state(admin, product, state=state)
        if images and planned.sku not in with_image:
            card = product_card(planned.name, planned.category_code, vendor.business_name)
            services.add_image(admin, product, stream=io.BytesIO(card), alt_text=planned.name)


def load(*, full: bool) -> None:
    """Create the demo vendors' products that do not exist yet (see the module docstring).
    Run after ``digipay.vendors.demo.load`` with the same ``full``."""
    categories = dict(Category.objects.filter(is_active=True).values_list("code", "id"))
    for spec in vendors_demo.VENDORS:
        if spec.full_only and not full:
            continue
        vendor = (
            Vendor.objects.select_related("organisation")
            .filter(organisation__kind=OrgKind.VENDOR, organisation__code=spec.code)
            .first()
        )
        if vendor is None:
            continue
        products = plan(spec)
        with transaction.atomic():
            _load_vendor(
                vendor, products if full else products[:CORE_PRODUCTS], categories, images=full
            )
