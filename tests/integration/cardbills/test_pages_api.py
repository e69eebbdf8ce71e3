"""The card bill pages and API as the PPK, the Bendahara, the KPPN and another satker see them:
the empty state, the mismatch flags, the verify and pay forms, the printable sheet, and the
payment endpoint behind an Idempotency-Key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from digipay.cardbills.models import CardBill
from digipay.cardbills.rules import CardBillState
from digipay.core import clock
from digipay.payments.models import BankInstruction, Payment

from .conftest import BENDAHARA, PPK, CardBank, Shop, email
from .test_cardbills import after, card_paid, fetch, fresh_code, month_of

Run = Callable[[], int]


def login(login_client: Any, who: str) -> Any:
    """A page client of ``who`` (demo users share one TOTP key: a code is made usable again)."""
    fresh_code()
    return login_client(who)


def test_empty_state_and_fetch_form(bank: CardBank, login_client: Any) -> None:
    client = login(login_client, BENDAHARA)
    page = client.get("/tagihan-kkp/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Belum ada tagihan KKP" in text
    assert 'action="/tagihan-kkp/ambil/"' in text  # the Bendahara may fetch
    assert "Belum ada tagihan KKP" in login(login_client, PPK).get("/tagihan-kkp/").content.decode()
    assert (
        'action="/tagihan-kkp/ambil/"'
        not in login(login_client, PPK).get("/tagihan-kkp/").content.decode()
    )
    # A month that has not ended is refused with a message, nothing stored.
    card_id = bank_card_id()
    response = client.post(
        "/tagihan-kkp/ambil/", {"card": card_id, "month": "2999-01"}, follow=True
    )
    assert "Bulan tagihan belum dimulai" in response.content.decode()
    assert not CardBill.objects.exists()


def bank_card_id() -> int:
    from digipay.treasury.models import KkpCard

    from .test_cardbills import satker_a

    return int(KkpCard.objects.get(satker=satker_a()).pk)


def test_ppk_verifies_and_bendahara_pays_through_the_pages(
    shop: Shop, bank: CardBank, run_worker: Run, login_client: Any
) -> None:
    charge = card_paid(shop, run_worker, price=1_000_000, qty=3)  # 3.330.000
    with clock.frozen(after(month_of(charge))):  # the month has ended
        bill = fetch(month_of(charge))
        ppk = login(login_client, PPK)
        listed = ppk.get("/tagihan-kkp/").content.decode()
        assert f"/tagihan-kkp/{bill.pk}/" in listed
        assert "Rp3.330.000" in listed or "3.330.000" in listed
        detail = ppk.get(f"/tagihan-kkp/{bill.pk}/").content.decode()
        assert "Semua baris cocok" in detail
        assert f'action="/tagihan-kkp/{bill.pk}/verifikasi/"' in detail
        assert f'action="/tagihan-kkp/{bill.pk}/bayar/"' not in detail  # not the PPK's
        assert charge.bank_reference in detail
        sheet = ppk.get(f"/tagihan-kkp/{bill.pk}/lembar-verifikasi/").content.decode()
        assert 'data-testid="sheet-mismatches">0<' in sheet
        assert ppk.post(f"/tagihan-kkp/{bill.pk}/verifikasi/").status_code == 302
        assert CardBill.objects.get(pk=bill.pk).state == CardBillState.VERIFIED
        # The PPK posting the payment form is refused by the gate, nothing queued.
        ppk.post(f"/tagihan-kkp/{bill.pk}/bayar/", {"otp": fresh_code()})
        assert not Payment.objects.filter(purpose="CARD_BILL").exists()

        bendahara = login(login_client, BENDAHARA)
        detail = bendahara.get(f"/tagihan-kkp/{bill.pk}/").content.decode()
        assert f'action="/tagihan-kkp/{bill.pk}/bayar/"' in detail
        wrong = bendahara.post(f"/tagihan-kkp/{bill.pk}/bayar/", {"otp": "000000"}, follow=True)
        assert CardBill.objects.get(pk=bill.pk).state == CardBillState.VERIFIED
        assert 'class="msg error"' in wrong.content.decode()
        bendahara.post(f"/tagihan-kkp/{bill.pk}/bayar/", {"otp": fresh_code()})
        assert CardBill.objects.get(pk=bill.pk).state == CardBillState.PAYING
        run_worker()
        paid = CardBill.objects.get(pk=bill.pk)
        assert paid.state == CardBillState.PAID
        assert paid.bank_reference in bendahara.get(f"/tagihan-kkp/{bill.pk}/").content.decode()
        assert "Lunas" in bendahara.get("/tagihan-kkp/?state=PAID").content.decode()
        # Another satker's users get a 404 page.
        other = login(login_client, email("ppk", "652840"))
        assert other.get(f"/tagihan-kkp/{bill.pk}/").status_code == 404


def test_api_lists_flags_and_pays_once_behind_an_idempotency_key(
    shop: Shop, bank: CardBank, run_worker: Run, api_as: Any
) -> None:
    charge = card_paid(shop, run_worker, price=2_000_000, qty=1)  # 2.220.000
    BankInstruction.objects.filter(pk=charge.pk).update(amount_idr=2_220_001)
    with clock.frozen(after(month_of(charge))):  # the month has ended
        bill = fetch(month_of(charge))
        ppk = api_as(PPK)
        listed = ppk.get("/api/v1/card-bills").json()
        [row] = listed["items"]
        assert (row["id"], row["mismatches"], row["total_idr"], row["state"]) == (
            bill.pk,
            1,
            2_220_000,
            "RECEIVED",
        )
        detail = ppk.get(f"/api/v1/card-bills/{bill.pk}").json()
        assert [
            (x["match"], x["amount_idr"], x["digipay_amount_idr"]) for x in detail["lines"]
        ] == [("AMOUNT_DIFFERS", 2_220_000, 2_220_001)]
        assert detail["difference_idr"] == -1
        refused = ppk.post(f"/api/v1/card-bills/{bill.pk}/verify")
        assert refused.status_code == 409
        assert refused.json()["code"] == "not_verifiable"
        # Put right (the tampering undone): it matches now and verifies.
        BankInstruction.objects.filter(pk=charge.pk).update(amount_idr=2_220_000)
        assert ppk.post(f"/api/v1/card-bills/{bill.pk}/verify").json()["state"] == "VERIFIED"

        api = api_as(BENDAHARA)
        no_key = api.post(f"/api/v1/card-bills/{bill.pk}/pay", {"otp": fresh_code()})
        assert no_key.status_code == 400
        api.headers["Idempotency-Key"] = "tagihan-kkp-uji-0001"
        body = {"otp": fresh_code()}
        first = api.post(f"/api/v1/card-bills/{bill.pk}/pay", body)
        assert first.status_code == 202, first.content
        assert first.json()["state"] == "PAYING"
        for _ in range(3):
            again = api.post(f"/api/v1/card-bills/{bill.pk}/pay", {"otp": "000000"})
            assert again.status_code == 202
            assert again["Idempotent-Replayed"] == "true"
        assert Payment.objects.filter(purpose="CARD_BILL").count() == 1
        run_worker()
        done = api.get(f"/api/v1/card-bills/{bill.pk}").json()
        assert done["state"] == "PAID"
        assert done["bank_reference"]
        # Another satker sees nothing.
        other = api_as(email("bendahara", "652840"))
        assert other.get(f"/api/v1/card-bills/{bill.pk}").status_code == 404
        assert other.get("/api/v1/card-bills").json()["items"] == []


def test_the_ppk_disputes_a_mismatched_bill_and_the_sheet_shows_why(
    shop: Shop, bank: CardBank, run_worker: Run, login_client: Any
) -> None:
    charge = card_paid(shop, run_worker, price=1_000_000, qty=1)
    BankInstruction.objects.filter(pk=charge.pk).update(amount_idr=1_110_001)
    with clock.frozen(after(month_of(charge))):  # the month has ended
        bill = fetch(month_of(charge))
        ppk = login(login_client, PPK)
        detail = ppk.get(f"/tagihan-kkp/{bill.pk}/").content.decode()
        assert 'data-mismatch="AMOUNT_DIFFERS"' in detail
        assert f'action="/tagihan-kkp/{bill.pk}/verifikasi/"' not in detail  # not verifiable
        assert f'action="/tagihan-kkp/{bill.pk}/sanggah/"' in detail
        empty = ppk.post(f"/tagihan-kkp/{bill.pk}/sanggah/", {"reason": ""}, follow=True)
        assert "Alasan sanggahan wajib diisi" in empty.content.decode()
        assert CardBill.objects.get(pk=bill.pk).state == CardBillState.RECEIVED
        ppk.post(f"/tagihan-kkp/{bill.pk}/sanggah/", {"reason": "Selisih Rp1 pada transaksi."})
        assert CardBill.objects.get(pk=bill.pk).state == CardBillState.DISPUTED
        sheet = ppk.get(f"/tagihan-kkp/{bill.pk}/lembar-verifikasi/").content.decode()
        assert 'data-testid="sheet-mismatches">1<' in sheet
        assert "Selisih Rp1 pada transaksi." in sheet
        assert "Disanggah" in sheet
        bendahara = login(login_client, BENDAHARA)
        page = bendahara.get(f"/tagihan-kkp/{bill.pk}/").content.decode()
        assert f'action="/tagihan-kkp/{bill.pk}/bayar/"' not in page  # nothing payable
        assert f'action="/tagihan-kkp/{bill.pk}/ambil-ulang/"' in page
        assert "Disanggah" in bendahara.get("/tagihan-kkp/?state=DISPUTED").content.decode()
