"""SNAP virtual accounts (services 27, 24, 25, 26) and corporate cards (KKP, services 90-94).

Virtual accounts follow the SNAP BI "Transfer Kredit ke Virtual Account" field names; the
simulator plays the bank that both holds the VA and (for 24/25/26) serves the payer. Card
services are the simulator's own JSON design, SNAP-styled (same signatures, same
``responseCode`` layout) with service codes 90-94 that SNAP does not use. docs/banksim.md
describes both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from digipay.simulators.banksim.config import BankConfig, card_ref_ok, looks_like_pan
from digipay.simulators.banksim.services import (
    SERVICES,
    Call,
    Service,
    Simulator,
    SnapError,
    _account_refusal,
    amount,
    optional_text,
    success,
    text,
    timestamp_field,
)
from digipay.simulators.banksim.store import (
    AccountInactive,
    AccountNotFound,
    Card,
    CardRefused,
    CardTxn,
    DuplicateReference,
    InsufficientFunds,
    NotPermitted,
    TransferOrder,
    VaRefused,
    VirtualAccount,
    iso,
)
from digipay.snap import values

VA_CREATE, VA_INQUIRY, VA_PAYMENT, VA_STATUS = "27", "24", "25", "26"
CARD_AUTH, CARD_CAPTURE, CARD_CHARGE, CARD_VOID, CARD_BILL = "90", "91", "92", "93", "94"


def _money(idr: int) -> dict[str, str]:
    return {"value": values.format_amount(idr), "currency": "IDR"}


def _additional(body: Mapping[str, Any]) -> Mapping[str, Any]:
    info = body.get("additionalInfo")
    if info is None:
        return {}
    if not isinstance(info, Mapping):
        raise SnapError(400, "01", "Invalid Field Format [additionalInfo]")
    return info


# --- virtual accounts --------------------------------------------------------------------------


def _va_number(body: Mapping[str, Any]) -> tuple[str, str, str]:
    """(partnerServiceId as sent, customerNo, the VA number without padding). SNAP pads
    partnerServiceId to 8 characters with leading spaces; virtualAccountNo is
    partnerServiceId + customerNo."""
    service_id = text(body, "partnerServiceId", 8)
    customer_no = text(body, "customerNo", 20, digits=True)
    va_no = text(body, "virtualAccountNo", 28)
    if not service_id.strip().isdigit():
        raise SnapError(400, "01", "Invalid Field Format [partnerServiceId]")
    canonical = service_id.strip() + customer_no
    if va_no.replace(" ", "") != canonical:
        raise SnapError(400, "01", "Invalid Field Format [virtualAccountNo]")
    return service_id, customer_no, canonical


def _va_bank(sim: Simulator, call: Call) -> BankConfig:
    code = _additional(call.body).get("bankCode") or call.bank.code
    bank = sim.config.bank(str(code))
    if bank is None:
        raise SnapError(404, "03", "Bank Not Supported By Switch")
    return bank


def _va_refusal(exc: VaRefused) -> SnapError:
    return {
        "exists": SnapError(409, "01", "Duplicate virtualAccountNo"),
        "not found": SnapError(404, "12", "Invalid Bill/Virtual Account [Not Found]"),
        "paid": SnapError(404, "14", "Paid Bill"),
        "expired": SnapError(404, "19", "Invalid Bill/Virtual Account [Expired]"),
        "amount": SnapError(404, "13", "Invalid Amount [must equal totalAmount]"),
    }[exc.reason]


def _va_fields(va: VirtualAccount) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "partnerServiceId": va.partner_service_id.rjust(8),
        "customerNo": va.customer_no,
        "virtualAccountNo": va.partner_service_id.rjust(8) + va.customer_no,
        "virtualAccountName": va.name,
        "trxId": va.trx_id,
        "virtualAccountTrxType": va.trx_type,
    }
    if va.total_amount is not None:
        fields["totalAmount"] = _money(va.total_amount)
    if va.expires_at is not None:
        fields["expiredDate"] = iso(va.expires_at)
    return fields


def _live_va(sim: Simulator, bank: BankConfig, va_no: str) -> VirtualAccount:
    va = sim.store.virtual_account(bank.code, va_no)
    if va is None:
        raise _va_refusal(VaRefused("not found"))
    if va.status == "PAID":
        raise _va_refusal(VaRefused("paid"))
    if va.expires_at is not None and sim.store.clock() >= va.expires_at:
        raise _va_refusal(VaRefused("expired"))
    return va


def va_create(sim: Simulator, call: Call) -> dict[str, Any]:
    body = call.body
    service_id, customer_no, va_no = _va_number(body)
    name = text(body, "virtualAccountName", 255)
    trx_id = text(body, "trxId", 64)
    total = amount(body, "totalAmount") if body.get("totalAmount") is not None else None
    trx_type = optional_text(body, "virtualAccountTrxType", 1) or ("C" if total else "O")
    if trx_type not in {"C", "O"}:
        raise SnapError(400, "01", "Invalid Field Format [virtualAccountTrxType]")
    if trx_type == "C" and total is None:
        raise SnapError(400, "02", "Invalid Mandatory Field [totalAmount]")
    expired = timestamp_field(body, "expiredDate", required=False)
    expires_at = values.parse_timestamp(expired).timestamp() if expired else None
    owner_no = _additional(body).get("accountNo")
    if not owner_no:
        raise SnapError(400, "02", "Invalid Mandatory Field [additionalInfo.accountNo]")
    if not isinstance(owner_no, str) or not owner_no.isdigit() or len(owner_no) > 34:
        raise SnapError(400, "01", "Invalid Field Format [additionalInfo.accountNo]")
    va = VirtualAccount(
        bank_code=call.bank.code,
        virtual_account_no=va_no,
        partner_service_id=service_id.strip(),
        customer_no=customer_no,
        name=name,
        owner_account_no=owner_no,
        client_id=call.partner.client_id,
        trx_type=trx_type,
        total_amount=total,
        trx_id=trx_id,
        expires_at=expires_at,
        status="ACTIVE",
        created_at=sim.store.clock(),
    )
    try:
        sim.store.create_virtual_account(va)
    except VaRefused as exc:
        raise _va_refusal(exc) from None
    except (AccountNotFound, AccountInactive) as exc:
        raise _account_refusal(exc) from None
    data = _va_fields(va)
    data["additionalInfo"] = {"accountNo": owner_no, "bankCode": call.bank.code}
    return success(call.service, virtualAccountData=data)


def va_inquiry(sim: Simulator, call: Call) -> dict[str, Any]:
    body = call.body
    _service_id, _customer_no, va_no = _va_number(body)
    inquiry_id = text(body, "inquiryRequestId", 128)
    bank = _va_bank(sim, call)
    va = _live_va(sim, bank, va_no)
    data = _va_fields(va)
    data.update(
        inquiryStatus="00",
        inquiryReason={"english": "Success", "indonesia": "Sukses"},
        inquiryRequestId=inquiry_id,
        additionalInfo={"bankCode": bank.code},
    )
    return success(call.service, virtualAccountData=data)


def va_payment(sim: Simulator, call: Call) -> dict[str, Any]:
    body = call.body
    service_id, customer_no, va_no = _va_number(body)
    payment_id = text(body, "paymentRequestId", 128)
    paid = amount(body, "paidAmount")
    if body.get("totalAmount") is not None and amount(body, "totalAmount") != paid:
        raise SnapError(404, "13", "Invalid Amount [paidAmount differs from totalAmount]")
    trx_date = timestamp_field(body, "trxDateTime", required=False) or iso(sim.store.clock())
    info = _additional(body)
    source_no = info.get("sourceAccountNo")
    if not source_no:
        raise SnapError(400, "02", "Invalid Mandatory Field [additionalInfo.sourceAccountNo]")
    if not isinstance(source_no, str) or len(source_no) > 34:
        raise SnapError(400, "01", "Invalid Field Format [additionalInfo.sourceAccountNo]")
    bank = _va_bank(sim, call)
    order = TransferOrder(
        bank_code=call.bank.code,
        client_id=call.partner.client_id,
        service_code=call.service,
        day=call.day,
        partner_reference_no=payment_id,
        external_id=call.external_id,
        source_account_no=source_no,
        beneficiary_bank_code=bank.code,
        beneficiary_account_no="",
        beneficiary_account_name="",
        amount=paid,
        currency="IDR",
        remark=f"VA {va_no}"[:50],
        transaction_date=trx_date,
        request=json.dumps(body, ensure_ascii=False),
    )
    try:
        done, va = sim.store.pay_virtual_account(
            order,
            payment_request_id=payment_id,
            virtual_account_no=va_no,
            trx_date_time=trx_date,
            force_insufficient=sim.faults.forced_insufficient(call.bank.code, source_no),
            notify_url=sim.config.notifications.url,
            notify_delay=sim.faults.notification_delay(),
        )
    except DuplicateReference as exc:
        raise SnapError(
            409,
            "01",
            "Duplicate paymentRequestId",
            additional_info={"originalReferenceNo": exc.reference_no},
        ) from None
    except VaRefused as exc:
        raise _va_refusal(exc) from None
    except (AccountNotFound, AccountInactive) as exc:
        raise _account_refusal(exc) from None
    except InsufficientFunds:
        raise SnapError(403, "14", "Insufficient Funds") from None
    except NotPermitted as exc:
        raise SnapError(403, "15", f"Transaction Not Permitted [{exc}]") from None
    sim.wake()
    return success(
        call.service,
        virtualAccountData={
            "partnerServiceId": service_id,
            "customerNo": customer_no,
            "virtualAccountNo": service_id + customer_no,
            "virtualAccountName": va.name,
            "paymentRequestId": payment_id,
            "paidAmount": _money(done.amount),
            "totalAmount": _money(va.total_amount if va.total_amount is not None else paid),
            "trxDateTime": trx_date,
            "referenceNo": done.reference_no,
            "paymentFlagStatus": "00",
            "paymentFlagReason": {"english": "Success", "indonesia": "Sukses"},
            "additionalInfo": {"sourceAccountNo": source_no, "bankCode": bank.code},
        },
    )


def va_status(sim: Simulator, call: Call) -> dict[str, Any]:
    body = call.body
    service_id, customer_no, va_no = _va_number(body)
    payment_id = optional_text(body, "paymentRequestId", 128)
    inquiry_id = optional_text(body, "inquiryRequestId", 128)
    found = sim.store.va_payment(call.bank.code, call.partner.client_id, va_no, payment_id)
    if found is None:
        raise SnapError(404, "01", "Transaction Not Found")
    va = sim.store.virtual_account(found["va_bank_code"], va_no)
    paid = int(found["amount"])
    total = va.total_amount if va is not None and va.total_amount is not None else paid
    return success(
        call.service,
        virtualAccountData={
            "paymentFlagReason": {"english": "Success", "indonesia": "Sukses"},
            "partnerServiceId": service_id,
            "customerNo": customer_no,
            "virtualAccountNo": service_id + customer_no,
            "inquiryRequestId": inquiry_id,
            "paymentRequestId": found["payment_request_id"],
            "referenceNo": found["reference_no"],
            "paidAmount": _money(paid),
            "totalAmount": _money(total),
            "transactionDate": found["trx_date_time"],
            "paymentFlagStatus": "00",
            "additionalInfo": {
                "sourceAccountNo": found["source_account_no"],
                "bankCode": found["va_bank_code"],
                "virtualAccountStatus": va.status if va is not None else "",
            },
        },
    )


# --- corporate cards (KKP) ---------------------------------------------------------------------

PAN_KEYS = frozenset({"pan", "cardno", "cardnumber", "primaryaccountnumber", "cardnum"})
# Account numbers are looked up, never stored unless they name an existing account; a bank
# account number may well pass the Luhn check.
PAN_EXEMPT = frozenset({"merchantAccountNo"})


def _refuse_pan(value: object, path: str = "") -> None:
    """400xx01 if anything in the body looks like a full card number (or is named like one)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = str(key)
            if name.lower().replace("_", "") in PAN_KEYS:
                raise SnapError(400, "01", f"Invalid Field Format [{name}: no card numbers]")
            if path or name not in PAN_EXEMPT:
                _refuse_pan(item, f"{path}{name}.")
    elif isinstance(value, list):
        for item in value:
            _refuse_pan(item, path)
    elif isinstance(value, str) and looks_like_pan(value):
        raise SnapError(400, "01", f"Invalid Field Format [{path.rstrip('.')}: no card numbers]")


