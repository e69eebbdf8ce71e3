"""Pages and API of books: the books print and download, the LPJ is submitted from its page,
cases are worked through the API (Idempotency-Key on every write) and hidden from other
tenants; the daily job is registered."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from digipay.books.models import CaseNote, Lpj, ReconciliationCase
from digipay.books.rules import CaseStatus
from digipay.core import clock
from digipay.integrations.banks.registry import gateway_for as registry_gateway_for
from digipay.payments import services as payments_services
from digipay.payments.models import TreasurerAccount
from digipay.worker import registry

from .conftest import BENDAHARA, BRI, Bank, Records, email
from .test_reconciliation import bank_transfer, satker_a, today

API = "/api/v1"


def post(api: Any, path: str, body: dict[str, Any] | None = None, key: str = "") -> Any:
    return api.client.post(
        path,
        body or {},
        content_type="application/json",
        headers={**api.headers, "Idempotency-Key": key or uuid.uuid4().hex},
    )


def test_the_daily_job_is_registered_and_reconciles_the_past_days(
    bank: Bank, treasurer: str, records: Records
) -> None:
    from digipay.books import services
    from digipay.books.models import ReconciliationRun
    from digipay.payments.models import TreasurerAccount

    job = registry.get("books.reconcile")
    assert job is not None
    assert job.every == timedelta(days=1)
    assert job.fn is services.reconcile_all
    bank_transfer(bank, treasurer, 125_000, "ASING-JOB-1")
    tomorrow = clock.now() + timedelta(days=1)
    accounts = TreasurerAccount.objects.count()
    assert accounts == 3  # the demo's three satkers; the other two banks refuse: recorded
    assert services.reconcile_all(tomorrow) == services.RECHECK_DAYS * accounts
    run = ReconciliationRun.objects.get(satker=satker_a(), day=today())
    assert (run.statement_lines, run.error) == (2, "")
    failed = ReconciliationRun.objects.exclude(satker=satker_a()).exclude(error="")
    assert failed.count() == 2 * services.RECHECK_DAYS
    assert ReconciliationCase.objects.filter(kind="UNKNOWN_REFERENCE").count() == 1
    services.reconcile_all(tomorrow)  # the job ran twice: nothing doubled
    assert ReconciliationCase.objects.count() == 1
    assert ReconciliationRun.objects.get(satker=satker_a(), day=today()).runs == 2


def test_book_pages_print_pdf_and_xlsx(
    world: object, login_client: Callable[[str], Client]
) -> None:
    client = login_client(BENDAHARA)
    month = f"{clock.today_jakarta():%Y-%m}"
    page = client.get("/pembukuan/")
    assert page.status_code == 200
    for slug in ("bku", "bank", "up", "pajak"):
        html = client.get(f"/pembukuan/buku/{slug}/", {"bulan": month})
        assert html.status_code == 200
        assert b'data-testid="book-closing"' in html.content
    pdf = client.get("/pembukuan/buku/bku/pdf/", {"bulan": month})
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    xlsx = client.get("/pembukuan/buku/bku/xlsx/", {"bulan": month})
    assert xlsx.status_code == 200
    assert xlsx["Content-Disposition"].endswith(f'bku-{satker_a().code}-{month}.xlsx"')
    # Another satker's books are not there for this Bendahara.
    assert client.get("/pembukuan/buku/bku/", {"satker": "527010"}).status_code == 404
    # The Pemesan has no books.
    assert login_client(email("pemesan")).get("/pembukuan/").status_code == 403


def test_lpj_page_submits_and_shows_the_frozen_copy(
    bank: Bank, treasurer: str, records: Records, login_client: Callable[[str], Client]
) -> None:
    client = login_client(BENDAHARA)
    month = f"{clock.today_jakarta():%Y-%m}"
    preview = client.get("/pembukuan/lpj/", {"bulan": month})
    assert preview.status_code == 200
    assert b'data-testid="lpj-bank"' in preview.content
    done = client.post(f"/pembukuan/lpj/?satker={satker_a().code}&bulan={month}")
    assert done.status_code == 302
    lpj = Lpj.objects.get()
    page = client.get("/pembukuan/lpj/", {"bulan": month})
    assert lpj.number.encode() in page.content
    pdf = client.get("/pembukuan/lpj/pdf/", {"bulan": month})
    assert pdf.content.startswith(b"%PDF")


def test_cases_through_the_api_and_the_pages(
    bank: Bank,
    treasurer: str,
    records: Records,
    api_as: Callable[[str], Any],
    login_client: Callable[[str], Client],
) -> None:
    from digipay.books import services

    bank_transfer(bank, treasurer, 125_000, "ASING-API-1")
    services.reconcile_day(satker_a(), today())
    case = ReconciliationCase.objects.get()
    api = api_as(BENDAHARA)
    listed = api.get(f"{API}/reconciliation/cases")
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["results"]] == [case.pk]
    assert listed.json()["results"][0]["amount_idr"] == -125_000

    key = uuid.uuid4().hex
    noted = post(api, f"{API}/reconciliation/cases/{case.pk}/notes", {"text": "Cek ke bank."}, key)
    assert noted.status_code == 201
    again = post(api, f"{API}/reconciliation/cases/{case.pk}/notes", {"text": "Cek ke bank."}, key)
    assert again.status_code == 201
    assert CaseNote.objects.filter(case=case, author__isnull=False).count() == 1  # replayed

    short = post(
        api, f"{API}/reconciliation/cases/{case.pk}/close", {"status": "RESOLVED", "reason": "x"}
    )
    assert short.status_code == 422
    assert set(short.json()) == {"code", "message", "details"}
    assert ReconciliationCase.objects.get(pk=case.pk).status == CaseStatus.OPEN

    other = api_as(email("bendahara", "527010"))
    assert other.get(f"{API}/reconciliation/cases/{case.pk}").status_code == 404
    assert other.get(f"{API}/reconciliation/cases").json()["results"] == []
    assert post(other, f"{API}/reconciliation/cases/{case.pk}/take").status_code == 404

    client = login_client(BENDAHARA)
    listing = client.get("/rekonsiliasi/")
    assert listing.status_code == 200
    assert f'href="/rekonsiliasi/{case.pk}/"'.encode() in listing.content
    detail = client.get(f"/rekonsiliasi/{case.pk}/")
    assert detail.status_code == 200
    assert b"ASING-API-1" in detail.content
    closed = client.post(
        f"/rekonsiliasi/{case.pk}/",
        {"action": "close", "status": "DISMISSED", "reason": "Transfer uji coba bank."},
    )
    assert closed.status_code == 302
    assert ReconciliationCase.objects.get(pk=case.pk).status == CaseStatus.DISMISSED
    assert b"Tidak ada kasus rekonsiliasi." in client.get("/rekonsiliasi/").content


def test_book_and_lpj_api(
    bank: Bank, treasurer: str, records: Records, api_as: Callable[[str], Any]
) -> None:
    api = api_as(BENDAHARA)
    month = f"{clock.today_jakarta():%Y-%m}"
    book = api.get(f"{API}/books/bku", month=month)
    assert book.status_code == 200
    data = book.json()
    if data["rows"]:
        assert data["rows"][-1]["balance"] == data["closing_idr"]
    assert api.get(f"{API}/books/nothing").status_code == 404
    preview = api.get(f"{API}/lpj", month=month).json()
    assert preview["submitted"] is False
    assert preview["unexplained_idr"] == 0
    assert preview["bank_closing_idr"] == bank.balance(BRI, treasurer)
    assert post(api, f"{API}/lpj", {"month": "2026/11"}).status_code == 422
    submitted = post(api, f"{API}/lpj", {"month": month})
    assert submitted.status_code == 201, submitted.content
    assert submitted.json()["submitted"] is True
    assert post(api, f"{API}/lpj", {"month": month}).status_code == 409
    assert post(api_as(email("ppk")), f"{API}/lpj", {"month": month}).status_code == 403


def test_rerun_from_the_api_and_the_page_and_kppn_pages(
    bank: Bank,
    treasurer: str,
    records: Records,
    api_as: Callable[[str], Any],
    login_client: Callable[[str], Client],
) -> None:
    from digipay.accounts.models import User
    from digipay.accounts.rules import Role

    bank_transfer(bank, treasurer, 99_000, "ASING-RERUN-1")
    api = api_as(BENDAHARA)
    run = post(api, f"{API}/reconciliation/runs", {"day": f"{today()}"})
    assert run.status_code == 201, run.content
    assert (run.json()["statement_lines"], run.json()["findings"]) == (2, 1)
    future = today() + timedelta(days=1)
    assert post(api, f"{API}/reconciliation/runs", {"day": f"{future}"}).status_code == 422
    assert (
        post(api_as(email("ppk")), f"{API}/reconciliation/runs", {"day": f"{today()}"}).status_code
        == 403
    )

    satker = satker_a()
    kppn = User.objects.get(organisation=satker.parent, role=Role.KPPN_ADMIN)
    client = login_client(kppn.email)
    assert client.get("/pembukuan/", {"satker": satker.code}).status_code == 200
    assert client.get("/pembukuan/buku/bku/", {"satker": satker.code}).status_code == 200
    case = ReconciliationCase.objects.get()
    assert f'href="/rekonsiliasi/{case.pk}/"'.encode() in client.get("/rekonsiliasi/").content
    taken = client.post(f"/rekonsiliasi/{case.pk}/", {"action": "take"})
    assert taken.status_code == 302
    assert ReconciliationCase.objects.get().owner_org_id == satker.parent_id
    again = client.post("/rekonsiliasi/ulang/", {"satker": satker.code, "hari": f"{today()}"})
    assert again.status_code == 302
    assert ReconciliationCase.objects.count() == 1


def test_lpj_of_a_bank_without_a_profile_is_a_clear_refusal_not_a_500(
    bank: Bank,
    treasurer: str,
    records: Records,
    login_client: Callable[[str], Client],
    api_as: Callable[[str], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A treasurer account at a bank Digipay has no profile for: the statement cannot be
    asked for. The LPJ page and API say so (409 bank_unavailable), nothing is frozen."""
    simulator = payments_services.gateway_for

    def gateway_for(bank_code: str) -> Any:  # the real registry for a bank it does not know
        return registry_gateway_for(bank_code) if bank_code == "999" else simulator(bank_code)

    monkeypatch.setattr(payments_services, "gateway_for", gateway_for)
    TreasurerAccount.objects.filter(satker=satker_a()).update(bank_code="999")
    month = f"{clock.today_jakarta():%Y-%m}"
    api = api_as(BENDAHARA)
    preview = api.get(f"{API}/lpj", month=month)
    assert preview.status_code == 409, preview.content
    assert preview.json()["code"] == "bank_unavailable"
    assert "999" in preview.json()["message"]
    submitted = post(api, f"{API}/lpj", {"month": month})
    assert submitted.status_code == 409
    assert submitted.json()["code"] == "bank_unavailable"
    client = login_client(BENDAHARA)
    page = client.get("/pembukuan/lpj/", {"bulan": month})
    assert page.status_code == 422
    assert "Rekening koran bank belum dapat diambil" in page.content.decode()
    done = client.post(f"/pembukuan/lpj/?satker={satker_a().code}&bulan={month}")
    assert done.status_code == 422
    assert not Lpj.objects.exists()
