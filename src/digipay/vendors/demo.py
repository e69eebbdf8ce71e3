"""Demo vendors, registered, verified (or not) and given a bank account through the real
services, so that every step is audited like a real one.

``load(full=False)`` (the test fixture ``world``): the two vendors of the small world,
UMKM-0001 and UMKM-0002, verified, with one unchecked bank account each; no network call.
``load(full=True)`` (``make run``): also twenty verified UMKM across the country, one waiting
for verification and one rejected, some with a Suket PPh Final, and every bank account
checked by an account-name inquiry at the bank simulator (a failed check is recorded as
such; the loader goes on).

Idempotent: a vendor whose organisation code exists is left as it is. The catalog's demo
(``digipay.catalog.demo``) gives these vendors their products.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from digipay.accounts import demo as accounts_demo
from digipay.accounts.models import Organisation, User
from digipay.accounts.rules import OrgKind, Role
from digipay.core import clock
from digipay.vendors import services
from digipay.vendors.models import Vendor, VendorBankAccount
from digipay.vendors.rules import (
    BankAccountStatus,
    DocumentKind,
    LegalForm,
    LicenceKind,
    UmkmBasis,
    VendorStatus,
)

log = logging.getLogger("digipay.vendors")

JUTA = 1_000_000
MILIAR = 1_000_000_000
NO_NPWP = "000000000000000"
# NIK serials of vendor owners: 100 + the number of the organisation code (accounts' demo
# users take 1–99).
NIK_SERIAL_BASE = 100


@dataclass(frozen=True, slots=True)
class DemoVendor:
    code: str
    business_name: str
    legal_form: str
    owner_name: str
    phone: str
    address: str
    regency: str
    province: str
    partner: str  # the partner satker's code
    kbli: tuple[str, ...]
    npwp: str
    is_pkp: bool
    umkm_basis: str
    umkm_amount_idr: int
    # (bank code, account number, holder name); the bank simulator's demo configuration
    # (simulators/banksim/demo_config.json) holds the same account under the same name.
    bank: tuple[str, str, str]
    # Catalog category codes this vendor sells in (plain strings: vendors does not import
    # the catalog) and how many products it offers in the full demo.
    categories: tuple[str, ...]
    products: int = 14
    # Regencies and cities reached by its local services and food deliveries.
    serves: tuple[str, ...] = ()
    nib: str = ""
    # A licence other than the NIB: (kind, number); its document is uploaded.
    licence: tuple[str, str] | None = None
    suket_number: str = ""
    status: str = VendorStatus.VERIFIED
    rejection: str = ""
    # Only in the full demo (``make run``), not in the tests' small world.
    full_only: bool = True

    @property
    def email(self) -> str:
        return f"admin@{self.code.lower()}.demo.digipay.id"

    @property
    def nik(self) -> str:
        return accounts_demo.demo_nik(NIK_SERIAL_BASE + int(self.code.rsplit("-", 1)[1]))


VENDORS: tuple[DemoVendor, ...] = (
    # --- the small world's two vendors (tests and make run) ------------------------------
    DemoVendor(
        code="UMKM-0001",
        business_name="CV Sinar Jaya Abadi",
        legal_form=LegalForm.CV,
        owner_name="Hendra Gunawan",
        phone="0812-8845-2310",
        address="Jl. Ahmad Yani No. 45, Kel. Marga Jaya, Kec. Bekasi Selatan",
        regency="Kota Bekasi",
        province="32",
        partner="415256",
        kbli=("46900", "47190"),
        nib="9120104512876",
        npwp="01.526.018.5-407.000",
        is_pkp=True,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=3_200 * JUTA,
        bank=("002", "034601000456302", "CV Sinar Jaya Abadi"),
        categories=("ATK-KERTAS", "ATK-TULIS", "ATK-ARSIP", "ATK-TINTA"),
        products=16,
        serves=("Kota Bekasi", "Kota Jakarta Timur", "Kota Jakarta Pusat"),
        full_only=False,
    ),
    DemoVendor(
        code="UMKM-0002",
        business_name="UD Berkah Tani Makmur",
        legal_form=LegalForm.UD,
        owner_name="Asep Saepudin",
        phone="0821-2134-7788",
        address="Jl. Raya Soreang–Banjaran No. 118, Desa Pamekaran, Kec. Soreang",
        regency="Kab. Bandung",
        province="32",
        partner="527010",
        kbli=("10710", "47111", "11050"),
        nib="9120204387115",
        npwp="07.159.083.0-424.000",
        is_pkp=False,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=850 * JUTA,
        bank=("009", "0912345678", "UD Berkah Tani Makmur"),
        categories=("KONSUMSI-SNACK", "KONSUMSI-MINUMAN"),
        products=14,
        serves=("Kab. Bandung", "Kota Bandung", "Kota Cimahi"),
        full_only=False,
    ),
    # --- the full demo: twenty verified UMKM -----------------------------------------------
    DemoVendor(
        code="UMKM-0003",
        business_name="Koperasi Pegawai Poltekkes Bandung",
        legal_form=LegalForm.KOPERASI,
        owner_name="Dra. Nining Suryani",
        phone="022-2015-3344",
        address="Jl. Pajajaran No. 56, Kel. Pasirkaliki, Kec. Cicendo",
        regency="Kota Bandung",
        province="32",
        partner="527010",
        kbli=("47111", "56210", "82190"),
        nib="9120301845209",
        npwp="02.016.613.8-428.000",
        is_pkp=False,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=1_450 * JUTA,
        bank=("200", "0001501500654321", "Koperasi Pegawai Poltekkes Bandung"),
        categories=("KONSUMSI-NASI", "KONSUMSI-SNACK", "ATK-PERLENGKAPAN", "CETAK-JILID"),
        products=15,
        serves=("Kota Bandung", "Kota Cimahi"),
        suket_number="KET-01287/PP55/WPJ.09/KP.0203/{year}",
    ),
    DemoVendor(
        code="UMKM-0004",
        business_name="Toko Buku Ilmu Sejati",
        legal_form=LegalForm.PERORANGAN,
        owner_name="Yusuf Hidayat",
        phone="0857-2245-9011",
        address="Jl. Gandawijaya No. 77, Kel. Cigugur Tengah, Kec. Cimahi Tengah",
        regency="Kota Cimahi",
        province="32",
        partner="527010",
        kbli=("47611", "47190"),
        nib="9120401176532",
        npwp=NO_NPWP,
        is_pkp=False,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=420 * JUTA,
        bank=("014", "5270123456", "Toko Buku Ilmu Sejati"),
        categories=("ATK-TULIS", "ATK-KERTAS", "ATK-ARSIP", "ATK-PERLENGKAPAN"),
        products=14,
        serves=("Kota Cimahi", "Kota Bandung"),
    ),
    DemoVendor(
        code="UMKM-0005",
        business_name="CV Amanah Catering",
        legal_form=LegalForm.CV,
        owner_name="Hj. Siti Aminah",
        phone="0813-1987-4521",
        address="Jl. Raya Bekasi Km 18 No. 9, Kel. Jatinegara, Kec. Cakung",
        regency="Kota Jakarta Timur",
        province="31",
        partner="652840",
        kbli=("56210", "10710"),
        nib="9120503398041",
        npwp="02.186.091.1-074.000",
        is_pkp=False,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=1_750 * JUTA,
        bank=("451", "7123456789", "CV Amanah Catering"),
        categories=("KONSUMSI-NASI", "KONSUMSI-SNACK", "KONSUMSI-MINUMAN"),
        products=16,
        serves=("Kota Jakarta Timur", "Kota Jakarta Pusat", "Kota Jakarta Selatan"),
        suket_number="KET-00532/PP55/WPJ.20/KP.1003/{year}",
    ),
    DemoVendor(
        code="UMKM-0006",
        business_name="CV Karya Grafika Mandiri",
        legal_form=LegalForm.CV,
        owner_name="Rudy Setiawan",
        phone="0812-1066-7734",
        address="Jl. Kramat Raya No. 128, Kel. Kenari, Kec. Senen",
        regency="Kota Jakarta Pusat",
        province="31",
        partner="415256",
        kbli=("18111", "18120", "82190"),
        nib="9120602210987",
        npwp="03.518.190.8-073.000",
        is_pkp=True,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=6_800 * JUTA,
        bank=("008", "1230004455667", "CV Karya Grafika Mandiri"),
        categories=("CETAK-DOKUMEN", "CETAK-PROMOSI", "CETAK-JILID"),
        products=18,
        serves=("Kota Jakarta Pusat", "Kota Jakarta Utara", "Kota Jakarta Barat"),
    ),
    DemoVendor(
        code="UMKM-0007",
        business_name="UD Sejuk Teknik",
        legal_form=LegalForm.UD,
        owner_name="Dedi Kurniawan",
        phone="0878-8812-0456",
        address="Jl. Pahlawan Seribu Blok C2 No. 14, Kel. Lengkong Gudang, Kec. Serpong",
        regency="Kota Tangerang Selatan",
        province="36",
        partner="652840",
        kbli=("33120", "95220", "47420"),
        nib="9120703657210",
        npwp="07.390.996.2-411.000",
        is_pkp=False,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=640 * JUTA,
        bank=("002", "034601000512309", "UD Sejuk Teknik"),
        categories=("PEMELIHARAAN-AC", "PERALATAN-PENDINGIN"),
        products=15,
        serves=("Kota Tangerang Selatan", "Kota Tangerang", "Kota Jakarta Selatan"),
        suket_number="KET-00911/PP55/WPJ.08/KP.1103/{year}",
    ),
    DemoVendor(
        code="UMKM-0008",
        business_name="PT Nusantara Data Solusi",
        legal_form=LegalForm.PT,
        owner_name="Ir. Bambang Wicaksono",
        phone="031-5678-2290",
        address="Jl. Raya Darmo Permai III No. 21, Kel. Pradah Kalikendal, Kec. Dukuh Pakis",
        regency="Kota Surabaya",
        province="35",
        partner="415256",
        kbli=("46510", "47411", "62029"),
        nib="9120804712366",
        npwp="01.030.824.5-606.000",
        is_pkp=True,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=28_500 * JUTA,
        bank=("008", "1410018876543", "PT Nusantara Data Solusi"),
        categories=("TIK-KOMPUTER", "TIK-AKSESORI", "TIK-JARINGAN", "TIK-PENYIMPANAN"),
        products=18,
    ),
    DemoVendor(
        code="UMKM-0009",
        business_name="CV Cahaya Komputer",
        legal_form=LegalForm.CV,
        owner_name="Agung Prasetyo",
        phone="0274-512-889",
        address="Jl. Colombo No. 32, Kel. Caturtunggal, Kec. Depok",
        regency="Kab. Sleman",
        province="34",
        partner="527010",
        kbli=("47411", "95110"),
        nib="9120905530148",
        npwp="08.628.194.6-541.000",
        is_pkp=True,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=4_100 * JUTA,
        bank=("009", "0378812345", "CV Cahaya Komputer"),
        categories=("TIK-PRINTER", "TIK-AKSESORI", "ATK-TINTA", "PEMELIHARAAN-TIK"),
        products=16,
        serves=("Kab. Sleman", "Kota Yogyakarta", "Kab. Bantul"),
    ),
    DemoVendor(
        code="UMKM-0010",
        business_name="UD Jati Mulya Furniture",
        legal_form=LegalForm.UD,
        owner_name="Slamet Riyadi",
        phone="0291-598-771",
        address="Jl. Jepara–Kudus Km 4, Desa Tahunan, Kec. Tahunan",
        regency="Kab. Jepara",
        province="33",
        partner="652840",
        kbli=("31001", "46900"),
        nib="9121006284419",
        npwp="07.821.993.8-516.000",
        is_pkp=False,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=2_900 * JUTA,
        bank=("002", "058201000334306", "UD Jati Mulya Furniture"),
        categories=("MEBEL-MEJA", "MEBEL-KURSI", "MEBEL-LEMARI"),
        products=15,
    ),
    DemoVendor(
        code="UMKM-0011",
        business_name="CV Bersih Prima Sejahtera",
        legal_form=LegalForm.CV,
        owner_name="Lina Marlina",
        phone="0821-1190-3375",
        address="Jl. Yos Sudarso Kav. 88, Kel. Sunter Jaya, Kec. Tanjung Priok",
        regency="Kota Jakarta Utara",
        province="31",
        partner="415256",
        kbli=("81210", "81290", "47190"),
        nib="9121107019375",
        npwp="02.507.529.2-075.000",
        is_pkp=True,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=5_600 * JUTA,
        bank=("009", "0421987654", "CV Bersih Prima Sejahtera"),
        categories=(
            "KEBERSIHAN-PEMBERSIH",
            "KEBERSIHAN-ALAT",
            "KEBERSIHAN-TISU",
            "JASA-KEBERSIHAN",
        ),
        products=18,
        serves=("Kota Jakarta Utara", "Kota Jakarta Pusat", "Kota Jakarta Timur"),
    ),
    DemoVendor(
        code="UMKM-0012",
        business_name="Batik Sekar Arum",
        legal_form=LegalForm.PERORANGAN,
        owner_name="Sri Wahyuningsih",
        phone="0856-4021-7789",
        address="Jl. Pesindon Gg. 3 No. 12, Kel. Kauman, Kec. Pekalongan Timur",
        regency="Kota Pekalongan",
        province="33",
        partner="415256",
        kbli=("13134", "14111"),
        nib="9121208843720",
        npwp="09.937.865.5-513.000",
        is_pkp=False,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=380 * JUTA,
        bank=("002", "007401000887305", "Sri Wahyuningsih"),
        categories=("SOUVENIR-BATIK",),
        products=10,
        suket_number="KET-00148/PP55/WPJ.10/KP.0503/{year}",
    ),
    DemoVendor(
        code="UMKM-0013",
        business_name="UD Kriya Rotan Lestari",
        legal_form=LegalForm.UD,
        owner_name="Taufik Hidayatullah",
        phone="0812-2401-6655",
        address="Jl. Raya Tegalwangi No. 21, Desa Tegalwangi, Kec. Weru",
        regency="Kab. Cirebon",
        province="32",
        partner="527010",
        kbli=("31002", "16291"),
        nib="9121309176654",
        npwp="07.797.543.1-426.000",
        is_pkp=False,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=1_200 * JUTA,
        bank=("009", "0455123987", "UD Kriya Rotan Lestari"),
        categories=("SOUVENIR-KERAJINAN", "MEBEL-KURSI"),
        products=14,
    ),
    DemoVendor(
        code="UMKM-0014",
        business_name="Toko Elektronik Maju Bersama",
        legal_form=LegalForm.PERORANGAN,
        owner_name="Halim Sitompul",
        phone="0813-7012-4490",
        address="Jl. Sutomo No. 96, Kel. Pusat Pasar, Kec. Medan Kota",
        regency="Kota Medan",
        province="12",
        partner="652840",
        kbli=("47420", "47190"),
        nib="9121410467218",
        npwp="06.231.948.8-122.000",
        is_pkp=False,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=1_900 * JUTA,
        bank=("014", "8205566778", "Toko Elektronik Maju Bersama"),
        categories=("PERALATAN-ELEKTRONIK", "PERALATAN-PENDINGIN", "TIK-AKSESORI"),
        products=15,
    ),
    DemoVendor(
        code="UMKM-0015",
        business_name="CV Bengkel Mitra Motor",
        legal_form=LegalForm.CV,
        owner_name="Andi Baso Mappasessu",
        phone="0811-4102-5567",
        address="Jl. Urip Sumoharjo Km 5 No. 17, Kel. Panaikang, Kec. Panakkukang",
        regency="Kota Makassar",
        province="73",
        partner="415256",
        kbli=("45201", "45405"),
        licence=(LicenceKind.SIUP, "503/0456/SIUP-K/DPMPTSP/2021"),
        npwp="02.757.491.2-801.000",
        is_pkp=False,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=1_350 * JUTA,
        bank=("002", "015201000623301", "CV Bengkel Mitra Motor"),
        categories=("PEMELIHARAAN-KENDARAAN",),
        products=11,
        serves=("Kota Makassar", "Kab. Gowa", "Kab. Maros"),
    ),
    DemoVendor(
        code="UMKM-0016",
        business_name="CV Tenda Megah Event",
        legal_form=LegalForm.CV,
        owner_name="I Made Suartana",
        phone="0361-422-719",
        address="Jl. Gatot Subroto Timur No. 210, Kel. Tonja, Kec. Denpasar Utara",
        regency="Kota Denpasar",
        province="51",
        partner="652840",
        kbli=("77390", "82301"),
        nib="9121611208833",
        npwp="01.186.252.1-901.000",
        is_pkp=True,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=7_300 * JUTA,
        bank=("200", "0002101500998877", "CV Tenda Megah Event"),
        categories=("JASA-SEWA",),
        products=12,
        serves=("Kota Denpasar", "Kab. Badung", "Kab. Gianyar"),
    ),
    DemoVendor(
        code="UMKM-0017",
        business_name="PT Kirim Cepat Sentosa",
        legal_form=LegalForm.PT_PERORANGAN,
        owner_name="Rahmat Hidayat",
        phone="0812-5431-2298",
        address="Jl. MT Haryono No. 41, Kel. Damai Bahagia, Kec. Balikpapan Selatan",
        regency="Kota Balikpapan",
        province="64",
        partner="415256",
        kbli=("53201", "49431"),
        nib="9121712654470",
        npwp="04.760.189.3-721.000",
        is_pkp=False,
        umkm_basis=UmkmBasis.CAPITAL,
        umkm_amount_idr=250 * JUTA,
        bank=("451", "7209876543", "PT Kirim Cepat Sentosa"),
        categories=("JASA-PENGIRIMAN",),
        products=9,
        serves=("Kota Balikpapan", "Kota Samarinda"),
    ),
    DemoVendor(
        code="UMKM-0018",
        business_name="CV Bangun Karya Teknik",
        legal_form=LegalForm.CV,
        owner_name="Fajar Nugroho",
        phone="0254-220-4318",
        address="Jl. Ki Ajurum No. 9, Kel. Cipare, Kec. Serang",
        regency="Kota Serang",
        province="36",
        partner="652840",
        kbli=("43900", "43211"),
        nib="9121813349902",
        npwp="02.555.979.0-401.000",
        is_pkp=True,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=8_900 * JUTA,
        bank=("008", "1160012233445", "CV Bangun Karya Teknik"),
        categories=("PEMELIHARAAN-GEDUNG", "PERALATAN-KEAMANAN"),
        products=14,
        serves=("Kota Serang", "Kab. Serang", "Kota Cilegon"),
    ),
    DemoVendor(
        code="UMKM-0019",
        business_name="UD Tirta Segar",
        legal_form=LegalForm.UD,
        owner_name="Sugeng Santoso",
        phone="0341-478-920",
        address="Jl. Raya Sawojajar No. 55, Kel. Sawojajar, Kec. Kedungkandang",
        regency="Kota Malang",
        province="35",
        partner="527010",
        kbli=("11050", "47241"),
        nib="9121914482261",
        npwp=NO_NPWP,
        is_pkp=False,
        umkm_basis=UmkmBasis.CAPITAL,
        umkm_amount_idr=175 * JUTA,
        bank=("200", "0003201500445566", "UD Tirta Segar"),
        categories=("KONSUMSI-MINUMAN",),
        products=9,
        serves=("Kota Malang", "Kota Batu", "Kab. Malang"),
    ),
    DemoVendor(
        code="UMKM-0020",
        business_name="Koperasi Wanita Srikandi",
        legal_form=LegalForm.KOPERASI,
        owner_name="Endang Sulistyowati",
        phone="0274-367-512",
        address="Jl. Parangtritis Km 7,5, Desa Timbulharjo, Kec. Sewon",
        regency="Kab. Bantul",
        province="34",
        partner="652840",
        kbli=("10710", "13134", "47111"),
        nib="9122015706643",
        npwp="03.049.746.5-543.000",
        is_pkp=False,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=690 * JUTA,
        bank=("009", "0512345098", "Koperasi Wanita Srikandi"),
        categories=("KONSUMSI-SNACK", "SOUVENIR-KERAJINAN", "SOUVENIR-BATIK"),
        products=14,
        serves=("Kab. Bantul", "Kota Yogyakarta", "Kab. Sleman"),
        suket_number="KET-00377/PP55/WPJ.23/KP.0403/{year}",
    ),
    DemoVendor(
        code="UMKM-0021",
        business_name="CV Aman Sentosa Safety",
        legal_form=LegalForm.CV,
        owner_name="Yohanes Widodo",
        phone="021-5694-3381",
        address="Jl. Daan Mogot Raya No. 119, Kel. Tanjung Duren Utara, Kec. Grogol Petamburan",
        regency="Kota Jakarta Barat",
        province="31",
        partner="415256",
        kbli=("46900", "33110"),
        nib="9122116023458",
        npwp="09.366.712.9-404.000",
        is_pkp=True,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=3_700 * JUTA,
        bank=("014", "2881234567", "CV Aman Sentosa Safety"),
        categories=("PERALATAN-KEAMANAN", "PERALATAN-ELEKTRONIK"),
        products=14,
        serves=("Kota Jakarta Barat", "Kota Jakarta Pusat", "Kota Tangerang"),
    ),
    DemoVendor(
        code="UMKM-0022",
        business_name="Firma Sumber Rejeki Kertas",
        legal_form=LegalForm.FIRMA,
        owner_name="Lukman Hakim",
        phone="0721-255-871",
        address="Jl. Kartini No. 64, Kel. Tanjung Karang, Kec. Enggal",
        regency="Kota Bandar Lampung",
        province="18",
        partner="652840",
        kbli=("46900", "47190"),
        nib="9122217558019",
        npwp="01.170.342.8-325.000",
        is_pkp=True,
        umkm_basis=UmkmBasis.SALES,
        umkm_amount_idr=11_400 * JUTA,
        bank=("002", "011801000776308", "Firma Sumber Rejeki Kertas"),
        categories=("ATK-KERTAS", "ATK-ARSIP", "ATK-PERLENGKAPAN", "KEBERSIHAN-TISU"),
        products=16,
        serves=("Kota Bandar Lampung", "Kab. Lampung Selatan"),
    ),
    # --- the full demo: one waiting for verification, one rejected ------------------------
    DemoVendor(
        code="UMKM-0023",
        business_name="UD Dapur Bunda Sari",
        legal_form=LegalForm.UD,
        owner_name="Sari Rahayu",
        phone="0838-1122-6790",
        address="Jl. Pajajaran Indah V No. 3, Kel. Baranangsiang, Kec. Bogor Timur",
        regency="Kota Bogor",
        province="32",
        partner="415256",
        kbli=("56210",),
        nib="9122318264477",
        npwp="02.768.426.5-402.000",
        is_pkp=False,
        umkm_basis=UmkmBasis.CAPITAL,
        umkm_amount_idr=120 * JUTA,
        bank=("008", "1330019988442", "UD Dapur Bunda Sari"),
        categories=("KONSUMSI-NASI", "KONSUMSI-SNACK"),
        products=4,
        serves=("Kota Bogor", "Kab. Bogor"),
        status=VendorStatus.PENDING,
    ),
    DemoVendor(
        code="UMKM-0024",
        business_name="CV Prima Cetak Digital",
        legal_form=LegalForm.CV,
        owner_name="Wahyu Saputra",
        phone="0819-0521-3346",
        address="Jl. Imam Bonjol No. 102, Kel. Sukajadi, Kec. Karawaci",
        regency="Kota Tangerang",
        province="36",
        partner="652840",
        kbli=("18111",),
        licence=(LicenceKind.SKU_DESA, "503/117/SKU/Kel.Sukajadi/2019"),
        npwp="01.846.563.3-421.000",
        is_pkp=False,
        umkm_basis=UmkmBasis.CAPITAL,
        umkm_amount_idr=300 * JUTA,
        bank=("002", "031101000554307", "CV Prima Cetak Digital"),
        categories=("CETAK-PROMOSI",),
        products=2,
        serves=("Kota Tangerang",),
        status=VendorStatus.REJECTED,
        rejection=(
            "Surat keterangan usaha dari kelurahan terbit tahun 2019 dan sudah tidak berlaku. "
            "Mohon unggah surat keterangan usaha yang baru atau daftarkan NIB melalui OSS, "
            "lalu ajukan ulang."
        ),
    ),
)


def by_code(code: str) -> DemoVendor:
    return next(v for v in VENDORS if v.code == code)


# --- documents ------------------------------------------------------------------------------


def _pdf_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_document(title: str, lines: list[str]) -> bytes:
    """A small one-page PDF (Helvetica, A4) standing in for a scanned document."""
    body = ["BT", "/F1 16 Tf", "72 770 Td", f"({_pdf_text(title)}) Tj", "/F1 11 Tf", "0 -30 Td"]
    for line in lines:
        body += [f"({_pdf_text(line)}) Tj", "0 -18 Td"]
    body.append("ET")
    stream = "\n".join(body).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _documents(spec: DemoVendor, suket_number: str, year: int) -> dict[str, tuple[str, io.BytesIO]]:
    docs: dict[str, tuple[str, io.BytesIO]] = {}
    if suket_number:
        pdf = pdf_document(
            "SURAT KETERANGAN (DEMO)",
            [
                f"Nomor: {suket_number}",
                "Wajib Pajak memenuhi kriteria PP 55 Tahun 2022 (PPh Final 0,5%).",
                f"Nama Wajib Pajak: {spec.business_name}",
                f"NPWP: {spec.npwp}",
                f"Berlaku sejak diterbitkan sampai dengan 31 Desember {year}.",
                "Dokumen contoh untuk data demo Digipay, bukan dokumen resmi.",
            ],
        )
        docs[DocumentKind.SUKET] = (f"suket-pph-final-{year}.pdf", io.BytesIO(pdf))
    if spec.licence is not None:
        kind, number = spec.licence
        pdf = pdf_document(
            str(LicenceKind(kind).label).upper() + " (DEMO)",
            [
                f"Nomor: {number}",
                f"Nama usaha: {spec.business_name}",
                f"Penanggung jawab: {spec.owner_name}",
                f"Alamat: {spec.address}, {spec.regency}",
                "Dokumen contoh untuk data demo Digipay, bukan dokumen resmi.",
            ],
        )
        docs[DocumentKind.LICENCE] = ("izin-usaha.pdf", io.BytesIO(pdf))
    return docs


# --- loading --------------------------------------------------------------------------------


def _register(spec: DemoVendor, year: int) -> Vendor:
    suket_number = spec.suket_number.format(year=year)
    licence_kind, licence_number = spec.licence or (LicenceKind.NIB, spec.nib)
    vendor = services.register_vendor(
        services.Registration(
            owner_name=spec.owner_name,
            owner_nik=spec.nik,
            email=spec.email,
            phone=spec.phone,
            password=accounts_demo.DEMO_PASSWORD,
            business_name=spec.business_name,
            legal_form=spec.legal_form,
            licence_kind=licence_kind,
            licence_number=licence_number,
            kbli_codes=list(spec.kbli),
            address=spec.address,
            province_code=spec.province,
            regency=spec.regency,
            npwp=spec.npwp,
            is_pkp=spec.is_pkp,
            umkm_basis=spec.umkm_basis,
            umkm_amount_idr=spec.umkm_amount_idr,
            suket_number=suket_number,
            suket_valid_from=date(year, 1, 8) if suket_number else None,
            suket_valid_until=date(year, 12, 31) if suket_number else None,
            partner_satker_code=spec.partner,
            documents=dict(_documents(spec, suket_number, year)),
        ),
        organisation_code=spec.code,
    )
    admin = User.objects.get(organisation_id=vendor.organisation_id, role=Role.VENDOR_ADMIN)
    accounts_demo.enrol(admin)
    bank_code, account_no, holder = spec.bank
    services.add_bank_account(
        admin, vendor, bank_code=bank_code, account_no=account_no, holder_name=holder
    )
    pejabat = User.objects.get(email=f"pengadaan@{spec.partner}.demo.digipay.id")
    if spec.status == VendorStatus.VERIFIED:
        vendor = services.verify_vendor(pejabat, vendor)
    elif spec.status == VendorStatus.REJECTED:
        vendor = services.reject_vendor(pejabat, vendor, reasons=spec.rejection)
    return vendor


def _check_accounts(specs: list[DemoVendor]) -> None:
    """Ask the bank (simulator) for the name of each account not yet confirmed. Outside any
    transaction (a network call); a failure is recorded on the account (CHECK_FAILED, tried
    again by the next run), never raised. Without bank profiles (DIGIPAY_BANKS_CONFIG) there
    is no one to ask: the accounts stay unchecked."""
    from digipay.integrations.banks import registry

    accounts = list(
        VendorBankAccount.objects.filter(
            vendor__organisation__kind=OrgKind.VENDOR,
            vendor__organisation__code__in=[s.code for s in specs],
            removed_at__isnull=True,
            status__in=[BankAccountStatus.UNCHECKED, BankAccountStatus.CHECK_FAILED],
        ).select_related("vendor")
    )
    if accounts and not registry.profiles():
        log.warning("demo: no bank profiles (DIGIPAY_BANKS_CONFIG); bank accounts not checked")
        return
    for account in accounts:
        try:
            services.check_bank_account(None, account)
        except Exception as exc:  # the demo goes on: this account stays unchecked
            log.warning("demo: account check failed for account %s: %r", account.pk, exc)


def load(*, full: bool) -> None:
    """Register the demo vendors that do not exist yet (see the module docstring)."""
    specs = [v for v in VENDORS if full or not v.full_only]
    year = clock.today_jakarta().year
    with transaction.atomic():
        existing = set(
            Organisation.objects.filter(
                kind=OrgKind.VENDOR, code__in=[s.code for s in specs]
            ).values_list("code", flat=True)
        )
        for spec in specs:
            if spec.code not in existing:
                _register(spec, year)
    if full:
        _check_accounts(specs)
