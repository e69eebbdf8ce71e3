"""Demo orders in every state (DOMAIN.md §4), so that each demo role finds work waiting when a
newcomer runs ``make run``: the Pejabat Pengadaan orders to detail, negotiate and send on, the
PPK orders to approve, the vendors orders to confirm, ship or put right, the Penerima Barang
deliveries to receive, the Pemesan a cart with lines, the satker a vendor's proposal of a new
delivery date to answer, each KPPN help desk a disputed cancellation to decide; and finished,
rejected and cancelled orders for the record.

Every order is made through the real services (``digipay.orders.services``) by the demo user
whose step it is, so UP holds and their release, BAST numbers, timelines, audit events and
notifications are all the real ones. The orders use the demo vendors' products
(``digipay.catalog.demo``, deterministic SKUs) and stay within the per-recipient limit, below
the split-purchase threshold per satker and vendor, and within the demo UP and card limits
(``digipay.treasury.demo``).

The clock: the whole set is made at one instant, the moment of loading (``clock.frozen``).
Orders, offers and notifications take their creation time from the database
(``auto_now_add``), so a story backdated over several days would show orders "created" after
they were approved; one instant keeps the dates on every page consistent. The deadlines count
from the load: the PPK has 3 working days for the orders waiting for approval and the vendors
5 days to confirm approved ones, after which the worker cancels them as it would real ones.

``load(full=False)`` (the tests' small world) makes nothing: the tests make the orders they
need. ``load(full=True)`` (``make run``) makes the set once; nothing is done when the demo
satkers already have orders.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.db import transaction

from digipay.accounts import demo as accounts_demo
from digipay.accounts.models import User
from digipay.accounts.rules import Role
from digipay.catalog.models import Product
from digipay.catalog.rules import ProductState
from digipay.core import calendar, clock
from digipay.orders import services
from digipay.orders.models import (
    ComplaintKind,
    Order,
    OrderLine,
    PaymentMethod,
    Resolution,
)
from digipay.orders.rules import OrderState
from digipay.treasury.models import CardStatus, KkpCard

log = logging.getLogger("digipay.orders")

DEMO_SATKERS: tuple[str, ...] = tuple(code for code, *_rest in accounts_demo.SATKERS)
A, B, C = "415256", "527010", "652840"  # Jakarta Pusat, Bandung, Jakarta Timur

# Budget lines (akun) of the demo orders.
BAHAN = "521211"  # Belanja Bahan (ATK, cetak, konsumsi rapat)
PERSEDIAAN = "521811"  # Belanja Barang Persediaan Barang Konsumsi
PEMELIHARAAN_GEDUNG = "523111"
PEMELIHARAAN_ALAT = "523121"
MODAL_ALAT = "532111"  # Belanja Modal Peralatan dan Mesin


# --- who does what ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Satker:
    pemesan: User
    pp: User
    ppk: User
    penerima: User

    @classmethod
    def of(cls, code: str) -> _Satker:
        people = {
            u.role: u
            for u in User.objects.filter(
                organisation__code=code, email__endswith=".demo.digipay.id", is_active=True
            )
        }
        return cls(
            people[Role.PEMESAN],
            people[Role.PEJABAT_PENGADAAN],
            people[Role.PPK],
            people[Role.PENERIMA_BARANG],
        )


def _vendor_admin(code: str) -> User:
    return User.objects.get(email=f"admin@{code.lower()}.demo.digipay.id")


@dataclass
class _Story:
    """One demo order on its way: the people on both sides and the products of its lines."""

    order: Order
    people: _Satker
    vendor: User
    products: list[Product]

    def refresh(self) -> None:
        self.order = Order.objects.get(pk=self.order.pk)

    def lines(self) -> list[OrderLine]:
        return list(OrderLine.objects.filter(order=self.order, removed=False).order_by("id"))

    def line(self, item: int) -> OrderLine:
        """The order line of the spec's ``item``-th product."""
        product_id = self.products[item].pk
        return next(line for line in self.lines() if line.product_id == product_id)

    def by_item(self, part: Mapping[int, int]) -> dict[int, int]:
        return {self.line(item).pk: quantity for item, quantity in part.items()}