def _card(sim: Simulator, call: Call) -> Card:
    card_ref = text(call.body, "cardRef", 32)
    if not card_ref_ok(card_ref):
        raise SnapError(400, "01", "Invalid Field Format [cardRef]")
    card = sim.store.card(card_ref)
    if card is None or card.bank_code != call.bank.code:
        raise SnapError(404, "11", "Invalid Card [cardRef]")
    return card


def _card_refusal(exc: CardRefused) -> SnapError:
    if exc.reason == "card":
        return SnapError(404, "11", "Invalid Card [cardRef]")
    if exc.reason == "limit":
        return SnapError(403, "02", "Exceeds Card Limit")
    if exc.reason == "not found":
        return SnapError(404, "01", "Transaction Not Found")
    if exc.reason == "amount":
        return SnapError(404, "13", "Invalid Amount [above the authorized amount]")
    return SnapError(403, "15", f"Transaction Not Permitted [{exc.reason}]")


def _masked(card: Card) -> str:
    return "************" + card.last4


def _txn_fields(sim: Simulator, txn: CardTxn) -> dict[str, Any]:
    card = sim.store.card(txn.card_ref)
    assert card is not None
    return {
        "referenceNo": txn.reference_no,
        "partnerReferenceNo": txn.partner_reference_no,
        "cardRef": card.card_ref,
        "maskedCardNo": _masked(card),
        "transactionStatus": txn.status,
        "amount": _money(txn.amount),
        "capturedAmount": _money(txn.captured_amount),
        "merchantBankCode": txn.merchant_bank_code,
        "merchantAccountNo": txn.merchant_account_no,
        "merchantName": txn.merchant_name,
        "availableLimit": _money(card.available),
        "transactionDate": iso(txn.captured_at or txn.authorized_at),
    }


