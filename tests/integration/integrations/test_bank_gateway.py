"""The bank gateway against a scripted SNAP bank (httpx MockTransport): every outcome of the
SNAP contract, and above all: a transfer is never sent twice when its first attempt may have
executed. (Tests against the bank simulator over real HTTP live beside the simulator.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from digipay.integrations.banks.client import Exchange, SnapClient
from digipay.integrations.banks.errors import BankRejected, BankUnavailable, OutcomeUnknown
from digipay.integrations.banks.gateway import (
    CircuitBreaker,
    SnapBankGateway,
    TransferInstruction,
)
from digipay.integrations.banks.profiles import BankProfile
from digipay.integrations.banks.rules import PATHS, Service
from digipay.snap import signing, values

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
SECRET = "rahasia-klien-uji"


@pytest.fixture(scope="module")
def keypair() -> tuple[str, str]:
    return signing.generate_key_pair()


@dataclass
class Bank:
    """A scripted SNAP bank: verifies signatures, keeps executed transfers, plays faults."""

    public_key_pem: str
    script: list[str] = field(
        default_factory=list
    )  # per transfer call: ok, 202, timeout_after, ...
    executed: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfer_calls: int = 0
    status_calls: int = 0
    tokens_issued: int = 0
    status_script: list[str] = field(default_factory=list)
    bad_token: bool = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        body_text = request.content.decode()
        ts = request.headers["X-TIMESTAMP"]
        if path == PATHS[Service.TOKEN]:
            key = signing.load_public_key(self.public_key_pem)
            if not signing.verify_token_request(
                key, request.headers["X-CLIENT-KEY"], ts, request.headers["X-SIGNATURE"]
            ):
                return httpx.Response(401, json={"responseCode": "4017300"})
            self.tokens_issued += 1
            return httpx.Response(
                200,
                json={
                    "responseCode": "2007300",
                    "accessToken": f"tok{self.tokens_issued}",
                    "expiresIn": "900",
                },
            )
        token = request.headers["Authorization"].removeprefix("Bearer ")
        if not signing.verify_symmetric(
            request.headers["X-SIGNATURE"], SECRET, "POST", path, token, body_text, ts
        ):
            return httpx.Response(401, json={"responseCode": "4010000"})
        body = json.loads(body_text)
        service = next(s for s, p in PATHS.items() if p == path)
        if service == Service.STATUS:
            self.status_calls += 1
            if self.status_script:
                state = self.status_script.pop(0)
                return httpx.Response(
                    200, json={"responseCode": "2003600", "latestTransactionStatus": state}
                )
            ref = body["originalPartnerReferenceNo"]
            if ref in self.executed:
                return httpx.Response(
                    200,
                    json={
                        "responseCode": "2003600",
                        "latestTransactionStatus": "00",
                        "originalReferenceNo": f"BANK-{ref}",
                    },
                )
            return httpx.Response(404, json={"responseCode": "4043601"})
        if service in (Service.INQUIRY_INTERNAL, Service.INQUIRY_EXTERNAL):
            return httpx.Response(
                200,
                json={
                    "responseCode": f"200{service.value}00",
                    "beneficiaryAccountNo": body["beneficiaryAccountNo"],
                    "beneficiaryAccountName": "CV SINAR JAYA",
                },
            )
        self.transfer_calls += 1
        code = service.value
        step = self.script.pop(0) if self.script else "ok"
        ref = body["partnerReferenceNo"]
        if self.bad_token and token == "tok1":
            return httpx.Response(401, json={"responseCode": f"401{code}01"})
        if step == "over_limit":
            return httpx.Response(403, json={"responseCode": f"403{code}02"})
        if step == "no_funds":
            return httpx.Response(
                403, json={"responseCode": f"403{code}14", "responseMessage": "Insufficient Funds"}
            )
        if step == "5xx_before":
            return httpx.Response(500, json={"responseCode": f"500{code}00"})
        if ref in self.executed:
            return httpx.Response(409, json={"responseCode": f"409{code}01"})
        self.executed[ref] = body
        if step == "timeout_after":
            raise httpx.ReadTimeout("executed, answer lost", request=request)
        if step == "202":
            return httpx.Response(202, json={"responseCode": f"202{code}00"})
        return httpx.Response(
            200, json={"responseCode": f"200{code}00", "referenceNo": f"BANK-{ref}"}
        )


def make(
    bank: Bank,
    keypair: tuple[str, str],
    *,
    exchanges: list[Exchange] | None = None,
    now: Callable[[], datetime] = lambda: NOW,
    breaker: CircuitBreaker | None = None,
    transport: httpx.BaseTransport | None = None,
) -> SnapBankGateway:
    profile = BankProfile(
        bank_code="002",
        base_url="http://bank.test",
        partner_id="DIGIPAY",
        client_id="DIGIPAY",
        client_secret=SECRET,
        private_key_pem=keypair[0],
        bank_public_key_pem=keypair[1],
    )
    http = httpx.Client(
        base_url=profile.base_url, transport=transport or httpx.MockTransport(bank.handler)
    )
    client = SnapClient(
        profile,
        http=http,
        now=now,
        recorder=(exchanges.append if exchanges is not None else lambda _e: None),
    )
    return SnapBankGateway(client, breaker=breaker, sleep=lambda _s: None, today=now)


def instruction(
    amount: int = 9_850_000, bank: str = "008", urgent: bool = False
) -> TransferInstruction:
    return TransferInstruction(
        partner_reference_no="PAY-0001",
        external_id="20261128000001",
        source_account="0011223344",
        beneficiary_account="1234567890",
        beneficiary_bank_code=bank,
        beneficiary_name="CV SINAR JAYA",
        amount_idr=amount,
        remark="Tagihan 17",
    )


def test_plain_success_uses_bi_fast_for_another_bank(keypair: tuple[str, str]) -> None:
    bank = Bank(keypair[1])
    result = make(bank, keypair).transfer(instruction())
    assert result.service == Service.BI_FAST
    assert result.reference_no == "BANK-PAY-0001"
    assert not result.confirmed_by_status
    assert bank.executed["PAY-0001"]["amount"] == {"value": "9850000.00", "currency": "IDR"}


def test_same_bank_goes_intrabank(keypair: tuple[str, str]) -> None:
    bank = Bank(keypair[1])
    assert make(bank, keypair).transfer(instruction(bank="002")).service == Service.INTRABANK


def test_timeout_after_execution_is_found_by_status_and_not_sent_twice(
    keypair: tuple[str, str],
) -> None:
    bank = Bank(keypair[1], script=["timeout_after"])
    result = make(bank, keypair).transfer(instruction())
    assert result.confirmed_by_status
    assert bank.transfer_calls == 1
    assert len(bank.executed) == 1


def test_5xx_before_execution_is_sent_again_with_the_same_ids(keypair: tuple[str, str]) -> None:
    exchanges: list[Exchange] = []
    bank = Bank(keypair[1], script=["5xx_before"])
    result = make(bank, keypair, exchanges=exchanges).transfer(instruction())
    assert result.reference_no == "BANK-PAY-0001"
    assert bank.transfer_calls == 2
    assert bank.status_calls == 1  # asked before resending
    sent = [e for e in exchanges if e.service == Service.BI_FAST.value]
    assert {e.external_id for e in sent} == {"20261128000001"}
    assert {e.partner_reference_no for e in sent} == {"PAY-0001"}


def test_in_progress_202_is_settled_by_status(keypair: tuple[str, str]) -> None:
    bank = Bank(keypair[1], script=["202"], status_script=["03", "00"])
    result = make(bank, keypair).transfer(instruction())
    assert result.confirmed_by_status
    assert bank.status_calls == 2


def test_duplicate_reference_409xx01_counts_as_done(keypair: tuple[str, str]) -> None:
    bank = Bank(keypair[1])
    bank.executed["PAY-0001"] = {}
    result = make(bank, keypair).transfer(instruction())
    assert result.confirmed_by_status
    assert result.reference_no == "BANK-PAY-0001"


def test_expired_token_is_refreshed_once(keypair: tuple[str, str]) -> None:
    bank = Bank(keypair[1], bad_token=True)
    make(bank, keypair).transfer(instruction())
    assert bank.tokens_issued == 2
    assert bank.transfer_calls == 2


def test_token_is_cached_and_renewed_before_expiry(keypair: tuple[str, str]) -> None:
    bank = Bank(keypair[1])
    clock = [NOW]
    gateway = make(bank, keypair, now=lambda: clock[0])
    gateway.account_inquiry(account_no="1", bank_code="002", external_id="1")
    clock[0] = NOW + timedelta(seconds=800)
    gateway.account_inquiry(account_no="1", bank_code="002", external_id="2")
    assert bank.tokens_issued == 1
    clock[0] = NOW + timedelta(seconds=850)  # within the 60 s margin of the 900 s lifetime
    gateway.account_inquiry(account_no="1", bank_code="002", external_id="3")
    assert bank.tokens_issued == 2


def test_over_limit_reroutes_to_the_next_service(keypair: tuple[str, str]) -> None:
    bank = Bank(keypair[1], script=["over_limit"])
    result = make(bank, keypair).transfer(instruction(amount=150_000_000))
    assert result.service == Service.RTGS


def test_insufficient_funds_fails_without_retry(keypair: tuple[str, str]) -> None:
    bank = Bank(keypair[1], script=["no_funds"])
    with pytest.raises(BankRejected) as exc:
        make(bank, keypair).transfer(instruction())
    assert exc.value.code == "4031814"
    assert bank.transfer_calls == 1
    assert not bank.executed


def test_status_that_stays_pending_is_an_unknown_outcome(keypair: tuple[str, str]) -> None:
    bank = Bank(keypair[1], script=["202"], status_script=["03", "03", "03"])
    with pytest.raises(OutcomeUnknown):
        make(bank, keypair).transfer(instruction())
    assert bank.transfer_calls == 1


def test_unreachable_bank_opens_the_circuit(keypair: tuple[str, str]) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    breaker = CircuitBreaker(threshold=2, cooldown=60.0, now=lambda: 0.0)
    gateway = make(
        Bank(keypair[1]), keypair, breaker=breaker, transport=httpx.MockTransport(refuse)
    )
    with pytest.raises(BankUnavailable):
        gateway.account_inquiry(account_no="1", bank_code="002", external_id="1")
    with pytest.raises(BankUnavailable):
        gateway.account_inquiry(account_no="1", bank_code="002", external_id="2")
    with pytest.raises(BankUnavailable) as exc:
        gateway.account_inquiry(account_no="1", bank_code="002", external_id="3")
    assert exc.value.code == "circuit_open"


def test_exchanges_are_recorded_without_secrets(keypair: tuple[str, str]) -> None:
    exchanges: list[Exchange] = []
    make(Bank(keypair[1]), keypair, exchanges=exchanges).transfer(instruction())
    text = repr(exchanges)
    assert "PAY-0001" in text
    assert SECRET not in text
    assert "tok1" not in text
    assert exchanges[0].status_code == 200


def test_account_inquiry_returns_the_holder_name(keypair: tuple[str, str]) -> None:
    info = make(Bank(keypair[1]), keypair).account_inquiry(
        account_no="1234567890", bank_code="008", external_id="5"
    )
    assert info.account_name == "CV SINAR JAYA"


@pytest.mark.parametrize(
    ("same", "amount", "urgent", "expected"),
    [
        (True, 10, False, [Service.INTRABANK]),
        (False, 250_000_000, False, [Service.BI_FAST, Service.RTGS, Service.SKN]),
        (False, 150_000_000, True, [Service.RTGS, Service.BI_FAST]),
        (False, 50_000_000, True, [Service.BI_FAST]),
        (False, 900_000_000, False, [Service.RTGS, Service.SKN]),
        (False, 2_000_000_000, False, [Service.RTGS]),
    ],
)
def test_routing(same: bool, amount: int, urgent: bool, expected: list[Service]) -> None:
    from digipay.integrations.banks.rules import routes

    assert routes(same_bank=same, amount=amount, urgent=urgent) == expected


def test_wire_amounts_are_snap_strings() -> None:
    assert values.format_amount(9_850_000) == "9850000.00"
