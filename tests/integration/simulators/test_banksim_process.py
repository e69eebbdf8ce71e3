"""The simulator as a process: ``python -m digipay.simulators.banksim`` with the demo config
and the shipped demo keys, reached over loopback; the config loader's refusals; keygen."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from digipay.simulators.banksim import ConfigError, config_from_dict, load_config
from digipay.simulators.banksim.__main__ import main
from digipay.simulators.banksim.config import DEMO_CONFIG
from digipay.snap import signing

from .conftest import Keys, base_config, next_external_id, now_text

DEMO_KEYS = DEMO_CONFIG.parent / "demo_keys"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_demo_process_serves_snap_with_the_demo_keys() -> None:
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "digipay.simulators.banksim",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        with httpx.Client(base_url=base, timeout=2) as client:
            while time.monotonic() < deadline:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
            config = json.loads(DEMO_CONFIG.read_text())
            partner = config["partners"][0]
            key = signing.load_private_key((DEMO_KEYS / "digipay_private.pem").read_bytes())
            timestamp = now_text()
            token_response = client.post(
                "/008/v1.0/access-token/b2b",
                json={"grantType": "client_credentials"},
                headers={
                    "X-TIMESTAMP": timestamp,
                    "X-CLIENT-KEY": partner["clientId"],
                    "X-SIGNATURE": signing.sign_token_request(key, partner["clientId"], timestamp),
                },
            )
            assert token_response.status_code == 200, token_response.text
            token = token_response.json()["accessToken"]
            body = {"beneficiaryAccountNo": "1230007654321"}
            path = "/v1.0/account-inquiry-internal"
            response = client.post(
                f"/008{path}",
                content=signing.minify(body),
                headers={
                    "Authorization": f"Bearer {token}",
                    "X-TIMESTAMP": timestamp,
                    "X-SIGNATURE": signing.sign_symmetric(
                        partner["clientSecret"], "POST", path, token, body, timestamp
                    ),
                    "X-PARTNER-ID": partner["partnerId"],
                    "X-EXTERNAL-ID": next_external_id(),
                    "CHANNEL-ID": "95221",
                    "Content-Type": "application/json",
                },
            )
            assert response.json()["beneficiaryAccountName"] == "BPG 652840 BBPJN JAKARTA-BANTEN"
            bank_key = signing.load_public_key((DEMO_KEYS / "banksim_public.pem").read_bytes())
            served = signing.load_public_key(client.get("/admin/public-key").text)
            assert served.public_numbers() == bank_key.public_numbers()
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def test_demo_config_has_the_four_himbara_banks() -> None:
    config = load_config(DEMO_CONFIG)
    codes = {b.code for b in config.banks}
    assert {"002", "008", "009", "200"} <= codes
    for code in ("002", "008", "009", "200"):
        assert sum(a.bank_code == code for a in config.accounts) >= 3
    assert not config.key_is_ephemeral
    assert (DEMO_KEYS / "README.md").read_text().lower().count("demo") >= 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bankz": []}, "unknown keys"),
        ({"accounts": [{"bank": "002", "accountNo": "1", "name": "X", "balance": 1.5}]}, "amounts"),
        ({"accounts": [{"bank": "999", "accountNo": "1", "name": "X"}]}, "not in banks"),
        ({"faults": {"latencyMs": -1}}, "latencyMs"),
        ({"defaultBank": "777"}, "defaultBank"),
        ({"notifications": {"url": "ftp://x"}}, "notifications.url"),
    ],
)
def test_config_refusals_name_the_key(keys: Keys, change: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_dict(base_config(keys, **change))


def test_keygen_writes_a_usable_pair(tmp_path: Path) -> None:
    prefix = tmp_path / "partner"
    assert main(["--keygen", str(prefix)]) == 0
    private = signing.load_private_key((tmp_path / "partner_private.pem").read_bytes())
    public = signing.load_public_key((tmp_path / "partner_public.pem").read_bytes())
    signature = signing.sign_token_request(private, "X", "2026-01-01T00:00:00+07:00")
    assert signing.verify_token_request(public, "X", "2026-01-01T00:00:00+07:00", signature)
    assert main(["--keygen", str(prefix)]) == 1  # never overwrites


def test_a_bad_config_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["--config", str(bad)]) == 2