def _authorize(sim: Simulator, call: Call, *, capture: bool) -> dict[str, Any]:
    body = call.body
    _refuse_pan(body)
    partner_reference = text(body, "partnerReferenceNo", 64)
    card = _card(sim, call)
    idr = amount(body)
    merchant_bank = optional_text(body, "merchantBankCode", 8) or call.bank.code
    if sim.config.bank(merchant_bank) is None:
        raise SnapError(404, "03", "Bank Not Supported By Switch")
    merchant_no = text(body, "merchantAccountNo", 34)
    remark = optional_text(body, "remark", 50)
    timestamp_field(body, "transactionDate", required=False)
    try:
        txn = sim.store.card_authorize(
            bank_code=call.bank.code,
            client_id=call.partner.client_id,
            card_ref=card.card_ref,
            partner_reference_no=partner_reference,
            amount=idr,
            merchant=(merchant_bank, merchant_no),
            description=remark,
            capture=capture,
            notify_url=sim.config.notifications.url,
            notify_delay=sim.faults.notification_delay(),
            card_events=sim.config.notifications.card_events,
        )
    except DuplicateReference as exc:
        raise SnapError(
            409,
            "01",
            "Duplicate partnerReferenceNo",
            additional_info={"originalReferenceNo": exc.reference_no},
        ) from None
    except CardRefused as exc:
        raise _card_refusal(exc) from None
    except (AccountNotFound, AccountInactive) as exc:
        raise _account_refusal(exc) from None
    if capture or sim.config.notifications.card_events:
        sim.wake()
    return success(call.service, **_txn_fields(sim, txn))


