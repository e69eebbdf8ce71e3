"""The bank gateway: what Digipay asks of a bank, and how every SNAP outcome is handled.

Never pay twice: an instruction keeps its ``X-EXTERNAL-ID`` and ``partnerReferenceNo`` on every
attempt, and after a timeout, a 5xx, a 202 or any unreadable answer the gateway asks the
transfer status (service 36) *before* it sends again. ``409xx01`` (that reference was already
used) means the transfer exists: its status is read and returned as success.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Protocol

from digipay.core import clock
from digipay.integrations.banks.client import SnapClient
from digipay.integrations.banks.errors import (
    BankError,
    BankRejected,
    BankTimeout,
    BankUnavailable,
    OutcomeUnknown,
)
from digipay.integrations.banks.rules import Outcome, Service, classify, routes
from digipay.snap import values


@dataclass(frozen=True, slots=True)
class TransferInstruction:
    partner_reference_no: str
    external_id: str
    source_account: str
    beneficiary_account: str
    beneficiary_bank_code: str
    beneficiary_name: str
    amount_idr: int
    urgent: bool = False
    remark: str = ""


@dataclass(frozen=True, slots=True)
class TransferResult:
    reference_no: str
    service: Service
    response_code: str
    confirmed_by_status: bool


@dataclass(frozen=True, slots=True)
class AccountInfo:
    account_no: str
    account_name: str
    bank_code: str


class TransferState:
    SUCCESS = "00"
    FAILED = "06"
    NOT_FOUND = "07"
    IN_FLIGHT = frozenset({"01", "02", "03"})


@dataclass(frozen=True, slots=True)
class StatusResult:
    state: str  # "success" | "failed" | "pending" | "not_found"
    reference_no: str
    response_code: str


class BankGateway(Protocol):
    def account_inquiry(
        self, *, account_no: str, bank_code: str, external_id: str
    ) -> AccountInfo: ...

    def transfer(self, instruction: TransferInstruction) -> TransferResult: ...

    def transfer_status(
        self, instruction: TransferInstruction, service: Service
    ) -> StatusResult: ...


class CircuitBreaker:
    """Open after ``threshold`` consecutive failures; one probe after ``cooldown`` seconds."""

    def __init__(
        self,
        *,
        threshold: int = 5,
        cooldown: float = 30.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.now = now
        self.failures = 0
        self.opened_at: float | None = None

    def before_call(self) -> None:
        if self.opened_at is None:
            return
        if self.now() - self.opened_at < self.cooldown:
            raise BankUnavailable(
                "bank temporarily disabled after repeated failures", code="circuit_open"
            )
        self.opened_at = None  # half-open: let one call through
        self.failures = self.threshold - 1

    def record(self, *, ok: bool) -> None:
        if ok:
            self.failures = 0
            return
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = self.now()


class _SnapTransfers:
    def __init__(
        self,
        client: SnapClient,
        *,
        breaker: CircuitBreaker | None = None,
        max_attempts: int = 3,
        status_polls: int = 3,
        backoff: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
        today: Callable[[], datetime] = clock.now,
    ) -> None:
        self.client = client
        self.bank_code = client.profile.bank_code
        self.breaker = breaker or CircuitBreaker()
        self.max_attempts = max_attempts
        self.status_polls = status_polls
        self.backoff = backoff
        self.sleep = sleep
        self.today = today

    # --- plumbing ---------------------------------------------------------------------------

    def _call(
        self, service: Service, body: dict[str, Any], *, external_id: str, reference: str = ""
    ) -> tuple[int, dict[str, Any]]:
        self.breaker.before_call()
        try:
            status, data = self.client.post(
                service, body, external_id=external_id, partner_reference_no=reference
            )
        except (BankUnavailable, BankTimeout):
            self.breaker.record(ok=False)
            raise
        self.breaker.record(ok=status < 500)
        return status, data

    # --- services ---------------------------------------------------------------------------

    def account_inquiry(self, *, account_no: str, bank_code: str, external_id: str) -> AccountInfo:
        same = bank_code == self.bank_code
        service = Service.INQUIRY_INTERNAL if same else Service.INQUIRY_EXTERNAL
        body: dict[str, Any] = {"beneficiaryAccountNo": account_no}
        if not same:
            body["beneficiaryBankCode"] = bank_code
        status, data = self._call(service, body, external_id=external_id)
        result = classify(status, data.get("responseCode"), str(data.get("responseMessage", "")))
        if result.outcome != Outcome.SUCCESS:
            if result.outcome == Outcome.UNKNOWN:
                raise BankUnavailable(result.message or "inquiry failed", code=result.code)
            raise BankRejected(result.message or "account not found", code=result.code)
        return AccountInfo(
            str(data.get("beneficiaryAccountNo", account_no)),
            str(data.get("beneficiaryAccountName", "")),
            bank_code,
        )

    def _transfer_body(self, i: TransferInstruction, service: Service) -> dict[str, Any]:
        body: dict[str, Any] = {
            "partnerReferenceNo": i.partner_reference_no,
            "amount": {"value": values.format_amount(i.amount_idr), "currency": "IDR"},
            "beneficiaryAccountNo": i.beneficiary_account,
            "sourceAccountNo": i.source_account,
            "transactionDate": values.format_timestamp(self.today()),
            "remark": i.remark[:50],
        }
        if service != Service.INTRABANK:
            body["beneficiaryBankCode"] = i.beneficiary_bank_code
            body["beneficiaryAccountName"] = i.beneficiary_name
        return body

    def transfer_status(self, instruction: TransferInstruction, service: Service) -> StatusResult:
        body = {
            "originalPartnerReferenceNo": instruction.partner_reference_no,
            "originalExternalId": instruction.external_id,
            "serviceCode": service.value,
        }
        # A status inquiry is a request of its own: it needs its own X-EXTERNAL-ID.
        status, data = self._call(
            Service.STATUS,
            body,
            external_id=values.new_external_id(self.today()),
            reference=instruction.partner_reference_no,
        )
        code = str(data.get("responseCode", ""))
        if status == 404:
            return StatusResult("not_found", "", code)
        result = classify(status, code)
        if result.outcome != Outcome.SUCCESS:
            raise OutcomeUnknown("status inquiry failed", code=code)
        latest = str(data.get("latestTransactionStatus", ""))
        reference = str(data.get("originalReferenceNo", ""))
        if latest == TransferState.SUCCESS:
            return StatusResult("success", reference, code)
        if latest == TransferState.FAILED:
            return StatusResult("failed", reference, code)
        if latest == TransferState.NOT_FOUND:
            return StatusResult("not_found", reference, code)
        return StatusResult("pending", reference, code)

    def _settle_by_status(self, i: TransferInstruction, service: Service) -> StatusResult:
        """Ask the status until it is no longer pending (bounded)."""
        for poll in range(self.status_polls):
            result = self.transfer_status(i, service)
            if result.state != "pending":
                return result
            self.sleep(self.backoff * (2**poll))
        return StatusResult("pending", "", "")

    def transfer(self, instruction: TransferInstruction) -> TransferResult:
        candidates = routes(
            same_bank=instruction.beneficiary_bank_code == self.bank_code,
            amount=instruction.amount_idr,
            urgent=instruction.urgent,
        )
        for index, service in enumerate(candidates):
            # Retries on one service reuse the instruction's X-EXTERNAL-ID; another service is
            # another request and gets a fresh one (the partner reference never changes).
            on_route = (
                instruction
                if index == 0
                else replace(instruction, external_id=values.new_external_id(self.today()))
            )
            outcome = self._transfer_on(on_route, service)
            if outcome is not None:
                return outcome
        raise BankRejected("no transfer service accepts this amount", code="over_limit")

    def _transfer_on(self, i: TransferInstruction, service: Service) -> TransferResult | None:
        """The result, or None when the bank says this service is over its limit (reroute)."""
        refreshed = False
        attempt = 0
        while attempt < self.max_attempts:
            attempt += 1
            try:
                status, data = self._call(
                    service,
                    self._transfer_body(i, service),
                    external_id=i.external_id,
                    reference=i.partner_reference_no,
                )
            except BankUnavailable:
                if attempt >= self.max_attempts:
                    raise
                self.sleep(self.backoff * (2 ** (attempt - 1)))
                continue  # not sent: safe to send again
            except BankTimeout:
                status, data = 0, {}
            result = classify(
                status, data.get("responseCode"), str(data.get("responseMessage", ""))
            )
            if result.outcome == Outcome.SUCCESS:
                return TransferResult(
                    str(data.get("referenceNo", "")),
                    service,
                    result.code,
                    confirmed_by_status=False,
                )
            if result.outcome == Outcome.TOKEN_INVALID and not refreshed:
                self.client.invalidate_token()
                refreshed = True
                attempt -= 1  # a token refresh is not a retry of the transfer
                continue
            if result.outcome == Outcome.OVER_LIMIT:
                return None
            if result.outcome in (
                Outcome.INSUFFICIENT_FUNDS,
                Outcome.REJECTED,
                Outcome.TOKEN_INVALID,
            ):
                raise BankRejected(result.message or "rejected by the bank", code=result.code)
            # In progress, duplicate, timeout, 5xx or unreadable: the status decides.
            try:
                state = self._settle_by_status(i, service)
            except BankError:
                state = StatusResult("pending", "", "")
            if state.state == "success":
                return TransferResult(
                    state.reference_no, service, state.response_code, confirmed_by_status=True
                )
            if state.state == "failed":
                raise BankRejected("the bank reports the transfer failed", code=state.response_code)
            if state.state == "pending" or result.outcome == Outcome.DUPLICATE_REFERENCE:
                raise OutcomeUnknown(
                    "transfer outcome not known yet; reconcile by status", code=result.code
                )
            # not_found: it never arrived; send again with the same ids after a pause.
            self.sleep(self.backoff * (2 ** (attempt - 1)))
        raise OutcomeUnknown(
            "no definite answer after retries; reconcile by status", code="exhausted"
        )


# --- virtual accounts, cards, statements ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VirtualAccount:
    virtual_account_no: str
    name: str
    total_amount_idr: int | None


@dataclass(frozen=True, slots=True)
class VaPayment:
    reference_no: str
    paid_amount_idr: int


@dataclass(frozen=True, slots=True)
class CardCharge:
    reference_no: str
    captured_idr: int
    available_limit_idr: int


@dataclass(frozen=True, slots=True)
class CardBillCharge:
    """One charge on a card bill, as the bank lists it."""

    reference_no: str
    partner_reference_no: str
    amount_idr: int
    merchant_name: str = ""
    remark: str = ""
    transaction_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class CardBill:
    card_ref: str
    billing_month: str
    total_idr: int
    charges: tuple[tuple[str, int], ...]  # (bank reference, amount)
    lines: tuple[CardBillCharge, ...] = ()
    due_date: date | None = None  # when the bank states one
    credit_limit_idr: int | None = None
    available_limit_idr: int | None = None
    # Where and how the bank takes the bill's payment (its card settlement account).
    pay_to_bank_code: str = ""
    pay_to_account_no: str = ""
    pay_remark: str = ""
    paid_idr: int = 0


@dataclass(frozen=True, slots=True)
class StatementEntry:
    transaction_id: str
    direction: str  # "C" | "D"
    amount_idr: int
    booked_at: str


def _timestamp_or_none(text: object) -> datetime | None:
    if not text:
        return None
    try:
        return values.parse_timestamp(str(text))
    except ValueError:
        return None


class SnapProductsMixin:
    """VA (SNAP 24–27), KKP card charge and bill, and the account statement (14), for
    ``SnapBankGateway``. A definite refusal raises BankRejected; anything unreadable
    OutcomeUnknown (VA payments and card charges are idempotent on their request ids, so the
    caller may repeat them with the same ids)."""

    # Provided by the transfer half of the gateway (annotations only: no shadowing).
    bank_code: str
    _call: Callable[..., tuple[int, dict[str, Any]]]
    today: Callable[[], datetime]

    def _ok(self, service: Service, body: dict[str, Any], reference: str = "") -> dict[str, Any]:
        status, data = self._call(
            service, body, external_id=values.new_external_id(self.today()), reference=reference
        )
        result = classify(status, data.get("responseCode"), str(data.get("responseMessage", "")))
        if result.outcome == Outcome.SUCCESS:
            return data
        if result.outcome in (Outcome.UNKNOWN, Outcome.IN_PROGRESS):
            raise OutcomeUnknown(result.message or "no definite answer", code=result.code)
        raise BankRejected(result.message or "rejected by the bank", code=result.code)

    @staticmethod
    def _va_ids(partner_service_id: str, customer_no: str) -> dict[str, str]:
        padded = partner_service_id.rjust(8)
        return {
            "partnerServiceId": padded,
            "customerNo": customer_no,
            "virtualAccountNo": padded + customer_no,
        }

    def create_va(
        self,
        *,
        partner_service_id: str,
        customer_no: str,
        name: str,
        owner_account_no: str,
        trx_id: str,
        total_amount_idr: int | None = None,
    ) -> VirtualAccount:
        body: dict[str, Any] = {
            **self._va_ids(partner_service_id, customer_no),
            "virtualAccountName": name,
            "trxId": trx_id,
            "additionalInfo": {"accountNo": owner_account_no},
        }
        if total_amount_idr is not None:
            body["totalAmount"] = {
                "value": values.format_amount(total_amount_idr),
                "currency": "IDR",
            }
        data = self._ok(Service.VA_CREATE, body, reference=trx_id)["virtualAccountData"]
        total = data.get("totalAmount")
        return VirtualAccount(
            str(data["virtualAccountNo"]),
            str(data["virtualAccountName"]),
            values.parse_amount(total["value"]) if total else None,
        )

    def inquire_va(
        self, *, partner_service_id: str, customer_no: str, va_bank_code: str, inquiry_id: str
    ) -> VirtualAccount:
        body: dict[str, Any] = {
            **self._va_ids(partner_service_id, customer_no),
            "inquiryRequestId": inquiry_id,
            "additionalInfo": {"bankCode": va_bank_code},
        }
        data = self._ok(Service.VA_INQUIRY, body)["virtualAccountData"]
        total = data.get("totalAmount")
        return VirtualAccount(
            str(data["virtualAccountNo"]),
            str(data["virtualAccountName"]),
            values.parse_amount(total["value"]) if total else None,
        )

    def pay_va(
        self,
        *,
        partner_service_id: str,
        customer_no: str,
        va_bank_code: str,
        source_account_no: str,
        amount_idr: int,
        payment_request_id: str,
    ) -> VaPayment:
        body: dict[str, Any] = {
            **self._va_ids(partner_service_id, customer_no),
            "paymentRequestId": payment_request_id,
            "paidAmount": {"value": values.format_amount(amount_idr), "currency": "IDR"},
            "additionalInfo": {"sourceAccountNo": source_account_no, "bankCode": va_bank_code},
        }
        try:
            data = self._ok(Service.VA_PAYMENT, body, reference=payment_request_id)
        except BankRejected as exc:
            if not exc.code.startswith("409"):
                raise
            data = self._ok(
                Service.VA_STATUS,
                {  # the payment exists: read it back
                    **self._va_ids(partner_service_id, customer_no),
                    "paymentRequestId": payment_request_id,
                    "additionalInfo": {"bankCode": va_bank_code},
                },
                reference=payment_request_id,
            )
        va = data["virtualAccountData"]
        return VaPayment(
            str(va.get("referenceNo", "")), values.parse_amount(va["paidAmount"]["value"])
        )

    def card_charge(
        self,
        *,
        card_ref: str,
        amount_idr: int,
        merchant_account_no: str,
        merchant_bank_code: str,
        partner_reference_no: str,
        remark: str = "",
    ) -> CardCharge:
        body = {
            "partnerReferenceNo": partner_reference_no,
            "cardRef": card_ref,
            "amount": {"value": values.format_amount(amount_idr), "currency": "IDR"},
            "merchantAccountNo": merchant_account_no,
            "merchantBankCode": merchant_bank_code,
            "remark": remark[:50],
        }
        data = self._ok(Service.CARD_CHARGE, body, reference=partner_reference_no)
        return CardCharge(
            str(data["referenceNo"]),
            values.parse_amount(data["capturedAmount"]["value"]),
            values.parse_amount(data["availableLimit"]["value"]),
        )

    def card_bill(self, *, card_ref: str, billing_month: str) -> CardBill:
        data = self._ok(Service.CARD_BILL, {"cardRef": card_ref, "billingMonth": billing_month})
        lines = tuple(
            CardBillCharge(
                reference_no=str(c["referenceNo"]),
                partner_reference_no=str(c.get("partnerReferenceNo", "")),
                amount_idr=values.parse_amount(c["amount"]["value"]),
                merchant_name=str(c.get("merchantName", "")),
                remark=str(c.get("remark", "")),
                transaction_date=_timestamp_or_none(c.get("transactionDate")),
            )
            for c in data.get("charges", [])
        )
        pay_to = data.get("paymentAccount") or {}
        due = data.get("dueDate")

        def amount_or_none(key: str) -> int | None:
            found = data.get(key)
            return values.parse_amount(found["value"]) if isinstance(found, dict) else None

        return CardBill(
            card_ref,
            billing_month,
            values.parse_amount(data["totalAmount"]["value"]),
            tuple((line.reference_no, line.amount_idr) for line in lines),
            lines=lines,
            due_date=date.fromisoformat(str(due)[:10]) if due else None,
            credit_limit_idr=amount_or_none("creditLimit"),
            available_limit_idr=amount_or_none("availableLimit"),
            pay_to_bank_code=str(pay_to.get("bankCode", "")),
            pay_to_account_no=str(pay_to.get("accountNo", "")),
            pay_remark=str(pay_to.get("remark", "")),
            paid_idr=amount_or_none("paidAmount") or 0,
        )

    def statement(
        self, *, account_no: str, from_time: datetime, to_time: datetime
    ) -> list[StatementEntry]:
        data = self._ok(
            Service.STATEMENT,
            {
                "accountNo": account_no,
                "fromDateTime": values.format_timestamp(from_time),
                "toDateTime": values.format_timestamp(to_time),
            },
        )
        return [
            StatementEntry(
                str(d["transactionId"]),
                "C" if d["type"] == "CREDIT" else "D",
                values.parse_amount(d["amount"]["value"]),
                str(d["transactionDate"]),
            )
            for d in data.get("detailData", [])
        ]


class SnapBankGateway(_SnapTransfers, SnapProductsMixin):
    """The gateway: transfers, inquiries and status (above), VA, cards and statements."""
