"""Bank simulator, SNAP side (uvicorn on loopback, httpx): token, signatures, timestamps,
inquiry, transfers and settlement, status, per-day uniqueness, refusals, admin."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from digipay.snap import signing, values

from .conftest import (
    BNI,
    BRI,
    BTN,
    MANDIRI,
    SATKER_BRI,
    SATKER_MANDIRI,
    VENDOR_BNI,
    VENDOR_BRI,
    VENDOR_BTN,
    Keys,
    Snap,
    live_client,
    next_external_id,
    now_text,
)


@pytest.fixture
def client(make_app: Callable[..., Starlette]) -> Iterator[httpx.Client]:
    with live_client(make_app()) as http:
        yield http


@pytest.fixture
def snap(client: httpx.Client, keys: Keys) -> Snap:
    return Snap(client, keys)


def total(client: httpx.Client) -> int:
    accounts = client.get("/admin/accounts").json()["accounts"]
    return sum(values.parse_amount(a["balance"]) for a in accounts)


# --- token (73) --------------------------------------------------------------------------------


def test_token_is_issued_for_a_good_rsa_signature(snap: Snap) -> None:
    response = snap.request_token(BRI)
    assert response.status_code == 200
    data = response.json()
    assert data["responseCode"] == "2007300"
    assert data["tokenType"] == "Bearer"
    assert data["expiresIn"] == "900"
    assert len(data["accessToken"]) > 20
    assert response.headers["X-TIMESTAMP"]


def test_token_is_refused_for_a_bad_rsa_signature(snap: Snap) -> None:
    other, _ = signing.generate_key_pair()
    response = snap.request_token(BRI, key=signing.load_private_key(other))
    assert response.status_code == 401
    assert response.json()["responseCode"] == "4017300"
    assert "Signature" in response.json()["responseMessage"]


def test_token_is_refused_for_a_stale_timestamp(snap: Snap) -> None:
    response = snap.request_token(BRI, timestamp=now_text(-301))
    assert response.status_code == 401
    assert response.json()["responseCode"] == "4017300"
    assert "X-TIMESTAMP" in response.json()["responseMessage"]
    assert snap.request_token(BRI, timestamp=now_text(-240)).status_code == 200


def test_token_is_refused_for_an_unknown_client_and_a_bad_timestamp(snap: Snap) -> None:
    assert snap.request_token(BRI, client_id="NOBODY").json()["responseCode"] == "4017300"
    response = snap.request_token(BRI, timestamp="yesterday")
    assert (response.status_code, response.json()["responseCode"]) == (400, "4007301")


def test_a_token_is_valid_only_at_the_bank_that_issued_it(snap: Snap) -> None:
    token = snap.token(BRI)
    body = {"beneficiaryAccountNo": SATKER_MANDIRI}
    response = snap.post(MANDIRI, "/v1.0/account-inquiry-internal", body, token=token)
    assert (response.status_code, response.json()["responseCode"]) == (401, "4011501")
    response = snap.post(BRI, "/v1.0/account-inquiry-internal", body, token="forged")
    assert response.json()["responseCode"] == "4011501"


# --- signatures and timestamps on calls -------------------------------------------------------


def test_a_bad_symmetric_signature_is_refused_and_nothing_moves(
    snap: Snap, client: httpx.Client
) -> None:
    response = snap.transfer(
        BRI,
        source=SATKER_BRI,
        beneficiary=VENDOR_BRI,
        amount=1_000,
        reference="REF-BADSIG",
        secret="not-the-secret",
    )
    assert (response.status_code, response.json()["responseCode"]) == (401, "4011700")
    assert "Signature" in response.json()["responseMessage"]
    assert snap.balance(BRI, VENDOR_BRI) == 0
    assert client.get("/admin/transfers").json()["transfers"] == []


def test_a_stale_timestamp_on_a_call_is_refused(snap: Snap) -> None:
    response = snap.post(
        BRI,
        "/v1.0/account-inquiry-internal",
        {"beneficiaryAccountNo": VENDOR_BRI},
        timestamp=now_text(-600),
    )
    assert (response.status_code, response.json()["responseCode"]) == (401, "4011500")


def test_missing_headers_are_invalid_mandatory_fields(snap: Snap, client: httpx.Client) -> None:
    token = snap.token(BRI)
    response = client.post(
        f"/{BRI}/v1.0/account-inquiry-internal",
        json={"beneficiaryAccountNo": VENDOR_BRI},
        headers={"Authorization": f"Bearer {token}", "X-TIMESTAMP": now_text()},
    )
    assert (response.status_code, response.json()["responseCode"]) == (400, "4001502")
    assert "X-SIGNATURE" in response.json()["responseMessage"]


def test_the_signature_covers_the_minified_body_even_if_sent_pretty(snap: Snap) -> None:
    body = {"beneficiaryAccountNo": VENDOR_BRI, "partnerReferenceNo": "INQ-1"}
    pretty = json.dumps(body, indent=2)
    response = snap.post(BRI, "/v1.0/account-inquiry-internal", body, content=pretty)
    assert response.status_code == 200, response.text


def test_the_bare_path_serves_the_default_bank(
    make_app: Callable[..., Starlette], keys: Keys
) -> None:
    with live_client(make_app(defaultBank=BRI)) as client:
        snap = Snap(client, keys)
        token = snap.token(BRI)
        timestamp = now_text()
        body = {"beneficiaryAccountNo": VENDOR_BRI}
        path = "/v1.0/account-inquiry-internal"
        response = client.post(
            path,
            content=signing.minify(body),
            headers={
                "Authorization": f"Bearer {token}",
                "X-TIMESTAMP": timestamp,
                "X-SIGNATURE": signing.sign_symmetric(
                    "test-client-secret", "POST", path, token, body, timestamp
                ),
                "X-PARTNER-ID": "DIGIPAY",
                "X-EXTERNAL-ID": next_external_id(),
                "CHANNEL-ID": "95221",
            },
        )
        assert response.json()["beneficiaryAccountName"] == "CV SINAR JAYA"


# --- inquiry (15 / 16) -------------------------------------------------------------------------


def test_account_inquiry_internal_and_external(snap: Snap) -> None:
    response = snap.post(
        BRI, "/v1.0/account-inquiry-internal", {"beneficiaryAccountNo": VENDOR_BRI}
    )
    data = response.json()
    assert (response.status_code, data["responseCode"]) == (200, "2001500")
    assert data["beneficiaryAccountName"] == "CV SINAR JAYA"
    assert data["beneficiaryAccountStatus"] == "ACTIVE"
    assert data["referenceNo"].startswith(BRI)

    body = {"beneficiaryBankCode": BNI, "beneficiaryAccountNo": VENDOR_BNI}
    data = snap.post(BRI, "/v1.0/account-inquiry-external", body).json()
    assert data["responseCode"] == "2001600"
    assert data["beneficiaryAccountName"] == "UD BERKAH TANI"
    assert data["beneficiaryBankName"] == "BANK NEGARA INDONESIA"

    unknown = snap.post(BRI, "/v1.0/account-inquiry-internal", {"beneficiaryAccountNo": "999"})
    assert (unknown.status_code, unknown.json()["responseCode"]) == (404, "4041511")
    body = {"beneficiaryBankCode": "777", "beneficiaryAccountNo": "1"}
    no_bank = snap.post(BRI, "/v1.0/account-inquiry-external", body)
    assert (no_bank.status_code, no_bank.json()["responseCode"]) == (404, "4041603")


# --- transfers (17 / 18 / 22 / 23) -------------------------------------------------------------


def test_intrabank_transfer_debits_and_credits_both_accounts(
    snap: Snap, client: httpx.Client
) -> None:
    before = total(client)
    response = snap.transfer(
        BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=1_250_000, reference="INV-0001"
    )
    data = response.json()
    assert (response.status_code, data["responseCode"]) == (200, "2001700")
    assert data["partnerReferenceNo"] == "INV-0001"
    assert data["amount"] == {"value": "1250000.00", "currency": "IDR"}
    assert data["referenceNo"].startswith(BRI)
    assert snap.balance(BRI, SATKER_BRI) == 500_000_000 - 1_250_000
    assert snap.balance(BRI, VENDOR_BRI) == 1_250_000
    assert total(client) == before
    entries = client.get(f"/admin/accounts/{BRI}/{VENDOR_BRI}").json()["entries"]
    assert entries[0]["creditDebitIndicator"] == "CRDT"
    assert entries[0]["referenceNo"] == data["referenceNo"]
    assert client.get("/admin/settlement").json()["flows"] == []


def test_interbank_transfers_settle_between_the_simulated_banks(
    snap: Snap, client: httpx.Client
) -> None:
    before = total(client)
    first = snap.transfer(
        BRI,
        service="18",
        source=SATKER_BRI,
        beneficiary=VENDOR_BNI,
        beneficiary_bank=BNI,
        amount=2_000_000,
        reference="INV-0002",
    )
    assert (first.status_code, first.json()["responseCode"]) == (200, "2001800")
    assert first.json()["beneficiaryBankCode"] == BNI
    second = snap.transfer(
        BRI,
        service="23",
        source=SATKER_BRI,
        beneficiary=VENDOR_BTN,
        beneficiary_bank=BTN,
        amount=300_000,
        reference="INV-0003",
    )
    assert second.json()["responseCode"] == "2002300"
    assert snap.balance(BRI, SATKER_BRI) == 500_000_000 - 2_300_000
    assert snap.balance(BNI, VENDOR_BNI) == 2_000_000
    assert snap.balance(BTN, VENDOR_BTN) == 300_000
    assert total(client) == before
    settlement = client.get("/admin/settlement").json()
    assert settlement["netPositions"] == {
        BNI: "2000000.00",
        BRI: "-2300000.00",
        BTN: "300000.00",
    }
    assert {(f["fromBank"], f["toBank"], f["amount"]) for f in settlement["flows"]} == {
        (BRI, BNI, "2000000.00"),
        (BRI, BTN, "300000.00"),
    }


def test_transfer_limits_and_routing(snap: Snap) -> None:
    over_bifast = snap.transfer(
        BRI,
        service="18",
        source=SATKER_BRI,
        beneficiary=VENDOR_BNI,
        beneficiary_bank=BNI,
        amount=250_000_001,
        reference="BIG-1",
    )
    assert (over_bifast.status_code, over_bifast.json()["responseCode"]) == (403, "4031802")
    small_rtgs = snap.transfer(
        BRI,
        service="22",
        source=SATKER_BRI,
        beneficiary=VENDOR_BNI,
        beneficiary_bank=BNI,
        amount=100_000_000,
        reference="RTGS-1",
    )
    assert (small_rtgs.status_code, small_rtgs.json()["responseCode"]) == (404, "4042213")
    rtgs = snap.transfer(
        BRI,
        service="22",
        source=SATKER_BRI,
        beneficiary=VENDOR_BNI,
        beneficiary_bank=BNI,
        amount=250_000_001,
        reference="RTGS-2",
    )
    assert rtgs.json()["responseCode"] == "2002200"
    same_bank = snap.transfer(
        BRI,
        service="18",
        source=SATKER_BRI,
        beneficiary=VENDOR_BRI,
        beneficiary_bank=BRI,
        amount=1,
        reference="SAME-1",
    )
    assert (same_bank.status_code, same_bank.json()["responseCode"]) == (403, "4031815")
    other_bank_intrabank = snap.transfer(
        BRI, source=SATKER_BRI, beneficiary=VENDOR_BNI, amount=1, reference="INTRA-X"
    )
    assert other_bank_intrabank.json()["responseCode"] == "4041711"


def test_bad_amounts_are_refused(snap: Snap) -> None:
    for value, expected in (("10.50", "4001701"), ("12", "4001701"), ("0.00", "4041713")):
        response = snap.post(
            BRI,
            "/v1.0/transfer-intrabank",
            {
                "partnerReferenceNo": f"AMT-{value}",
                "amount": {"value": value, "currency": "IDR"},
                "beneficiaryAccountNo": VENDOR_BRI,
                "sourceAccountNo": SATKER_BRI,
                "transactionDate": now_text(),
            },
        )
        assert response.json()["responseCode"] == expected, value


def test_insufficient_funds_moves_nothing(snap: Snap, client: httpx.Client) -> None:
    response = snap.transfer(
        MANDIRI, source=SATKER_MANDIRI, beneficiary=SATKER_MANDIRI, amount=1, reference="SELF-1"
    )
    assert (response.status_code, response.json()["responseCode"]) == (403, "4031715")
    response = snap.transfer(
        BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=500_000_001, reference="NSF-2"
    )
    assert (response.status_code, response.json()["responseCode"]) == (403, "4031714")
    assert snap.balance(BRI, SATKER_BRI) == 500_000_000
    # forced by the fault list, whatever the balance
    client.put("/admin/faults", json={"insufficientFundsAccounts": [f"{BRI}:{SATKER_BRI}"]})
    response = snap.transfer(
        BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=1, reference="NSF-3"
    )
    assert response.json()["responseCode"] == "4031714"
    # a refused reference is not used up: the same reference goes through once funds allow
    client.put("/admin/faults", json={"insufficientFundsAccounts": []})
    response = snap.transfer(
        BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=1, reference="NSF-3"
    )
    assert response.json()["responseCode"] == "2001700"


# --- status (36) -------------------------------------------------------------------------------


def test_status_finds_an_executed_transfer(snap: Snap) -> None:
    external_id = next_external_id()
    done = snap.transfer(
        BRI,
        service="18",
        source=SATKER_BRI,
        beneficiary=VENDOR_BNI,
        beneficiary_bank=BNI,
        amount=75_000,
        reference="INV-0036",
        external_id=external_id,
    ).json()
    response = snap.status(BRI, "INV-0036", "18")
    data = response.json()
    assert (response.status_code, data["responseCode"]) == (200, "2003600")
    assert data["latestTransactionStatus"] == "00"
    assert data["originalReferenceNo"] == done["referenceNo"]
    assert data["originalExternalId"] == external_id
    assert data["amount"] == {"value": "75000.00", "currency": "IDR"}
    by_external_id = snap.post(
        BRI,
        "/v1.0/transfer/status",
        {"originalExternalId": external_id, "serviceCode": "18"},
    ).json()
    assert by_external_id["originalPartnerReferenceNo"] == "INV-0036"
    by_reference = snap.post(
        BRI,
        "/v1.0/transfer/status",
        {"originalReferenceNo": done["referenceNo"], "serviceCode": "18"},
    ).json()
    assert by_reference["latestTransactionStatus"] == "00"
    missing = snap.status(BRI, "NEVER-SENT", "18")
    assert (missing.status_code, missing.json()["responseCode"]) == (404, "4043601")
    wrong_service = snap.status(BRI, "INV-0036", "17")
    assert wrong_service.json()["responseCode"] == "4043601"
    elsewhere = snap.status(BNI, "INV-0036", "18")
    assert elsewhere.json()["responseCode"] == "4043601"


# --- per-day uniqueness ------------------------------------------------------------------------


def test_replayed_external_id_is_a_conflict_without_a_second_debit(snap: Snap) -> None:
    external_id = next_external_id()
    first = snap.transfer(
        BRI,
        source=SATKER_BRI,
        beneficiary=VENDOR_BRI,
        amount=10_000,
        reference="INV-0409",
        external_id=external_id,
    )
    assert first.json()["responseCode"] == "2001700"
    again = snap.transfer(
        BRI,
        source=SATKER_BRI,
        beneficiary=VENDOR_BRI,
        amount=10_000,
        reference="INV-0410",
        external_id=external_id,
    )
    assert (again.status_code, again.json()["responseCode"]) == (409, "4091700")
    assert snap.balance(BRI, VENDOR_BRI) == 10_000
    # the same X-EXTERNAL-ID at another bank is another bank's business
    other = snap.post(
        MANDIRI,
        "/v1.0/account-inquiry-internal",
        {"beneficiaryAccountNo": SATKER_MANDIRI},
        external_id=external_id,
    )
    assert other.status_code == 200


def test_replayed_partner_reference_is_409xx01_without_a_second_debit(snap: Snap) -> None:
    first = snap.transfer(
        BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=20_000, reference="INV-DUP"
    )
    again = snap.transfer(
        BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=20_000, reference="INV-DUP"
    )
    assert (again.status_code, again.json()["responseCode"]) == (409, "4091701")
    assert again.json()["additionalInfo"]["originalReferenceNo"] == first.json()["referenceNo"]
    across_services = snap.transfer(
        BRI,
        service="18",
        source=SATKER_BRI,
        beneficiary=VENDOR_BNI,
        beneficiary_bank=BNI,
        amount=20_000,
        reference="INV-DUP",
    )
    assert across_services.json()["responseCode"] == "4091801"
    assert snap.balance(BRI, VENDOR_BRI) == 20_000
    assert snap.balance(BNI, VENDOR_BNI) == 0
    assert snap.balance(BRI, SATKER_BRI) == 500_000_000 - 20_000


# --- admin and config --------------------------------------------------------------------------


def test_admin_faults_are_read_and_patched(client: httpx.Client) -> None:
    faults = client.get("/admin/faults").json()
    assert faults["latencyMs"] == 0
    assert faults["services"] == ["17", "18", "22", "23"]
    patched = client.put("/admin/faults", json={"latencyMs": 5, "jitterMs": 5}).json()
    assert (patched["latencyMs"], patched["jitterMs"]) == (5, 5)
    bad = client.put("/admin/faults", json={"latency": 5})
    assert bad.status_code == 400
    assert "unknown fault setting" in bad.json()["error"]
    assert client.put("/admin/faults", json={"timeoutAfterExecutionShare": 2}).status_code == 400
    assert client.delete("/admin/faults").json()["latencyMs"] == 0


def test_admin_accounts_can_be_created_and_topped_up(snap: Snap, client: httpx.Client) -> None:
    created = client.put(
        f"/admin/accounts/{BNI}/0900000099", json={"name": "BARU", "balance": "5000.00"}
    )
    assert created.json()["balance"] == "5000.00"
    client.put(f"/admin/accounts/{BNI}/0900000099", json={"balance": 7000})
    assert snap.balance(BNI, "0900000099") == 7000
    assert client.put(f"/admin/accounts/{BNI}/0900000098", json={}).status_code == 400


def test_admin_token_guards_the_admin_endpoints(
    make_app: Callable[..., Starlette],
) -> None:
    with live_client(make_app(adminToken="s3cret")) as client:
        assert client.get("/admin/faults").status_code == 401
        assert client.get("/admin/faults", headers={"X-ADMIN-TOKEN": "s3cret"}).status_code == 200
        assert client.get("/health").status_code == 200


def test_concurrent_replays_of_one_reference_debit_once(
    make_app: Callable[..., Starlette], keys: Keys
) -> None:
    with live_client(make_app()) as client:
        snap = Snap(client, keys)
        snap.token(BRI)

        def send(_: int) -> str:
            response = snap.transfer(
                BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=700, reference="RACE-1"
            )
            return str(response.json()["responseCode"])

        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(send, range(16)))
        assert codes.count("2001700") == 1
        assert codes.count("4091701") == 15
        assert snap.balance(BRI, VENDOR_BRI) == 700


def test_a_database_file_keeps_balances_across_restarts(
    make_app: Callable[..., Starlette], keys: Keys, tmp_path: Path
) -> None:
    database = str(tmp_path / "banksim.sqlite3")
    with live_client(make_app(database=database)) as client:
        Snap(client, keys).transfer(
            BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=900, reference="KEEP-1"
        )
    with live_client(make_app(database=database)) as client:
        snap = Snap(client, keys)
        assert snap.balance(BRI, VENDOR_BRI) == 900
        again = snap.transfer(
            BRI, source=SATKER_BRI, beneficiary=VENDOR_BRI, amount=900, reference="KEEP-1"
        )
        assert again.json()["responseCode"] == "4091701"