def card_authorization(sim: Simulator, call: Call) -> dict[str, Any]:
    return _authorize(sim, call, capture=False)


def card_charge(sim: Simulator, call: Call) -> dict[str, Any]:
    return _authorize(sim, call, capture=True)


def _original(call: Call) -> str:
    _refuse_pan(call.body)
    return text(call.body, "originalReferenceNo", 64)


def card_capture(sim: Simulator, call: Call) -> dict[str, Any]:
    original = _original(call)
    idr = amount(call.body) if call.body.get("amount") is not None else None
    try:
        txn = sim.store.card_capture(
            call.bank.code,
            call.partner.client_id,
            original,
            idr,
            notify_url=sim.config.notifications.url,
            notify_delay=sim.faults.notification_delay(),
            card_events=sim.config.notifications.card_events,
        )
    except CardRefused as exc:
        raise _card_refusal(exc) from None
    except (AccountNotFound, AccountInactive) as exc:
        raise _account_refusal(exc) from None
    sim.wake()
    return success(call.service, **_txn_fields(sim, txn))


def card_void(sim: Simulator, call: Call) -> dict[str, Any]:
    original = _original(call)
    try:
        txn = sim.store.card_void(
            call.bank.code,
            call.partner.client_id,
            original,
            notify_url=sim.config.notifications.url,
            notify_delay=sim.faults.notification_delay(),
            card_events=sim.config.notifications.card_events,
        )
    except CardRefused as exc:
        raise _card_refusal(exc) from None
    if sim.config.notifications.card_events:
        sim.wake()
    return success(call.service, **_txn_fields(sim, txn))