Step = Callable[[_Story], None]


def _by(s: _Story, who: str) -> User:
    """ "pp", "ppk" (the satker) or "vendor" (its admin)."""
    return {"pp": s.people.pp, "ppk": s.people.ppk, "vendor": s.vendor}[who]


def _discounted(price: int, percent: int) -> int:
    step = 100 if price >= 5_000 else 10 if price >= 500 else 1
    return max(step, price * (100 - percent) // 100 // step * step)


# --- the steps (one service call each, by the person whose turn it is) ----------------------


def negotiate(percent: int, message: str) -> Step:
    """The Pejabat Pengadaan offers ``percent`` below the list prices (the first offer sends
    the order to the vendor for negotiation)."""

    def run(s: _Story) -> None:
        prices = {line.pk: _discounted(line.list_price_idr, percent) for line in s.lines()}
        if s.order.state == OrderState.MENUNGGU_RINCIAN:
            services.send_for_negotiation(s.people.pp, s.order, prices=prices, message=message)
        else:
            services.make_offer(s.people.pp, s.order, prices=prices, message=message)

    return run


def counter(percent: int, message: str) -> Step:
    def run(s: _Story) -> None:
        prices = {line.pk: _discounted(line.list_price_idr, percent) for line in s.lines()}
        services.make_offer(s.vendor, s.order, prices=prices, message=message)

    return run


def accept(by: str) -> Step:
    """``by`` = "vendor" or "pp": that side accepts the other side's latest offer."""

    def run(s: _Story) -> None:
        services.accept_offer(s.vendor if by == "vendor" else s.people.pp, s.order)

    return run


def refuse(message: str) -> Step:
    def run(s: _Story) -> None:
        services.refuse_negotiation(s.vendor, s.order, message=message)

    return run


def submit(*, akun: str, notes: str, days: int = 5, kkp: bool = False) -> Step:
    """The Pejabat Pengadaan sends the order to the satker's PPK, for delivery ``days`` working
    days from now, paid by transfer from UP Tunai or with the satker's KKP card."""

    def run(s: _Story) -> None:
        card = None
        if kkp:
            card = KkpCard.objects.filter(
                satker_id=s.order.satker_id, status=CardStatus.ACTIVE
            ).first()
        services.submit_order(
            s.people.pp,
            s.order,
            services.Checkout(
                ppk=s.people.ppk,
                payment_method=PaymentMethod.KKP if kkp else PaymentMethod.TRANSFER,
                akun=akun,
                funding_source="RM",
                requested_date=calendar.add_working_days(clock.today_jakarta(), days),
                notes=notes,
                card=card,
            ),
        )

    return run


def approve() -> Step:
    def run(s: _Story) -> None:
        services.approve_order(s.people.ppk, s.order)

    return run


def reject(reason: str) -> Step:
    def run(s: _Story) -> None:
        services.reject_order(s.people.ppk, s.order, reason=reason)

    return run


def cancel(by: str, reason: str) -> Step:
    """``by`` = "pp" (before the PPK) or "ppk" (waiting for the PPK or the vendor)."""

    def run(s: _Story) -> None:
        services.cancel_order(s.people.ppk if by == "ppk" else s.people.pp, s.order, reason=reason)

    return run


def confirm() -> Step:
    def run(s: _Story) -> None:
        services.confirm_order(s.vendor, s.order)

    return run


def decline(reason: str) -> Step:
    def run(s: _Story) -> None:
        services.decline_order(s.vendor, s.order, reason=reason)

    return run


def ship(tracking: str, part: Mapping[int, int] | None = None) -> Step:
    """The vendor ships ``part`` ({item: quantity}) or everything still to ship."""

    def run(s: _Story) -> None:
        if part is not None:
            quantities = s.by_item(part)
        else:
            quantities = {
                line.pk: line.quantity - line.shipped_quantity
                for line in s.lines()
                if line.quantity > line.shipped_quantity
            }
        services.ship_order(s.vendor, s.order, quantities=quantities, tracking=tracking)

    return run


def receive(note: str = "") -> Step:
    """The Penerima Barang receives everything shipped and not yet received (one BAST)."""

    def run(s: _Story) -> None:
        quantities = {
            line.pk: line.shipped_quantity - line.received_quantity
            for line in s.lines()
            if line.shipped_quantity > line.received_quantity
        }
        services.receive_order(s.people.penerima, s.order, quantities=quantities, note=note)

    return run


def complain(kind: str, description: str, part: Mapping[int, int]) -> Step:
    def run(s: _Story) -> None:
        services.complain(
            s.people.penerima,
            s.order,
            kind=kind,
            description=description,
            quantities=s.by_item(part),
        )

    return run


def resolve(resolution: str, response: str, agreed: Mapping[int, int] | None = None) -> Step:
    def run(s: _Story) -> None:
        services.resolve_complaint(
            s.vendor,
            s.order,
            resolution=resolution,
            response=response,
            agreed_quantities=s.by_item(agreed) if agreed else None,
        )

    return run


# After the vendor confirmed, changes need both parties (or the KPPN help desk).


def propose_cancel(by: str, reason: str) -> Step:
    def run(s: _Story) -> None:
        services.propose_cancellation(_by(s, by), s.order, reason=reason)

    return run


def answer_cancel(by: str, *, agree: bool, note: str) -> Step:
    def run(s: _Story) -> None:
        services.answer_cancellation(_by(s, by), s.order, agree=agree, note=note)

    return run


def escalate(by: str, reason: str) -> Step:
    """The proposer of a refused cancellation asks the KPPN help desk to decide."""

    def run(s: _Story) -> None:
        services.escalate_cancellation(_by(s, by), s.order, reason=reason)

    return run


def propose_date(by: str, days: int, reason: str) -> Step:
    """A new delivery date ``days`` working days after the one agreed at checkout."""

    def run(s: _Story) -> None:
        current = s.order.requested_date or clock.today_jakarta()
        services.propose_delivery_date(
            _by(s, by),
            s.order,
            new_date=calendar.add_working_days(current, days),
            reason=reason,
        )

    return run


# --- the set ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoOrder:
    key: str  # a short name for messages and tests
    satker: str
    vendor: str
    items: tuple[tuple[str, int], ...]  # (SKU of the vendor's demo product, quantity)
    state: str  # where the story ends
    steps: tuple[Step, ...] = field(default=(), repr=False)
    # Orders with the same cart come from one checkout of the Pemesan's cart (one per vendor).
    cart: str = ""


S = OrderState
ORDERS: tuple[DemoOrder, ...] = (
    # --- satker A (415256, Jakarta Pusat): CV Sinar Jaya Abadi (ATK), CV Karya Grafika
    # Mandiri (printing), CV Bersih Prima Sejahtera (cleaning) -------------------------------
    DemoOrder(
        "A-rincian-atk",
        A,
        "UMKM-0001",
        (("SJA-KER-04", 25), ("SJA-TUL-01", 10), ("SJA-ARS-02", 20)),
        S.MENUNGGU_RINCIAN,
        cart="A-triwulan-iv",
    ),
    DemoOrder(
        "A-rincian-kebersihan",
        A,
        "UMKM-0011",
        (("BPS-TIS-04", 40), ("BPS-PEM-04", 24), ("BPS-ALA-04", 6)),
        S.MENUNGGU_RINCIAN,
        cart="A-triwulan-iv",
    ),
    DemoOrder(
        "A-nego-giliran-satker",
        A,
        "UMKM-0001",
        (("SJA-TIN-03", 24), ("SJA-TIN-08", 12), ("SJA-TUL-05", 10)),
        S.PROSES_NEGO,
        (
            negotiate(12, "Mohon harga khusus untuk pengadaan rutin triwulan IV."),
            counter(6, "Potongan 6% yang bisa kami berikan; harga tinta dari pabrik naik."),
        ),
    ),
    DemoOrder(
        "A-nego-giliran-vendor",
        A,
        "UMKM-0006",
        (("KGM-DOK-11", 150), ("KGM-JIL-04", 60), ("KGM-PRO-01", 12)),
        S.PROSES_NEGO,
        (
            negotiate(15, "Sertifikat untuk peserta bimtek; mohon harga untuk 150 lembar."),
            counter(5, "Kertas linen impor; potongan paling banyak 5%."),
            negotiate(10, "Tawaran terakhir kami 10%, sesuai harga pasar di sekitar kantor."),
        ),
    ),
    DemoOrder(
        "A-nego-selesai",
        A,
        "UMKM-0006",
        (("KGM-DOK-12", 85), ("KGM-PRO-04", 4)),
        S.NEGO_SELESAI,
        (
            negotiate(8, "Kartu identitas untuk seluruh pegawai; mohon potongan 8%."),
            accept("vendor"),
        ),
    ),
    DemoOrder(
        "A-ppk-transfer",
        A,
        "UMKM-0001",
        (("SJA-KER-01", 50), ("SJA-ARS-13", 20)),
        S.MENUNGGU_PPK,
        (submit(akun=BAHAN, notes="Kertas untuk penggandaan laporan keuangan semester II."),),
    ),
    DemoOrder(
        "A-ppk-kkp",
        A,
        "UMKM-0011",
        (("BPS-KEB-03", 120), ("BPS-KEB-05", 80)),
        S.MENUNGGU_PPK,
        (
            submit(
                akun=PEMELIHARAAN_GEDUNG,
                notes="Cuci karpet ruang rapat lantai 3 dan poles lantai lobi.",
                days=8,
                kkp=True,
            ),
        ),
    ),
    DemoOrder(
        "A-menunggu-vendor",
        A,
        "UMKM-0001",
        (("SJA-KER-10", 6), ("SJA-TIN-04", 12)),
        S.MENUNGGU_VENDOR,
        (
            negotiate(10, "Mohon potongan untuk pembelian enam dus sekaligus."),
            counter(4, "Harga kertas naik; kami beri potongan 4%."),
            accept("pp"),
            submit(akun=BAHAN, notes="Kertas dan tinta printer dot matrix bagian umum."),
            approve(),
        ),
    ),
    DemoOrder(
        "A-diproses",
        A,
        "UMKM-0011",
        (("BPS-PEM-01", 48), ("BPS-ALA-05", 10), ("BPS-TIS-06", 60)),
        S.DIPROSES,
        (
            submit(akun=PERSEDIAAN, notes="Persediaan kebersihan gedung bulan depan.", kkp=True),
            approve(),
            confirm(),
        ),
    ),
    DemoOrder(
        "A-usul-tanggal",
        A,
        "UMKM-0006",
        (("KGM-DOK-01", 2000), ("KGM-JIL-01", 40)),
        S.DIPROSES,
        (
            submit(akun=BAHAN, notes="Penggandaan bahan rapat kerja nasional.", days=4),
            approve(),
            confirm(),
            propose_date(
                "vendor", 3, "Mesin cetak kami sedang diservis; mohon pengiriman diundur."
            ),
        ),
    ),
    DemoOrder(
        "A-batal-sepakat",
        A,
        "UMKM-0011",
        (("BPS-PEM-11", 20),),
        S.DIBATALKAN,
        (
            submit(akun=PERSEDIAAN, notes="Deterjen untuk binatu rumah dinas."),
            approve(),
            confirm(),
            propose_cancel("vendor", "Pabrik menghentikan kemasan 1,8 kg; stok kami tidak cukup."),
            answer_cancel("pp", agree=True, note="Disetujui; kami pesan kemasan lain nanti."),
        ),
    ),
    DemoOrder(
        "A-dikirim-sebagian",
        A,
        "UMKM-0001",
        (("SJA-KER-04", 40), ("SJA-TUL-08", 30), ("SJA-TIN-09", 24)),
        S.DIKIRIM,
        (
            submit(akun=BAHAN, notes="ATK untuk kegiatan rekonsiliasi akhir tahun."),
            approve(),
            confirm(),
            ship(
                "Armada sendiri, surat jalan SJ-1127; sisa kertas menyusul minggu depan.",
                {0: 20, 1: 30},
            ),
        ),
    ),
    DemoOrder(
        "A-komplain",
        A,
        "UMKM-0006",
        (("KGM-DOK-04", 400), ("KGM-JIL-06", 100)),
        S.KOMPLAIN,
        (
            submit(akun=BAHAN, notes="Bahan paparan rapat pimpinan."),
            approve(),
            confirm(),
            ship("Diantar kurir kantor, tanda terima TT-0882."),
            complain(
                ComplaintKind.DAMAGED,
                "Dua puluh lembar laminating menggelembung dan terkelupas di sudutnya.",
                {1: 20},
            ),
        ),
    ),
    DemoOrder(
        "A-diterima",
        A,
        "UMKM-0001",
        (("SJA-TUL-01", 20), ("SJA-ARS-02", 30), ("SJA-KER-11", 25)),
        S.DITERIMA,
        (
            submit(akun=BAHAN, notes="ATK ruang layanan."),
            approve(),
            confirm(),
            ship("Armada sendiri, surat jalan SJ-1119."),
            receive("Diterima lengkap dan baik."),
        ),
    ),
    DemoOrder(
        "A-diterima-bertahap",
        A,
        "UMKM-0011",
        (("BPS-ALA-01", 12), ("BPS-PEM-09", 24), ("BPS-ALA-13", 30)),
        S.DITERIMA,
        (
            submit(akun=PERSEDIAAN, notes="Perlengkapan kebersihan gedung.", kkp=True),
            approve(),
            confirm(),
            ship("Pengiriman pertama, surat jalan BPS-0415.", {0: 12, 1: 12}),
            receive("Pengiriman pertama diterima baik."),
            ship("Pengiriman kedua, surat jalan BPS-0421."),
            receive("Sisa pesanan diterima lengkap."),
        ),
    ),
    DemoOrder(
        "A-ditolak",
        A,
        "UMKM-0006",
        (("KGM-PRO-07", 2),),
        S.DITOLAK,
        (
            submit(akun=BAHAN, notes="Baliho sosialisasi layanan digital."),
            reject("Anggaran sosialisasi dialihkan ke media daring; baliho tidak jadi dipesan."),
        ),
    ),
    DemoOrder(
        "A-batal-vendor",
        A,
        "UMKM-0001",
        (("SJA-ARS-07", 100),),
        S.DIBATALKAN,
        (
            submit(akun=BAHAN, notes="Kardus arsip untuk penataan arsip inaktif."),
            approve(),
            decline("Stok kardus arsip di gudang habis; pemasok baru mengirim bulan depan."),
        ),
    ),
    DemoOrder(
        "A-batal-nego",
        A,
        "UMKM-0011",
        (("BPS-KEB-01", 1),),
        S.DIBATALKAN,
        (
            negotiate(20, "Mohon harga petugas kebersihan disesuaikan dengan pagu."),
            refuse("Harga sudah termasuk upah minimum provinsi dan BPJS; tidak bisa turun."),
            cancel("pp", "Vendor menolak negosiasi; kebutuhan dialihkan ke kontrak tahunan."),
        ),
    ),
    # --- satker B (527010, Bandung): UD Berkah Tani Makmur (snacks and drinks), Koperasi
    # Pegawai Poltekkes Bandung, Toko Buku Ilmu Sejati, CV Cahaya Komputer --------------------
    DemoOrder(
        "B-rincian",
        B,
        "UMKM-0002",
        (("BTM-SNA-01", 60), ("BTM-MIN-03", 10)),
        S.MENUNGGU_RINCIAN,
    ),
    DemoOrder(
        "B-nego-giliran-satker",
        B,
        "UMKM-0003",
        (("PPB-NAS-10", 40),),
        S.PROSES_NEGO,
        (
            negotiate(10, "Paket rapat koordinasi 40 orang; mohon potongan 10%."),
            counter(4, "Potongan 4% dengan tambahan buah potong untuk semua peserta."),
        ),
    ),
    DemoOrder(
        "B-ppk",
        B,
        "UMKM-0004",
        (("BIS-KER-05", 10), ("BIS-TUL-11", 15), ("BIS-PER-04", 6)),
        S.MENUNGGU_PPK,
        (submit(akun=BAHAN, notes="ATK laboratorium dan ruang dosen."),),
    ),
    DemoOrder(
        "B-menunggu-vendor",
        B,
        "UMKM-0002",
        (("BTM-MIN-06", 12), ("BTM-MIN-10", 20), ("BTM-SNA-09", 30)),
        S.MENUNGGU_VENDOR,
        (
            submit(akun=BAHAN, notes="Konsumsi rapat senat bulan depan.", days=10, kkp=True),
            approve(),
        ),
    ),
    DemoOrder(
        "B-diproses",
        B,
        "UMKM-0009",
        (("CK-PRI-01", 2), ("CK-TIN-02", 8)),
        S.DIPROSES,
        (
            submit(akun=MODAL_ALAT, notes="Printer untuk ruang administrasi akademik."),
            approve(),
            confirm(),
        ),
    ),
    DemoOrder(
        "B-eskalasi-vendor",
        B,
        "UMKM-0009",
        (("CK-PRI-02", 1), ("CK-AKS-03", 2)),
        S.DIPROSES,
        (
            submit(akun=MODAL_ALAT, notes="Printer Wi-Fi untuk ruang sidang."),
            approve(),
            confirm(),
            propose_cancel(
                "vendor", "Distributor menghentikan tipe printer ini; stok tidak bisa dipenuhi."
            ),
            answer_cancel(
                "pp",
                agree=False,
                note="Printer sudah dianggarkan; mohon dicarikan tipe setara dengan harga sama.",
            ),
            escalate(
                "vendor", "Tipe setara lebih mahal; mohon KPPN memutuskan pembatalan pesanan."
            ),
        ),
    ),
    DemoOrder(
        "B-dikirim",
        B,
        "UMKM-0002",
        (("BTM-MIN-04", 20), ("BTM-SNA-07", 15)),
        S.DIKIRIM,
        (
            submit(akun=BAHAN, notes="Konsumsi ujian akhir semester.", days=2),
            approve(),
            confirm(),
            ship("Diantar mobil bak terbuka milik UD Berkah Tani Makmur."),
        ),
    ),
    DemoOrder(
        "B-diterima-setelah-komplain",
        B,
        "UMKM-0004",
        (("BIS-TUL-12", 24), ("BIS-ARS-07", 40)),
        S.DITERIMA,
        (
            submit(akun=BAHAN, notes="Perlengkapan arsip bagian akademik."),
            approve(),
            confirm(),
            ship("Dikirim dengan ekspedisi lokal, resi JNT-77120."),
            complain(
                ComplaintKind.SHORT,
                "Kardus arsip yang datang hanya 35 dari 40 yang dipesan.",
                {1: 5},
            ),
            resolve(
                Resolution.REDUCE,
                "Stok kardus habis; kami sepakati jumlahnya menjadi 35 dan nilainya disesuaikan.",
                {1: 35},
            ),
            receive("Diterima sesuai jumlah yang disepakati."),
        ),
    ),
    DemoOrder(
        "B-diterima",
        B,
        "UMKM-0003",
        (("PPB-SNA-03", 50),),
        S.DITERIMA,
        (
            submit(akun=BAHAN, notes="Snack rapat persiapan akreditasi.", days=1),
            approve(),
            confirm(),
            ship("Diantar pengurus koperasi."),
            receive(),
        ),
    ),
    DemoOrder(
        "B-batal-ppk",
        B,
        "UMKM-0002",
        (("BTM-MIN-11", 10),),
        S.DIBATALKAN,
        (
            submit(akun=BAHAN, notes="Minuman untuk kunjungan lapangan."),
            approve(),
            cancel("ppk", "Kunjungan lapangan diundur ke tahun anggaran berikutnya."),
        ),
    ),
    # --- satker C (652840, Jakarta Timur): CV Amanah Catering, UD Sejuk Teknik (AC),
    # UD Jati Mulya Furniture --------------------------------------------------------------
    DemoOrder(
        "C-nego-selesai",
        C,
        "UMKM-0005",
        (("AC-NAS-02", 80), ("AC-SNA-02", 80)),
        S.NEGO_SELESAI,
        (
            negotiate(7, "Konsumsi rapat kerja 80 orang; mohon potongan 7%."),
            counter(3, "Kami bisa memberi potongan 3%, sudah termasuk antar dan tata saji."),
            accept("pp"),
        ),
    ),
    DemoOrder(
        "C-ppk",
        C,
        "UMKM-0007",
        (("ST-AC-01", 16), ("ST-AC-03", 4)),
        S.MENUNGGU_PPK,
        (submit(akun=PEMELIHARAAN_ALAT, notes="Perawatan berkala AC gedung kantor balai."),),
    ),
    DemoOrder(
        "C-menunggu-vendor",
        C,
        "UMKM-0010",
        (("JMF-MEJ-05", 4), ("JMF-KUR-06", 8)),
        S.MENUNGGU_VENDOR,
        (
            submit(akun=MODAL_ALAT, notes="Meja dan kursi ruang pengawas lapangan.", days=15),
            approve(),
        ),
    ),
    DemoOrder(
        "C-eskalasi-satker",
        C,
        "UMKM-0010",
        (("JMF-LEM-03", 2),),
        S.DIPROSES,
        (
            submit(akun=MODAL_ALAT, notes="Lemari arsip ruang pengawas lapangan.", days=15),
            approve(),
            confirm(),
            propose_cancel("pp", "Ruang pengawas lapangan batal dibangun tahun ini."),
            answer_cancel(
                "vendor",
                agree=False,
                note="Lemari sudah dirakit dan dipernis sesuai pesanan; bahan tidak bisa kembali.",
            ),
            escalate("pp", "Mohon KPPN memutuskan; anggaran ruang pengawas sudah diblokir."),
        ),
    ),
    DemoOrder(
        "C-diproses",
        C,
        "UMKM-0005",
        (("AC-NAS-05", 40),),
        S.DIPROSES,
        (
            submit(akun=BAHAN, notes="Sarapan peserta apel pagi hari Senin.", days=2),
            approve(),
            confirm(),
        ),
    ),
    DemoOrder(
        "C-dikirim",
        C,
        "UMKM-0007",
        (("ST-PEN-09", 6), ("ST-PEN-11", 10)),
        S.DIKIRIM,
        (
            submit(akun=PERSEDIAAN, notes="Exhaust fan toilet dan remote AC pengganti."),
            approve(),
            confirm(),
            ship("Dikirim dengan kurir instan, resi GRB-5510."),
        ),
    ),
    DemoOrder(
        "C-diterima",
        C,
        "UMKM-0005",
        (("AC-SNA-10", 10), ("AC-MIN-09", 6)),
        S.DITERIMA,
        (
            submit(akun=BAHAN, notes="Suguhan tamu ruang pimpinan."),
            approve(),
            confirm(),
            ship("Diantar langsung."),
            receive(),
        ),
    ),
)

# What each Pemesan has in the cart after the orders: (satker, vendor, SKU, quantity, note).
CARTS: tuple[tuple[str, str, str, int, str], ...] = (
    (A, "UMKM-0001", "SJA-TUL-05", 6, "Untuk ruang rapat lantai 2"),
    (A, "UMKM-0001", "SJA-ARS-02", 15, ""),
    (A, "UMKM-0006", "KGM-JIL-04", 40, "Laporan kinerja tahunan"),
    (B, "UMKM-0002", "BTM-SNA-11", 20, "Oleh-oleh untuk tamu dari kementerian"),
    (B, "UMKM-0002", "BTM-MIN-05", 10, ""),
    (C, "UMKM-0005", "AC-MIN-02", 12, "Air minum ruang tunggu"),
)


# --- loading ----------------------------------------------------------------------------------


def _product(vendor_code: str, sku: str, quantity: int, taken: set[int]) -> tuple[Product, int]:
    """The vendor's demo product with this SKU, or (should the catalog demo have changed) its
    first ready product not yet on the order; the quantity within its minimum and stock."""
    ready = (
        Product.objects.filter(
            vendor__organisation__code=vendor_code, state=ProductState.READY, is_listed=True
        )
        .exclude(pk__in=taken)
        .order_by("sku")
    )

    def fits(p: Product) -> bool:
        return p.stock is None or p.stock >= max(quantity, p.min_order)

    product = ready.filter(sku=sku).first()
    if product is None or not fits(product):
        log.warning("demo orders: %s has no ready product %s; taking another", vendor_code, sku)
        product = next((p for p in ready if fits(p)), None)
    if product is None:
        raise RuntimeError(f"demo orders: vendor {vendor_code} has no product to order")
    return product, max(quantity, product.min_order)


def _check_out(specs: list[DemoOrder], people: _Satker) -> dict[str, _Story]:
    """One checkout of the Pemesan's cart holding the items of ``specs`` (one per vendor)."""
    chosen: dict[str, list[Product]] = {}
    for spec in specs:
        taken: set[int] = set()
        chosen[spec.key] = []
        for sku, wanted in spec.items:
            product, quantity = _product(spec.vendor, sku, wanted, taken)
            taken.add(product.pk)
            chosen[spec.key].append(product)
            services.add_to_cart(people.pemesan, product=product, quantity=quantity)
    orders = {
        order.vendor.organisation.code: order for order in services.checkout_cart(people.pemesan)
    }
    return {
        spec.key: _Story(orders[spec.vendor], people, _vendor_admin(spec.vendor), chosen[spec.key])
        for spec in specs
    }


def loaded() -> bool:
    """Whether the demo satkers already have orders (then ``load`` does nothing)."""
    return Order.objects.filter(satker__code__in=DEMO_SATKERS).exists()


def load(*, full: bool = True) -> None:
    """Make the demo orders and carts (see the module docstring); run after the accounts,
    vendors, catalog and treasury demo data."""
    if not full or loaded():
        return
    with clock.frozen(clock.now().replace(microsecond=0)), transaction.atomic():
        people = {code: _Satker.of(code) for code in DEMO_SATKERS}
        done: set[str] = set()
        for spec in ORDERS:
            if spec.key in done:
                continue
            group = [s for s in ORDERS if s.cart and s.cart == spec.cart] or [spec]
            stories = _check_out(group, people[spec.satker])
            for member in group:
                story = stories[member.key]
                for step in member.steps:
                    step(story)
                    story.refresh()
                if story.order.state != member.state:
                    raise RuntimeError(
                        f"demo order {member.key} ended in {story.order.state}, not {member.state}"
                    )
                done.add(member.key)
        for satker, vendor, sku, wanted, note in CARTS:
            product, quantity = _product(vendor, sku, wanted, set())
            services.add_to_cart(
                people[satker].pemesan, product=product, quantity=quantity, note=note
            )
