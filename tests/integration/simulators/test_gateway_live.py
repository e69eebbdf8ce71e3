"""Digipay's bank gateway against the live bank simulator, over real HTTP with real signatures:
every outcome of the SNAP contract, and the notifications coming back into Digipay's inbox."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from digipay.core import clock
from digipay.integrations.banks.client import Exchange, SnapClient
from digipay.integrations.banks.errors import BankRejected
from digipay.integrations.banks.gateway import SnapBankGateway, TransferInstruction
from digipay.integrations.banks.profiles import BankProfile
from digipay.integrations.banks.rules import Service
from digipay.simulators.banksim import config_from_dict, create_app
from digipay.snap import signing, values

from .conftest import (
    BNI,
    BRI,
    CLIENT_ID,
    SATKER_BRI,
    SECRET,
    VENDOR_BNI,
    VENDOR_BRI,
    Keys,
    Snap,
    base_config,
    switchboard,
)


@dataclass
class World:
    admin: httpx.Client
    snap: Snap
    partner_private_pem: str
    bank_public_pem: str
    base_url: str

    def gateway(
        self,
        *,
        bank: str = BRI,
        secret: str = SECRET,
        timeout: float = 5.0,
        now: Callable[[], datetime] = clock.now,
        sleep: Callable[[float], None] = lambda _s: None,
        recorder: Callable[[Exchange], None] = lambda _e: None,
    ) -> SnapBankGateway:
        profile = BankProfile(
            bank_code=bank,
            base_url=f"{self.base_url}/{bank}",
            partner_id=CLIENT_ID,
            client_id=CLIENT_ID,
            client_secret=secret,
            private_key_pem=self.partner_private_pem,
            bank_public_key_pem=self.bank_public_pem,
            timeout_seconds=timeout,
        )
        http = httpx.Client(base_url=profile.base_url, timeout=timeout)
        return SnapBankGateway(
            SnapClient(profile, http=http, now=now, recorder=recorder), sleep=sleep
        )

    def balance(self, bank: str, account: str) -> int:
        return self.snap.balance(bank, account)


@pytest.fixture(scope="module")
def pems() -> tuple[str, str, str, str]:
    partner_private, partner_public = signing.generate_key_pair()
    bank_private, bank_public = signing.generate_key_pair()
    return partner_private, partner_public, bank_private, bank_public


def _keys(pems: tuple[str, str, str, str]) -> Keys:
    return Keys(
        signing.load_private_key(pems[0]), pems[1], pems[2], signing.load_public_key(pems[3])
    )


@pytest.fixture
def world(pems: tuple[str, str, str, str]) -> Iterator[World]:
    yield from _serve(pems, base_config(_keys(pems)))


def _serve(pems: tuple[str, str, str, str], config: dict[str, Any]) -> Iterator[World]:
    board = switchboard()
    with (
        board.serving(create_app(config_from_dict(config))),
        httpx.Client(base_url=board.url, timeout=5) as admin,
    ):
        yield World(admin, Snap(admin, _keys(pems)), pems[0], pems[3], board.url)


_refs = iter(range(10**6))


def instruction(
    amount: int, beneficiary: str = VENDOR_BRI, bank: str = BRI, reference: str | None = None
) -> TransferInstruction:
    n = next(_refs)
    return TransferInstruction(
        partner_reference_no=reference or f"PAY-{int(time.time())}-{n}",
        external_id=values.new_external_id(clock.now()),
        source_account=SATKER_BRI,
        beneficiary_account=beneficiary,
        beneficiary_bank_code=bank,
        beneficiary_name="CV SINAR JAYA",
        amount_idr=amount,
        remark="Tagihan",
    )


def test_intrabank_and_interbank_transfers_move_money_once(world: World) -> None:
    gateway = world.gateway()
    before = world.balance(BRI, SATKER_BRI)
    first = gateway.transfer(instruction(1_500_000))
    assert first.service == Service.INTRABANK
    second = gateway.transfer(instruction(2_000_000, VENDOR_BNI, BNI))
    assert second.service == Service.BI_FAST
    assert world.balance(BRI, SATKER_BRI) == before - 3_500_000
    assert world.balance(BRI, VENDOR_BRI) == 1_500_000
    assert world.balance(BNI, VENDOR_BNI) == 2_000_000
    info = gateway.account_inquiry(
        account_no=VENDOR_BNI, bank_code=BNI, external_id=values.new_external_id(clock.now())
    )
    assert info.account_name == "UD BERKAH TANI"


def test_timeout_after_execution_is_found_by_status_and_never_sent_twice(world: World) -> None:
    world.admin.put(
        "/admin/faults", json={"timeoutAfterExecutionShare": 1, "timeoutHoldSeconds": 1.0}
    ).raise_for_status()
    exchanges: list[Exchange] = []
    gateway = world.gateway(timeout=0.4, recorder=exchanges.append)
    result = gateway.transfer(instruction(700_000))
    assert result.confirmed_by_status
    assert world.balance(BRI, VENDOR_BRI) == 700_000
    sent = [e for e in exchanges if e.service == Service.INTRABANK.value]
    assert len(sent) == 1
    assert sent[0].error == "timeout"


def test_5xx_before_execution_is_retried_with_the_same_ids(world: World) -> None:
    world.admin.put("/admin/faults", json={"errorBeforeExecutionShare": 1}).raise_for_status()
    exchanges: list[Exchange] = []

    def heal(_seconds: float) -> None:  # the bank recovers while the gateway backs off
        world.admin.delete("/admin/faults").raise_for_status()

    gateway = world.gateway(sleep=heal, recorder=exchanges.append)
    result = gateway.transfer(instruction(300_000))
    assert result.reference_no
    sent = [e for e in exchanges if e.service == Service.INTRABANK.value]
    assert [e.status_code for e in sent] == [500, 200]
    assert len({(e.external_id, e.partner_reference_no) for e in sent}) == 1
    assert world.balance(BRI, VENDOR_BRI) == 300_000


def test_duplicate_reference_409xx01_is_treated_as_done(world: World) -> None:
    gateway = world.gateway()
    original = instruction(400_000, reference="PAY-DUP-1")
    gateway.transfer(original)
    # Same partner reference, a new request (new X-EXTERNAL-ID): the bank answers 409xx01.
    again = replace(original, external_id=values.new_external_id(clock.now()))
    result = gateway.transfer(again)
    assert result.confirmed_by_status
    assert world.balance(BRI, VENDOR_BRI) == 400_000


def test_insufficient_funds_is_rejected(world: World) -> None:
    with pytest.raises(BankRejected) as exc:
        world.gateway().transfer(instruction(600_000_000))
    assert exc.value.code.startswith("403")
    assert exc.value.code.endswith("14")


def test_bad_signature_and_stale_timestamp_are_refused_by_the_simulator(world: World) -> None:
    with pytest.raises(BankRejected) as exc:
        world.gateway(secret="not-the-secret").transfer(instruction(1_000))
    assert exc.value.code.startswith("401")
    stale = world.gateway(now=lambda: clock.now() - timedelta(minutes=10))
    with pytest.raises(BankRejected) as exc:
        stale.transfer(instruction(1_000))
    assert exc.value.code.startswith("401")
    assert world.balance(BRI, VENDOR_BRI) == 0


@pytest.mark.django_db(transaction=True)
def test_credit_notifications_reach_digipays_inbox(
    pems: tuple[str, str, str, str], live_server: Any, settings: Any, tmp_path: Path
) -> None:
    from digipay.integrations import services
    from digipay.integrations.banks import registry
    from digipay.integrations.models import BankNotification, StatementLine

    (tmp_path / "digipay.pem").write_text(pems[0])
    (tmp_path / "bank.pub.pem").write_text(pems[3])
    config = tmp_path / "banks.json"
    config.write_text(
        json.dumps(
            [
                {
                    "bank_code": code,
                    "base_url": "http://127.0.0.1:9",
                    "partner_id": CLIENT_ID,
                    "client_id": CLIENT_ID,
                    "client_secret": SECRET,
                    "private_key_path": "digipay.pem",
                    "bank_public_key_path": "bank.pub.pem",
                }
                for code in (BRI, BNI)
            ]
        )
    )
    settings.DIGIPAY_BANKS_CONFIG = str(config)
    registry._profiles.cache_clear()
    sim_config = base_config(_keys(pems))
    sim_config["notifications"] = {
        **sim_config["notifications"],
        "url": f"{live_server.url}/snap/v1.0/notifications",
    }
    for world in _serve(pems, sim_config):
        world.gateway().transfer(instruction(2_500_000, VENDOR_BNI, BNI))
        deadline = time.monotonic() + 10
        while (
            time.monotonic() < deadline
            and not BankNotification.objects.filter(bank_code=BNI).exists()
        ):
            time.sleep(0.05)
    services.process_pending()
    line = StatementLine.objects.get(bank_code=BNI, account_no=VENDOR_BNI)
    assert (line.direction, line.amount_idr) == ("C", 2_500_000)


def test_virtual_account_create_pay_and_replay(world: World) -> None:
    from .conftest import VENDOR_BNI as OWNER

    bni = world.gateway(bank=BNI)  # the VA is created at the owner's bank
    va = bni.create_va(
        partner_service_id="88001",
        customer_no="0000017",
        name="TAGIHAN 17",
        owner_account_no=OWNER,
        trx_id="INV-17",
        total_amount_idr=1_250_000,
    )
    assert va.total_amount_idr == 1_250_000
    bri = world.gateway()
    seen = bri.inquire_va(
        partner_service_id="88001", customer_no="0000017", va_bank_code=BNI, inquiry_id="INQ-17"
    )
    assert (seen.name, seen.total_amount_idr) == ("TAGIHAN 17", 1_250_000)
    paid = bri.pay_va(
        partner_service_id="88001",
        customer_no="0000017",
        va_bank_code=BNI,
        source_account_no=SATKER_BRI,
        amount_idr=1_250_000,
        payment_request_id="PAY-VA-17",
    )
    again = bri.pay_va(
        partner_service_id="88001",
        customer_no="0000017",
        va_bank_code=BNI,
        source_account_no=SATKER_BRI,
        amount_idr=1_250_000,
        payment_request_id="PAY-VA-17",
    )
    assert again.reference_no == paid.reference_no
    assert world.balance(BNI, OWNER) == 1_250_000
    with pytest.raises(BankRejected):
        bri.pay_va(
            partner_service_id="88001",
            customer_no="0000017",
            va_bank_code=BNI,
            source_account_no=SATKER_BRI,
            amount_idr=1_000_000,
            payment_request_id="PAY-VA-18",
        )


def test_card_charge_pays_the_vendor_and_appears_on_the_bill(
    pems: tuple[str, str, str, str],
) -> None:
    config = base_config(_keys(pems))
    config["cards"] = [
        {
            "cardRef": "KKP-UJI-01",
            "last4": "7788",
            "bank": BRI,
            "limit": "10000000.00",
            "billAccountNo": SATKER_BRI,
        }
    ]
    for world in _serve(pems, config):
        gateway = world.gateway()
        charge = gateway.card_charge(
            card_ref="KKP-UJI-01",
            amount_idr=2_000_000,
            merchant_account_no=VENDOR_BNI,
            merchant_bank_code=BNI,
            partner_reference_no="KKP-PAY-1",
        )
        assert charge.available_limit_idr == 8_000_000
        assert world.balance(BNI, VENDOR_BNI) == 2_000_000
        with pytest.raises(BankRejected):
            gateway.card_charge(
                card_ref="KKP-UJI-01",
                amount_idr=9_000_000,
                merchant_account_no=VENDOR_BNI,
                merchant_bank_code=BNI,
                partner_reference_no="KKP-PAY-2",
            )
        bill = gateway.card_bill(
            card_ref="KKP-UJI-01",
            billing_month=clock.now().astimezone(values.WIB).strftime("%Y-%m"),
        )
        assert bill.total_idr == 2_000_000
        assert bill.charges == ((charge.reference_no, 2_000_000),)


def test_statement_lists_the_days_movements(world: World) -> None:
    gateway = world.gateway()
    start = clock.now() - timedelta(minutes=1)
    gateway.transfer(instruction(123_000))
    lines = gateway.statement(
        account_no=SATKER_BRI, from_time=start, to_time=clock.now() + timedelta(seconds=1)
    )
    assert [(line.direction, line.amount_idr) for line in lines] == [("D", 123_000)]


def test_in_progress_202_is_settled_by_the_status_inquiry(world: World) -> None:
    world.admin.put("/admin/faults", json={"inProgressShare": 1}).raise_for_status()
    result = world.gateway().transfer(instruction(55_000))
    assert result.confirmed_by_status
    assert world.balance(BRI, VENDOR_BRI) == 55_000


def test_over_limit_403xx02_reroutes_to_the_next_service(
    pems: tuple[str, str, str, str],
) -> None:
    config = base_config(_keys(pems))
    config["limits"] = {"interbankMax": "1000000.00"}  # this bank's BI-FAST stops at Rp1 juta
    for world in _serve(pems, config):
        exchanges: list[Exchange] = []
        result = world.gateway(recorder=exchanges.append).transfer(
            instruction(2_000_000, VENDOR_BNI, BNI)
        )
        assert result.service == Service.SKN
        sent = [(e.service, e.status_code) for e in exchanges if e.service in ("18", "23")]
        assert sent == [("18", 403), ("23", 200)]
        assert len({e.external_id for e in exchanges if e.service in ("18", "23")}) == 2
        assert world.balance(BNI, VENDOR_BNI) == 2_000_000


def test_a_token_the_bank_no_longer_knows_is_refreshed_once(
    pems: tuple[str, str, str, str],
) -> None:
    worlds = _serve(pems, base_config(_keys(pems)))
    world = next(worlds)
    gateway = world.gateway()
    gateway.transfer(instruction(10_000))  # the gateway now caches a token
    # The bank restarts and forgets its tokens; the gateway still holds the old one.
    board = switchboard()
    with board.serving(create_app(config_from_dict(base_config(_keys(pems))))):
        exchanges: list[Exchange] = []
        gateway.client.recorder = exchanges.append
        result = gateway.transfer(instruction(20_000))
        assert result.reference_no
        assert [e.status_code for e in exchanges] == [401, 200]
    with pytest.raises(StopIteration):
        next(worlds)


@pytest.mark.django_db
def test_configured_gateway_records_every_exchange_without_secrets(
    pems: tuple[str, str, str, str], settings: Any, tmp_path: Path
) -> None:
    from digipay.integrations.banks import registry
    from digipay.integrations.models import BankExchange

    for world in _serve(pems, base_config(_keys(pems))):
        (tmp_path / "digipay.pem").write_text(pems[0])
        (tmp_path / "bank.pub.pem").write_text(pems[3])
        config = tmp_path / "banks.json"
        config.write_text(
            json.dumps(
                [
                    {
                        "bank_code": BRI,
                        "base_url": f"{world.base_url}/{BRI}",
                        "partner_id": CLIENT_ID,
                        "client_id": CLIENT_ID,
                        "client_secret": SECRET,
                        "private_key_path": "digipay.pem",
                        "bank_public_key_path": "bank.pub.pem",
                    }
                ]
            )
        )
        settings.DIGIPAY_BANKS_CONFIG = str(config)
        registry._profiles.cache_clear()
        registry.gateway_for(BRI).transfer(instruction(77_000, reference="PAY-REC-1"))
    row = BankExchange.objects.get(partner_reference_no="PAY-REC-1", service="17")
    assert row.status_code == 200
    assert row.request_body["amount"] == {"value": "77000.00", "currency": "IDR"}
    assert row.response_body is not None
    stored = json.dumps([row.request_body, row.response_body])
    assert SECRET not in stored
    assert "Bearer" not in stored
    with pytest.raises(LookupError):
        registry.gateway_for("999")