def card_bill(sim: Simulator, call: Call) -> dict[str, Any]:
    _refuse_pan(call.body)
    card = _card(sim, call)
    month = optional_text(call.body, "billingMonth", 7)
    if month:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            raise SnapError(400, "01", "Invalid Field Format [billingMonth]")
    else:
        now = datetime.fromtimestamp(sim.store.clock(), UTC).astimezone(values.WIB)
        month = now.strftime("%Y-%m")
    charges = sim.store.card_charges(card.card_ref, month.replace("-", ""))
    total = sum(c.captured_amount for c in charges)
    extra: dict[str, Any] = {}
    settlement = sim.store.card_settlement_account(card.bank_code)
    if settlement:
        # Where the bill is paid, and what has been paid for it so far.
        extra["paymentAccount"] = {
            "bankCode": card.bank_code,
            "accountNo": settlement,
            "remark": f"KKP {card.card_ref} {month}",
        }
        extra["paidAmount"] = _money(
            sim.store.card_bill_paid(card.card_ref, month.replace("-", ""))
        )
    return success(
        call.service,
        cardRef=card.card_ref,
        maskedCardNo=_masked(card),
        cardholderName=card.holder_name,
        billingMonth=month,
        billAccount={"bankCode": card.bill_bank_code, "accountNo": card.bill_account_no},
        creditLimit=_money(card.limit),
        availableLimit=_money(card.available),
        numberOfCharges=len(charges),
        totalAmount=_money(total),
        charges=[
            {
                "referenceNo": c.reference_no,
                "partnerReferenceNo": c.partner_reference_no,
                "amount": _money(c.captured_amount),
                "merchantBankCode": c.merchant_bank_code,
                "merchantAccountNo": c.merchant_account_no,
                "merchantName": c.merchant_name,
                "remark": c.description,
                "transactionDate": iso(c.captured_at or c.authorized_at),
            }
            for c in charges
        ],
        **extra,
    )


PRODUCT_SERVICES: tuple[Service, ...] = (
    Service(VA_CREATE, "/v1.0/transfer-va/create-va", "create virtual account", va_create),
    Service(VA_INQUIRY, "/v1.0/transfer-va/inquiry", "virtual account inquiry", va_inquiry),
    Service(VA_PAYMENT, "/v1.0/transfer-va/payment", "virtual account payment", va_payment),
    Service(VA_STATUS, "/v1.0/transfer-va/status", "virtual account payment status", va_status),
    Service(CARD_AUTH, "/v1.0/card/authorization", "card authorization (KKP)", card_authorization),
    Service(CARD_CAPTURE, "/v1.0/card/capture", "card capture (KKP)", card_capture),
    Service(CARD_CHARGE, "/v1.0/card/charge", "card charge (KKP)", card_charge),
    Service(CARD_VOID, "/v1.0/card/void", "card void (KKP)", card_void),
    Service(CARD_BILL, "/v1.0/card/bill", "card monthly bill (KKP)", card_bill),
)

ALL_SERVICES: tuple[Service, ...] = SERVICES + PRODUCT_SERVICES
