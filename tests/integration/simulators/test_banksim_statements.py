"""Account statements: SNAP bank statement (14) and the camt.053-like admin statement."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.applications import Starlette

from digipay.snap import values

from .conftest import (
    BNI,
    BRI,
    SATKER_BRI,
    VENDOR_BNI,
    VENDOR_BRI,
    Keys,
    Snap,
    live_client,
    now_text,
)


@pytest.fixture
def client(make_app: Callable[..., Starlette]) -> Iterator[httpx.Client]:
    with live_client(make_app()) as http:
        yield http


@pytest.fixture
def snap(client: httpx.Client, keys: Keys) -> Snap:
    snap = Snap(client, keys)
    snap.transfer(BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=1_000, reference="ST-1")
    snap.transfer(
        BRI,
        service="18",
        source=SATKER_BRI,
        beneficiary=VENDOR_BNI,
        beneficiary_bank=BNI,
        amount=2_000,
        reference="ST-2",
    )
    client.post("/admin/credits", json={"bank": BRI, "accountNo": SATKER_BRI, "amount": 500})
    return snap


def test_snap_bank_statement_lists_the_day(snap: Snap) -> None:
    response = snap.post(
        BRI, "/v1.0/bank-statement", {"accountNo": SATKER_BRI, "partnerReferenceNo": "STMT-1"}
    )
    data = response.json()
    assert (response.status_code, data["responseCode"]) == (200, "2001400")
    balance = data["balance"][0]
    assert balance["startingBalance"]["value"] == "500000000.00"
    assert balance["endingBalance"]["value"] == values.format_amount(500_000_000 - 3_000 + 500)
    assert data["totalDebitEntries"] == {
        "numberOfEntries": "2",
        "amount": {"value": "3000.00", "currency": "IDR"},
    }
    assert data["totalCreditEntries"]["numberOfEntries"] == "1"
    assert [d["type"] for d in data["detailData"]] == ["DEBIT", "DEBIT", "CREDIT"]
    assert [d["additionalInfo"]["partnerReferenceNo"] for d in data["detailData"]] == [
        "ST-1",
        "ST-2",
        "",
    ]
    assert data["detailData"][1]["additionalInfo"]["counterpartyBankCode"] == BNI
    assert data["hasMore"] == "N"


def test_snap_bank_statement_refusals(snap: Snap) -> None:
    unknown = snap.post(BRI, "/v1.0/bank-statement", {"accountNo": VENDOR_BNI})
    assert (unknown.status_code, unknown.json()["responseCode"]) == (404, "4041411")
    backwards = snap.post(
        BRI,
        "/v1.0/bank-statement",
        {"accountNo": SATKER_BRI, "fromDateTime": now_text(), "toDateTime": now_text(-60)},
    )
    assert backwards.json()["responseCode"] == "4001401"
    long = snap.post(
        BRI,
        "/v1.0/bank-statement",
        {"accountNo": SATKER_BRI, "fromDateTime": now_text(-40 * 86400)},
    )
    assert long.json()["responseCode"] == "4001401"


def test_camt053_like_statement(snap: Snap, client: httpx.Client) -> None:
    client.put(f"/admin/accounts/{BRI}/{SATKER_BRI}", json={"balance": 600_000_000})
    statement = client.get(f"/admin/statements/{BRI}/{SATKER_BRI}").json()["BkToCstmrStmt"]["Stmt"]
    assert statement["Acct"]["Id"]["Othr"]["Id"] == SATKER_BRI
    assert statement["Acct"]["Svcr"]["FinInstnId"]["ClrSysMmbId"]["MmbId"] == BRI
    balances = {b["Tp"]["CdOrPrtry"]["Cd"]: b["Amt"]["value"] for b in statement["Bal"]}
    assert balances == {"OPBD": "500000000.00", "CLBD": "600000000.00"}
    entries = statement["Ntry"]
    assert [e["CdtDbtInd"] for e in entries] == ["DBIT", "DBIT", "CRDT", "CRDT"]
    assert entries[0]["NtryDtls"]["TxDtls"][0]["Refs"]["EndToEndId"] == "ST-1"
    assert entries[1]["NtryDtls"]["TxDtls"][0]["RltdPties"]["CdtrAcct"]["Id"]["Othr"]["Id"] == (
        VENDOR_BNI
    )
    assert entries[3]["BkTxCd"]["Prtry"]["Cd"] == "ADJ"  # the admin's balance change
    assert statement["TxsSummry"]["TtlDbtNtries"] == {"NbOfNtries": "2", "Sum": "3000.00"}
    # opening + credits - debits = closing
    credits = sum(
        values.parse_amount(e["Amt"]["value"]) for e in entries if e["CdtDbtInd"] == "CRDT"
    )
    debits = sum(
        values.parse_amount(e["Amt"]["value"]) for e in entries if e["CdtDbtInd"] == "DBIT"
    )
    assert 500_000_000 + credits - debits == 600_000_000


def test_camt053_of_a_quiet_day_carries_the_balance(snap: Snap, client: httpx.Client) -> None:
    tomorrow = (datetime.now(UTC).astimezone(values.WIB) + timedelta(days=1)).date()
    yesterday = tomorrow - timedelta(days=2)
    later = client.get(f"/admin/statements/{BRI}/{SATKER_BRI}?date={tomorrow}").json()
    earlier = client.get(f"/admin/statements/{BRI}/{SATKER_BRI}?date={yesterday}").json()
    closing = values.format_amount(500_000_000 - 3_000 + 500)
    later_balances = [b["Amt"]["value"] for b in later["BkToCstmrStmt"]["Stmt"]["Bal"]]
    earlier_balances = [b["Amt"]["value"] for b in earlier["BkToCstmrStmt"]["Stmt"]["Bal"]]
    assert later_balances == [closing, closing]
    assert earlier_balances == ["500000000.00", "500000000.00"]
    assert later["BkToCstmrStmt"]["Stmt"]["Ntry"] == []
    assert client.get(f"/admin/statements/{BRI}/{SATKER_BRI}?date=nope").status_code == 400
