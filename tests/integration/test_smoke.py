from __future__ import annotations

from typing import Any


def test_world_loads_and_pemesan_can_call_me(world: dict[str, Any], api_as: Any) -> None:
    response = api_as("pemesan@415256.demo.digipay.id").get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["role"] == "PEMESAN"
    assert response.json()["organisation_id"] == world["satker_a"].pk


def test_privileged_login_goes_through_totp(world: dict[str, Any], login_client: Any) -> None:
    client = login_client("ppk@415256.demo.digipay.id")
    assert client.get("/").status_code == 200
