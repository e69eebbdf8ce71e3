"""Bank simulator: SNAP virtual accounts (27, 24, 25, 26) and corporate cards (KKP, 90-94),
over a real socket like the other simulator tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from digipay.simulators.banksim import config_from_dict
from digipay.simulators.banksim.config import ConfigError
from digipay.snap import values

from .conftest import (
    BNI,
    BRI,
    MANDIRI,
    SATKER_BRI,
    SATKER_MANDIRI,
    VENDOR_BNI,
    VENDOR_BRI,
    VENDOR_BTN,
    Keys,
    Receiver,
    Snap,
    base_config,
    live_client,
    now_text,
)

CARD = "KKP-BRI-0001"
CARDS = [
    {
        "cardRef": CARD,
        "last4": "4321",
        "bank": BRI,
        "holderName": "BENDAHARA 415256",
        "limit": "10000000.00",
        "billAccountNo": SATKER_BRI,
    }
]
PAN = "4111111111111111"  # the well-known test Visa number (passes Luhn)


def money(idr: int) -> dict[str, str]:
    return {"value": values.format_amount(idr), "currency": "IDR"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def snap(make_app: Callable[..., Starlette], keys: Keys, receiver: Receiver) -> Iterator[Snap]:
    app = make_app(cards=CARDS, notifications={"url": receiver.url, "pollSeconds": 0.02})
    with live_client(app) as http:
        yield Snap(http, keys)


def total(client: httpx.Client) -> int:
    accounts = client.get("/admin/accounts").json()["accounts"]
    return sum(values.parse_amount(a["balance"]) for a in accounts)


# --- virtual accounts --------------------------------------------------------------------------


def va_key(customer_no: str, service_id: str = "   88001") -> dict[str, str]:
    return {
        "partnerServiceId": service_id,
        "customerNo": customer_no,
        "virtualAccountNo": service_id + customer_no,
    }


def create_va(
    snap: Snap, bank: str, customer_no: str, owner: str, total_amount: int | None, **extra: Any
) -> httpx.Response:
    body: dict[str, Any] = {
        **va_key(customer_no),
        "virtualAccountName": "CV SINAR JAYA TAGIHAN 7",
        "trxId": f"INV-{customer_no}",
        "additionalInfo": {"accountNo": owner},
        **extra,
    }
    if total_amount is not None:
        body["totalAmount"] = money(total_amount)
    return snap.post(bank, "/v1.0/transfer-va/create-va", body)


def pay_va(
    snap: Snap,
    bank: str,
    customer_no: str,
    amount: int,
    payment_id: str,
    source: str,
    va_bank: str | None = None,
) -> httpx.Response:
    info = {"sourceAccountNo": source}
    if va_bank:
        info["bankCode"] = va_bank
    return snap.post(
        bank,
        "/v1.0/transfer-va/payment",
        {
            **va_key(customer_no),
            "paymentRequestId": payment_id,
            "paidAmount": money(amount),
            "trxDateTime": now_text(),
            "additionalInfo": info,
        },
    )


def test_closed_va_intrabank_create_inquiry_pay_status(snap: Snap, receiver: Receiver) -> None:
    created = create_va(snap, BRI, "0000001", VENDOR_BRI, 1_500_000)
    assert created.status_code == 200, created.text
    data = created.json()
    assert data["responseCode"] == "2002700"
    assert data["virtualAccountData"]["virtualAccountNo"] == "   880010000001"
    assert data["virtualAccountData"]["virtualAccountTrxType"] == "C"

    inquiry = snap.post(
        BRI, "/v1.0/transfer-va/inquiry", {**va_key("0000001"), "inquiryRequestId": "INQ-1"}
    )
    assert inquiry.json()["responseCode"] == "2002400", inquiry.text
    va = inquiry.json()["virtualAccountData"]
    assert va["virtualAccountName"] == "CV SINAR JAYA TAGIHAN 7"
    assert va["totalAmount"] == money(1_500_000)
    assert va["inquiryStatus"] == "00"

    wrong = pay_va(snap, BRI, "0000001", 1_000_000, "PAY-0", SATKER_BRI)
    assert wrong.status_code == 404
    assert wrong.json()["responseCode"] == "4042513"

    before = total(snap.http)
    paid = pay_va(snap, BRI, "0000001", 1_500_000, "PAY-1", SATKER_BRI)
    assert paid.status_code == 200, paid.text
    assert paid.json()["responseCode"] == "2002500"
    reference = paid.json()["virtualAccountData"]["referenceNo"]
    assert snap.balance(BRI, VENDOR_BRI) == 1_500_000
    assert snap.balance(BRI, SATKER_BRI) == 500_000_000 - 1_500_000
    assert total(snap.http) == before

    replay = pay_va(snap, BRI, "0000001", 1_500_000, "PAY-1", SATKER_BRI)
    assert replay.status_code == 409
    assert replay.json()["responseCode"] == "4092501"
    assert replay.json()["additionalInfo"]["originalReferenceNo"] == reference
    again = pay_va(snap, BRI, "0000001", 1_500_000, "PAY-2", SATKER_BRI)
    assert again.json()["responseCode"] == "4042514"  # Paid Bill
    assert snap.balance(BRI, VENDOR_BRI) == 1_500_000

    status = snap.post(
        BRI, "/v1.0/transfer-va/status", {**va_key("0000001"), "paymentRequestId": "PAY-1"}
    )
    assert status.json()["responseCode"] == "2002600", status.text
    flag = status.json()["virtualAccountData"]
    assert flag["paymentFlagStatus"] == "00"
    assert flag["referenceNo"] == reference
    assert flag["paidAmount"] == money(1_500_000)
    assert flag["additionalInfo"]["virtualAccountStatus"] == "PAID"
    missing = snap.post(
        BRI, "/v1.0/transfer-va/status", {**va_key("0000001"), "paymentRequestId": "PAY-9"}
    )
    assert missing.json()["responseCode"] == "4042601"

    [notification] = receiver.wait_for(1)
    event = json.loads(notification.body)
    assert event["accountNo"] == VENDOR_BRI
    assert event["serviceCode"] == "25"
    assert event["partnerReferenceNo"] == "PAY-1"
    assert event["amount"] == money(1_500_000)


def test_va_paid_from_another_bank_settles_between_banks(snap: Snap) -> None:
    assert create_va(snap, BNI, "0000002", VENDOR_BNI, 2_000_000).status_code == 200
    wrong_bank = pay_va(snap, MANDIRI, "0000002", 2_000_000, "X-1", SATKER_MANDIRI)
    assert wrong_bank.json()["responseCode"] == "4042512"  # not a VA of Mandiri
    poor = pay_va(snap, MANDIRI, "0000002", 2_000_000, "X-2", SATKER_MANDIRI, va_bank=BNI)
    assert poor.json()["responseCode"] == "4032514"  # Mandiri satker holds Rp10
    paid = pay_va(snap, BRI, "0000002", 2_000_000, "X-3", SATKER_BRI, va_bank=BNI)
    assert paid.status_code == 200, paid.text
    assert snap.balance(BNI, VENDOR_BNI) == 2_000_000
    settlement = snap.http.get("/admin/settlement").json()
    assert settlement["netPositions"] == {BNI: "2000000.00", BRI: "-2000000.00"}


def test_open_va_takes_any_amount_repeatedly(snap: Snap) -> None:
    created = create_va(snap, BRI, "0000003", VENDOR_BRI, None)
    assert created.json()["virtualAccountData"]["virtualAccountTrxType"] == "O"
    assert pay_va(snap, BRI, "0000003", 100_000, "O-1", SATKER_BRI).status_code == 200
    assert pay_va(snap, BRI, "0000003", 250_000, "O-2", SATKER_BRI).status_code == 200
    assert snap.balance(BRI, VENDOR_BRI) == 350_000


def test_va_create_refusals_and_expiry(snap: Snap) -> None:
    assert create_va(snap, BRI, "0000004", VENDOR_BRI, 1000).status_code == 200
    duplicate = create_va(snap, BRI, "0000004", VENDOR_BRI, 1000)
    assert duplicate.json()["responseCode"] == "4092701"
    no_owner = create_va(snap, BRI, "0000005", "999999", 1000)
    assert no_owner.json()["responseCode"] == "4042711"
    mismatch = snap.post(
        BRI,
        "/v1.0/transfer-va/create-va",
        {
            **va_key("0000006"),
            "virtualAccountNo": "   880019999999",
            "virtualAccountName": "X",
            "trxId": "T",
            "totalAmount": money(1000),
            "additionalInfo": {"accountNo": VENDOR_BRI},
        },
    )
    assert mismatch.json()["responseCode"] == "4002701"
    past = (datetime.now(UTC) - timedelta(minutes=1)).astimezone(values.WIB)
    assert (
        create_va(snap, BRI, "0000007", VENDOR_BRI, 1000, expiredDate=values.format_timestamp(past))
    ).status_code == 200
    expired = pay_va(snap, BRI, "0000007", 1000, "E-1", SATKER_BRI)
    assert expired.json()["responseCode"] == "4042519"


# --- cards -------------------------------------------------------------------------------------


def card_post(snap: Snap, service: str, body: dict[str, Any], bank: str = BRI) -> httpx.Response:
    return snap.post(bank, f"/v1.0/card/{service}", body)


def authorize(
    snap: Snap, reference: str, amount: int, merchant: str = VENDOR_BRI, merchant_bank: str = BRI
) -> httpx.Response:
    return card_post(
        snap,
        "authorization",
        {
            "partnerReferenceNo": reference,
            "cardRef": CARD,
            "amount": money(amount),
            "merchantBankCode": merchant_bank,
            "merchantAccountNo": merchant,
            "remark": "ATK kantor",
        },
    )


def test_card_authorize_capture_void_and_limit(snap: Snap, receiver: Receiver) -> None:
    held = authorize(snap, "A-1", 6_000_000)
    assert held.status_code == 200, held.text
    data = held.json()
    assert data["responseCode"] == "2009000"
    assert data["transactionStatus"] == "AUTHORIZED"
    assert data["maskedCardNo"] == "************4321"
    assert data["availableLimit"] == money(4_000_000)
    assert snap.balance(BRI, VENDOR_BRI) == 0

    over = authorize(snap, "A-2", 4_000_001)
    assert over.status_code == 403
    assert over.json()["responseCode"] == "4039002"
    replay = authorize(snap, "A-1", 1)
    assert replay.json()["responseCode"] == "4099001"

    captured = card_post(
        snap, "capture", {"originalReferenceNo": data["referenceNo"], "amount": money(5_000_000)}
    )
    assert captured.status_code == 200, captured.text
    assert captured.json()["responseCode"] == "2009100"
    assert captured.json()["transactionStatus"] == "CAPTURED"
    assert captured.json()["availableLimit"] == money(5_000_000)  # partial capture frees 1 juta
    assert snap.balance(BRI, VENDOR_BRI) == 5_000_000  # the bank paid the vendor at once
    again = card_post(snap, "capture", {"originalReferenceNo": "A-1"})
    assert again.json()["responseCode"] == "4039115"
    void_captured = card_post(snap, "void", {"originalReferenceNo": "A-1"})
    assert void_captured.json()["responseCode"] == "4039315"

    held2 = authorize(snap, "A-3", 5_000_000)
    assert held2.json()["availableLimit"] == money(0)
    voided = card_post(snap, "void", {"originalReferenceNo": held2.json()["referenceNo"]})
    assert voided.json()["responseCode"] == "2009300", voided.text
    assert voided.json()["transactionStatus"] == "VOIDED"
    assert voided.json()["availableLimit"] == money(5_000_000)
    unknown = card_post(snap, "void", {"originalReferenceNo": "NOPE"})
    assert unknown.json()["responseCode"] == "4049301"

    [notification] = receiver.wait_for(1)
    event = json.loads(notification.body)
    assert event["serviceCode"] == "91"
    assert event["partnerReferenceNo"] == "A-1"
    assert event["amount"] == money(5_000_000)
    assert event["sourceBankCode"] == BRI
    assert "4321" in event["sourceAccountName"]


def test_card_charge_to_another_bank_and_monthly_bill(snap: Snap) -> None:
    charged = card_post(
        snap,
        "charge",
        {
            "partnerReferenceNo": "C-1",
            "cardRef": CARD,
            "amount": money(750_000),
            "merchantBankCode": "200",
            "merchantAccountNo": VENDOR_BTN,  # a Luhn-valid account number is still fine here
        },
    )
    assert charged.status_code == 200, charged.text
    assert charged.json()["responseCode"] == "2009200"
    assert charged.json()["transactionStatus"] == "CAPTURED"
    assert snap.balance("200", VENDOR_BTN) == 750_000
    assert snap.http.get("/admin/settlement").json()["netPositions"] == {
        "200": "750000.00",
        BRI: "-750000.00",
    }
    statement = snap.post("200", "/v1.0/bank-statement", {"accountNo": VENDOR_BTN})
    [line] = statement.json()["detailData"]
    assert line["additionalInfo"]["serviceCode"] == "92"
    assert line["additionalInfo"]["partnerReferenceNo"] == "C-1"
    assert authorize(snap, "C-2", 100_000).status_code == 200  # held, not on the bill

    bill = card_post(snap, "bill", {"cardRef": CARD})
    assert bill.status_code == 200, bill.text
    data = bill.json()
    assert data["responseCode"] == "2009400"
    assert data["billingMonth"] == datetime.now(UTC).astimezone(values.WIB).strftime("%Y-%m")
    assert data["numberOfCharges"] == 1
    assert data["totalAmount"] == money(750_000)
    assert data["billAccount"] == {"bankCode": BRI, "accountNo": SATKER_BRI}
    assert data["charges"][0]["partnerReferenceNo"] == "C-1"
    assert data["availableLimit"] == money(10_000_000 - 850_000)
    empty = card_post(snap, "bill", {"cardRef": CARD, "billingMonth": "2020-01"})
    assert empty.json()["numberOfCharges"] == 0
    assert empty.json()["totalAmount"] == money(0)
    bad_month = card_post(snap, "bill", {"cardRef": CARD, "billingMonth": "2020-13"})
    assert bad_month.json()["responseCode"] == "4009401"
    other_bank = card_post(snap, "bill", {"cardRef": CARD}, bank=MANDIRI)
    assert other_bank.json()["responseCode"] == "4049411"


@pytest.mark.parametrize(
    "body",
    [
        {"cardRef": PAN},
        {"cardRef": CARD, "remark": "card 4111-1111-1111-1111"},
        {"cardRef": CARD, "cardNumber": "x"},
        {"cardRef": CARD, "additionalInfo": {"note": "4111 1111 1111 1111"}},
    ],
)
def test_card_numbers_are_refused_and_not_stored(snap: Snap, body: dict[str, Any]) -> None:
    request = {
        "partnerReferenceNo": "P-1",
        "amount": money(1000),
        "merchantAccountNo": VENDOR_BRI,
        **body,
    }
    response = card_post(snap, "authorization", request)
    assert response.status_code == 400, response.text
    assert response.json()["responseCode"] == "4009001"
    assert PAN not in response.text
    # nothing was held: the same partnerReferenceNo is still free
    assert authorize(snap, "P-1", 1000).status_code == 200


def test_config_refuses_card_numbers(keys: Keys) -> None:
    for card in (
        {**CARDS[0], "cardRef": PAN},
        {**CARDS[0], "holderName": "BENDAHARA " + PAN},
        {**CARDS[0], "last4": "43210"},
        {**CARDS[0], "billAccountNo": "1"},
    ):
        with pytest.raises(ConfigError):
            config_from_dict(base_config(keys, cards=[card]))
