"""The replenishment API and pages over HTTP: the same cycle through the endpoints (replays
answered once by ``Idempotency-Key``), the error shape, and the pages each role uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from digipay.replenishment.models import Spm
from digipay.replenishment.rules import SpmState

from .conftest import (
    BENDAHARA,
    JUTA,
    KPPN_019,
    PPSPM,
    B,
    Bank,
    Shop,
    Span,
    email,
    fresh_code,
    make_ppspm,
    paid_goods,
)

Run = Callable[[], int]


def test_api_cycle_with_idempotent_writes(
    shop: Shop, bank: Bank, span: Span, run_worker: Run, api_as: Callable[[str], Any]
) -> None:
    paid_goods(shop, run_worker, price=70 * JUTA, qty=2)
    make_ppspm()
    bendahara = api_as(BENDAHARA)
    ready = bendahara.get("/api/v1/replenishment/readiness").json()
    assert ready["ready"] is True
    assert ready["spent_idr"] == 155_400_000
    assert ready["threshold"] == "1/2"

    bendahara.headers["Idempotency-Key"] = "gup-api-0001"
    first = bendahara.post("/api/v1/replenishment/spms", {"kind": "GUP"})
    assert first.status_code == 201, first.content
    replay = bendahara.post("/api/v1/replenishment/spms", {"kind": "GUP"})
    assert replay.status_code == 201
    assert replay.json()["id"] == first.json()["id"]
    assert Spm.objects.count() == 1
    body = first.json()
    assert body["amount_idr"] == 155_400_000
    assert body["lines"][0]["taxes"] == {"411211": 15_400_000, "411122": 2_100_000}
    spm_id = body["id"]

    bendahara.headers["Idempotency-Key"] = "tup-api-0001"
    bad = bendahara.post("/api/v1/replenishment/spms", {"kind": "XYZ"})
    assert bad.status_code == 422
    assert set(bad.json()) == {"code", "message", "details"}

    ppspm = api_as(PPSPM)
    ppspm.headers["Idempotency-Key"] = "sign-api-0001"
    signed = ppspm.post(f"/api/v1/replenishment/spms/{spm_id}/sign", {"otp": fresh_code()})
    assert signed.status_code == 200, signed.content
    assert signed.json()["state"] == SpmState.SUBMITTED

    kppn = api_as(KPPN_019)
    queue = kppn.get("/api/v1/replenishment/kppn/queue").json()["results"]
    assert [s["id"] for s in queue] == [spm_id]
    assert queue[0]["satker_code"] == "415256"
    assert queue[0]["restored"] is False
    kppn.headers["Idempotency-Key"] = "approve-api-0001"
    approved = kppn.post(f"/api/v1/replenishment/spms/{spm_id}/approve")
    assert approved.status_code == 200, approved.content
    assert approved.json()["credit_status"] == "CREDITED"
    assert approved.json()["restored"] is True
    again = kppn.post(f"/api/v1/replenishment/spms/{spm_id}/approve")
    assert again.json() == approved.json()

    outsider = api_as(email("bendahara", B))
    assert outsider.get(f"/api/v1/replenishment/spms/{spm_id}").status_code == 404
    assert outsider.get("/api/v1/replenishment/spms").json()["results"] == []
    mine = bendahara.get("/api/v1/replenishment/spms").json()["results"]
    assert [(s["id"], s["restored"]) for s in mine] == [(spm_id, True)]
    assert kppn.get("/api/v1/replenishment/sanctions").status_code == 200


def test_pages_of_each_role(
    shop: Shop,
    bank: Bank,
    span: Span,
    run_worker: Run,
    login_client: Callable[[str], Client],
) -> None:
    paid_goods(shop, run_worker, price=70 * JUTA, qty=2)
    make_ppspm()

    def login(address: str) -> Client:
        fresh_code()  # the code may have been used this step already
        return login_client(address)

    bendahara = login(BENDAHARA)
    page = bendahara.get("/penggantian-up/")
    assert page.status_code == 200
    assert "Kesiapan GUP Tunai" in page.content.decode()
    assert "Belum ada SPM." in page.content.decode()
    created = bendahara.post("/penggantian-up/gup/")
    assert created.status_code == 302
    spm = Spm.objects.get()
    assert created["Location"] == f"/penggantian-up/spm/{spm.pk}/"
    printed = bendahara.get(f"/penggantian-up/spm/{spm.pk}/cetak/").content.decode()
    assert spm.number in printed
    assert "Belum ditandatangani" in printed

    ppspm = login(PPSPM)
    assert spm.number in ppspm.get("/penggantian-up/tanda-tangan/").content.decode()
    wrong = ppspm.post(f"/penggantian-up/spm/{spm.pk}/", {"action": "sign", "otp": "12"})
    assert wrong.status_code == 200
    assert 'role="alert"' in wrong.content.decode()
    signed = ppspm.post(f"/penggantian-up/spm/{spm.pk}/", {"action": "sign", "otp": fresh_code()})
    assert signed.status_code == 302
    assert Spm.objects.get().state == SpmState.SUBMITTED

    kppn = login(KPPN_019)
    assert spm.number in kppn.get("/kppn/spm/").content.decode()
    check = kppn.get(f"/penggantian-up/spm/{spm.pk}/").content.decode()
    assert "Setujui dan terbitkan SP2D" in check
    assert "Setoran pajak" in check
    decided = kppn.post(f"/penggantian-up/spm/{spm.pk}/", {"action": "approve"})
    assert decided.status_code == 302
    assert Spm.objects.get().state == SpmState.APPROVED
    assert "Tidak ada SPM yang menunggu keputusan." in kppn.get("/kppn/spm/").content.decode()
    assert kppn.get("/kppn/sanksi/").status_code == 200
    overview = kppn.get("/penggantian-up/").content.decode()
    assert spm.number in overview
    assert "Kesiapan GUP Tunai" not in overview  # a KPPN has no UP of its own
    tup_form = bendahara.post("/penggantian-up/tup/", {"amount_idr": "abc", "reason": "x"})
    assert tup_form.status_code == 200
    assert Spm.objects.count() == 1
    asked = bendahara.post(
        "/penggantian-up/tup/",
        {"amount_idr": "25.000.000", "reason": "Perbaikan darurat atap kantor yang bocor."},
    )
    assert asked.status_code == 302
    tup = Spm.objects.get(kind="TUP")
    assert tup.amount_idr == 25_000_000
    assert tup.state == SpmState.DRAFT
    assert (
        login_client(email("bendahara", B)).get(f"/penggantian-up/spm/{spm.pk}/").status_code == 404
    )
