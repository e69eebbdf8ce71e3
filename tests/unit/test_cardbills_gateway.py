"""The gateway reads a card bill (SNAP 94): every line with both references, the payment
account, the amount paid, and the bank's due date when it gives one."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from digipay.integrations.banks.gateway import SnapProductsMixin


class _Bank(SnapProductsMixin):
    def __init__(self, answer: dict[str, Any]) -> None:
        self.bank_code = "002"
        self.answer = answer
        self.today = lambda: datetime(2026, 12, 2)

    def _call(self, *_args: Any, **_kw: Any) -> tuple[int, dict[str, Any]]:
        return 200, {"responseCode": "2009400", "responseMessage": "Successful", **self.answer}


def money(value: str) -> dict[str, str]:
    return {"value": value, "currency": "IDR"}


def test_a_bill_with_payment_account_and_due_date() -> None:
    bill = _Bank(
        {
            "cardRef": "BRI-KKP-415256-01",
            "billingMonth": "2026-11",
            "creditLimit": money("50000000.00"),
            "availableLimit": money("48889999.00"),
            "totalAmount": money("1110001.00"),
            "paidAmount": money("0.00"),
            "dueDate": "2026-12-10",
            "paymentAccount": {
                "bankCode": "002",
                "accountNo": "000001990000013",
                "remark": "KKP BRI-KKP-415256-01 2026-11",
            },
            "charges": [
                {
                    "referenceNo": "2026112800000001",
                    "partnerReferenceNo": "DGP1",
                    "amount": money("1110001.00"),
                    "merchantName": "CV SINAR JAYA ABADI",
                    "remark": "Digipay TRF/1",
                    "transactionDate": "2026-11-28T10:00:00.000+07:00",
                }
            ],
        }
    ).card_bill(card_ref="BRI-KKP-415256-01", billing_month="2026-11")
    assert bill.total_idr == 1_110_001
    assert bill.charges == (("2026112800000001", 1_110_001),)
    [line] = bill.lines
    assert (line.partner_reference_no, line.merchant_name) == ("DGP1", "CV SINAR JAYA ABADI")
    assert line.transaction_date is not None
    assert line.transaction_date.isoformat() == "2026-11-28T10:00:00+07:00"
    assert bill.due_date == date(2026, 12, 10)
    assert (bill.pay_to_bank_code, bill.pay_to_account_no) == ("002", "000001990000013")
    assert bill.pay_remark == "KKP BRI-KKP-415256-01 2026-11"
    assert (bill.credit_limit_idr, bill.available_limit_idr, bill.paid_idr) == (
        50_000_000,
        48_889_999,
        0,
    )


def test_a_bare_bill_has_no_due_date_nor_payment_account() -> None:
    bill = _Bank(
        {"cardRef": "X-1", "billingMonth": "2026-11", "totalAmount": money("0.00")}
    ).card_bill(card_ref="X-1", billing_month="2026-11")
    assert (bill.total_idr, bill.lines, bill.due_date) == (0, (), None)
    assert (bill.pay_to_bank_code, bill.pay_to_account_no, bill.available_limit_idr) == (
        "",
        "",
        None,
    )
