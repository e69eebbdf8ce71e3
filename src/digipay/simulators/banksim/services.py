"""The SNAP services a simulated bank answers, once the request is authenticated.

Each handler takes the simulator and an authenticated ``Call`` and returns the success body, or
raises ``SnapError`` (HTTP status + case code; the service code is added by the caller). The
response codes follow the SNAP list: ``400xx01`` invalid field format, ``400xx02`` missing
mandatory field, ``403xx02`` over the amount limit, ``403xx09`` dormant account, ``403xx14``
insufficient funds, ``403xx15`` not permitted, ``403xx18`` inactive account, ``404xx01``
transaction not found, ``404xx03`` bank not supported, ``404xx11`` invalid account,
``404xx13`` invalid amount, ``409xx01`` duplicate partnerReferenceNo.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from digipay.simulators.banksim import statements
from digipay.simulators.banksim.config import BankConfig, BankSimConfig, PartnerConfig
from digipay.simulators.banksim.faults import FaultState
from digipay.simulators.banksim.store import (
    AccountInactive,
    AccountNotFound,
    DuplicateReference,
    InsufficientFunds,
    NotPermitted,
    Store,
    Transfer,
    TransferOrder,
)
from digipay.snap import values

INTRABANK, INTERBANK, RTGS, SKN = "17", "18", "22", "23"
TRANSFERS = (INTRABANK, INTERBANK, RTGS, SKN)
STATUS_DESCRIPTIONS = {"00": "Success", "06": "Failed"}
MAX_STATEMENT_DAYS = 31


class SnapError(Exception):
    def __init__(
        self,
        http_status: int,
        case: str,
        message: str,
        *,
        additional_info: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.case = case
        self.message = message
        self.additional_info = dict(additional_info or {})

    def body(self, service: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "responseCode": values.code(self.http_status, service, self.case),
            "responseMessage": self.message,
        }
        if self.additional_info:
            data["additionalInfo"] = self.additional_info
        return data


@dataclass
class Simulator:
    """Everything a request needs: configuration, storage, faults, and a way to wake the
    notifier after queuing a notification."""

    config: BankSimConfig
    store: Store
    faults: FaultState
    wake: Callable[[], None] = field(default=lambda: None)


@dataclass(frozen=True, slots=True)
class Call:
    service: str
    bank: BankConfig
    partner: PartnerConfig
    external_id: str
    channel_id: str
    body: Mapping[str, Any]
    day: str  # the Jakarta day the bank received it


def success(service: str, **fields: Any) -> dict[str, Any]:
    return {
        "responseCode": values.code(200, service, "00"),
        "responseMessage": "Successful",
        **fields,
    }


# --- field checks ------------------------------------------------------------------------------


def text(body: Mapping[str, Any], name: str, max_len: int, *, digits: bool = False) -> str:
    value = body.get(name)
    if value is None or value == "":
        raise SnapError(400, "02", f"Invalid Mandatory Field [{name}]")
    if not isinstance(value, str) or len(value) > max_len or (digits and not value.isdigit()):
        raise SnapError(400, "01", f"Invalid Field Format [{name}]")
    return value


def optional_text(body: Mapping[str, Any], name: str, max_len: int) -> str:
    value = body.get(name)
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or len(value) > max_len:
        raise SnapError(400, "01", f"Invalid Field Format [{name}]")
    return value


def amount(body: Mapping[str, Any], name: str = "amount") -> int:
    value = body.get(name)
    if value is None:
        raise SnapError(400, "02", f"Invalid Mandatory Field [{name}]")
    if not isinstance(value, Mapping):
        raise SnapError(400, "01", f"Invalid Field Format [{name}]")
    raw, currency = value.get("value"), value.get("currency")
    if raw is None or currency is None:
        raise SnapError(400, "02", f"Invalid Mandatory Field [{name}.value/{name}.currency]")
    if currency != "IDR":
        raise SnapError(400, "01", f"Invalid Field Format [{name}.currency]")
    if not isinstance(raw, str):
        raise SnapError(400, "01", f"Invalid Field Format [{name}.value]")
    try:
        idr = values.parse_amount(raw)
    except ValueError:
        raise SnapError(400, "01", f"Invalid Field Format [{name}.value]") from None
    if idr <= 0:
        raise SnapError(404, "13", "Invalid Amount")
    return idr


def timestamp_field(body: Mapping[str, Any], name: str, *, required: bool) -> str:
    value = text(body, name, 35) if required else optional_text(body, name, 35)
    if value:
        try:
            values.parse_timestamp(value)
        except ValueError:
            raise SnapError(400, "01", f"Invalid Field Format [{name}]") from None
    return value


def _account_refusal(exc: AccountNotFound | AccountInactive) -> SnapError:
    if isinstance(exc, AccountNotFound):
        return SnapError(404, "11", f"Invalid Account [{exc.role}]")
    if exc.status == "DORMANT":
        return SnapError(403, "09", f"Dormant Account [{exc.role}]")
    return SnapError(403, "18", f"Inactive Account [{exc.role}]")


# --- 15 / 16: account inquiry ------------------------------------------------------------------


def _inquiry(sim: Simulator, call: Call, bank: BankConfig, external: bool) -> dict[str, Any]:
    account_no = text(call.body, "beneficiaryAccountNo", 34)
    partner_reference = optional_text(call.body, "partnerReferenceNo", 64)
    account = sim.store.account(bank.code, account_no)
    if account is None:
        raise SnapError(404, "11", "Invalid Account")
    if account.status != "ACTIVE":
        raise _account_refusal(AccountInactive("beneficiary", account.status))
    fields: dict[str, Any] = {
        "referenceNo": sim.store.next_reference(call.bank.code),
        "partnerReferenceNo": partner_reference,
        "beneficiaryAccountName": account.name,
        "beneficiaryAccountNo": account.account_no,
    }
    if external:
        fields["beneficiaryBankCode"] = bank.code
        fields["beneficiaryBankName"] = bank.name
    else:
        fields["beneficiaryAccountStatus"] = account.status
        fields["beneficiaryAccountType"] = account.type
    fields["currency"] = account.currency
    return success(call.service, **fields)


def inquiry_internal(sim: Simulator, call: Call) -> dict[str, Any]:
    return _inquiry(sim, call, call.bank, external=False)


def inquiry_external(sim: Simulator, call: Call) -> dict[str, Any]:
    bank_code = text(call.body, "beneficiaryBankCode", 8)
    bank = sim.config.bank(bank_code)
    if bank is None:
        raise SnapError(404, "03", "Bank Not Supported By Switch")
    return _inquiry(sim, call, bank, external=True)


# --- 17 / 18 / 22 / 23: transfers --------------------------------------------------------------


def _check_route(sim: Simulator, call: Call, beneficiary_bank: str, idr: int) -> None:
    limits = sim.config.limits
    if beneficiary_bank == call.bank.code:
        raise SnapError(403, "15", "Transaction Not Permitted [same bank: use transfer-intrabank]")
    if sim.config.bank(beneficiary_bank) is None:
        raise SnapError(404, "03", "Bank Not Supported By Switch")
    if call.service == INTERBANK and idr > limits.interbank_max:
        raise SnapError(403, "02", "Exceeds Transaction Amount Limit")
    if call.service == SKN and idr > limits.skn_max:
        raise SnapError(403, "02", "Exceeds Transaction Amount Limit")
    if call.service == RTGS and idr <= limits.rtgs_above:
        raise SnapError(
            404, "13", f"Invalid Amount [RTGS is for amounts above {limits.rtgs_above}]"
        )


def transfer(sim: Simulator, call: Call) -> dict[str, Any]:
    body = call.body
    partner_reference = text(body, "partnerReferenceNo", 64)
    idr = amount(body)
    source_no = text(body, "sourceAccountNo", 34)
    beneficiary_no = text(body, "beneficiaryAccountNo", 34)
    transaction_date = timestamp_field(body, "transactionDate", required=True)
    remark = optional_text(body, "remark", 50)
    if call.service == INTRABANK:
        beneficiary_bank = call.bank.code
        beneficiary_name = optional_text(body, "beneficiaryAccountName", 100)
    else:
        beneficiary_bank = text(body, "beneficiaryBankCode", 8)
        beneficiary_name = text(body, "beneficiaryAccountName", 100)
        _check_route(sim, call, beneficiary_bank, idr)
    order = TransferOrder(
        bank_code=call.bank.code,
        client_id=call.partner.client_id,
        service_code=call.service,
        day=call.day,
        partner_reference_no=partner_reference,
        external_id=call.external_id,
        source_account_no=source_no,
        beneficiary_bank_code=beneficiary_bank,
        beneficiary_account_no=beneficiary_no,
        beneficiary_account_name=beneficiary_name,
        amount=idr,
        currency="IDR",
        remark=remark,
        transaction_date=transaction_date,
        request=json.dumps(body, ensure_ascii=False),
    )
    try:
        done = sim.store.execute_transfer(
            order,
            force_insufficient=sim.faults.forced_insufficient(call.bank.code, source_no),
            notify_url=sim.config.notifications.url,
            notify_delay=sim.faults.notification_delay(),
        )
    except DuplicateReference as exc:
        raise SnapError(
            409,
            "01",
            "Duplicate partnerReferenceNo",
            additional_info={"originalReferenceNo": exc.reference_no},
        ) from None
    except (AccountNotFound, AccountInactive) as exc:
        raise _account_refusal(exc) from None
    except InsufficientFunds:
        raise SnapError(403, "14", "Insufficient Funds") from None
    except NotPermitted as exc:
        raise SnapError(403, "15", f"Transaction Not Permitted [{exc}]") from None
    sim.wake()
    fields: dict[str, Any] = {
        "referenceNo": done.reference_no,
        "partnerReferenceNo": done.partner_reference_no,
        "amount": {"value": values.format_amount(done.amount), "currency": done.currency},
        "beneficiaryAccountNo": done.beneficiary_account_no,
    }
    if call.service != INTRABANK:
        fields["beneficiaryBankCode"] = done.beneficiary_bank_code
    fields["sourceAccountNo"] = done.source_account_no
    fields["transactionDate"] = done.transaction_date
    if isinstance(body.get("additionalInfo"), Mapping):
        fields["additionalInfo"] = body["additionalInfo"]
    return success(call.service, **fields)


# --- 36: transfer status -----------------------------------------------------------------------


def transfer_status(sim: Simulator, call: Call) -> dict[str, Any]:
    body = call.body
    reference_no = optional_text(body, "originalReferenceNo", 64)
    partner_reference = optional_text(body, "originalPartnerReferenceNo", 64)
    external_id = optional_text(body, "originalExternalId", 36)
    service_code = text(body, "serviceCode", 2)
    if service_code not in TRANSFERS:
        raise SnapError(400, "01", "Invalid Field Format [serviceCode]")
    timestamp_field(body, "transactionDate", required=False)
    if not (reference_no or partner_reference or external_id):
        raise SnapError(400, "02", "Invalid Mandatory Field [originalPartnerReferenceNo]")
    found = sim.store.find_transfer(
        call.bank.code,
        call.partner.client_id,
        reference_no=reference_no or None,
        partner_reference_no=partner_reference or None,
        external_id=external_id or None,
    )
    if found is None or found.service_code != service_code:
        raise SnapError(404, "01", "Transaction Not Found")
    return success(call.service, **status_fields(found))


def status_fields(found: Transfer) -> dict[str, Any]:
    return {
        "originalReferenceNo": found.reference_no,
        "originalPartnerReferenceNo": found.partner_reference_no,
        "originalExternalId": found.external_id,
        "serviceCode": found.service_code,
        "transactionDate": found.transaction_date,
        "amount": {"value": values.format_amount(found.amount), "currency": found.currency},
        "beneficiaryAccountNo": found.beneficiary_account_no,
        "beneficiaryBankCode": found.beneficiary_bank_code,
        "sourceAccountNo": found.source_account_no,
        "latestTransactionStatus": found.status,
        "transactionStatusDesc": STATUS_DESCRIPTIONS.get(found.status, found.status),
    }


# --- 14: bank statement ------------------------------------------------------------------------


def bank_statement(sim: Simulator, call: Call) -> dict[str, Any]:
    body = call.body
    account_no = text(body, "accountNo", 34)
    partner_reference = optional_text(body, "partnerReferenceNo", 64)
    from_text = timestamp_field(body, "fromDateTime", required=False)
    to_text = timestamp_field(body, "toDateTime", required=False)
    now = sim.store.clock()
    if from_text:
        start = values.parse_timestamp(from_text).timestamp()
    else:
        today = datetime.fromtimestamp(now, UTC).astimezone(values.WIB).date()
        start = statements.day_bounds(today)[0]
    end = values.parse_timestamp(to_text).timestamp() if to_text else now + 1
    if end <= start:
        raise SnapError(400, "01", "Invalid Field Format [toDateTime]")
    if end - start > MAX_STATEMENT_DAYS * 86400:
        raise SnapError(400, "01", f"Invalid Field Format [at most {MAX_STATEMENT_DAYS} days]")
    found = sim.store.statement(call.bank.code, account_no, start, end, statements.MAX_LINES)
    if found is None:
        raise SnapError(404, "11", "Invalid Account")
    return success(
        call.service,
        referenceNo=sim.store.next_reference(call.bank.code),
        partnerReferenceNo=partner_reference,
        **statements.snap_fields(found),
    )


Handler = Callable[[Simulator, Call], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Service:
    code: str
    path: str  # relative to the bank's base URL; this is the path that is signed
    name: str
    handler: Handler | None  # None: the token service, authenticated differently


SERVICES: tuple[Service, ...] = (
    Service("73", "/v1.0/access-token/b2b", "B2B access token", None),
    Service("15", "/v1.0/account-inquiry-internal", "account inquiry (internal)", inquiry_internal),
    Service("16", "/v1.0/account-inquiry-external", "account inquiry (external)", inquiry_external),
    Service("17", "/v1.0/transfer-intrabank", "intrabank transfer", transfer),
    Service("18", "/v1.0/transfer-interbank", "interbank transfer (BI-FAST)", transfer),
    Service("22", "/v1.0/transfer-rtgs", "RTGS transfer", transfer),
    Service("23", "/v1.0/transfer-skn", "SKN transfer", transfer),
    Service("36", "/v1.0/transfer/status", "transfer status", transfer_status),
    Service("14", "/v1.0/bank-statement", "bank statement", bank_statement),
)
