from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from digipay.audit import rules


def test_canonical_json_is_sorted_compact_and_keeps_unicode() -> None:
    assert rules.canonical_json({"b": 1, "a": "Jalan Budi Utomo — Jakarta"}) == (
        '{"a":"Jalan Budi Utomo — Jakarta","b":1}'
    )


def test_chain_hash_is_sha256_of_previous_plus_canonical_payload() -> None:
    payload = rules.event_payload(
        tenant_id=5,
        seq=1,
        occurred_at=datetime(2026, 11, 28, 1, 2, 3, tzinfo=UTC),
        actor_id=9,
        actor_role="PPK",
        action="order.approved",
        object_type="orders.order",
        object_id="12",
        before={},
        after={"status": "DISETUJUI"},
        request_id="r1",
        ip="127.0.0.1",
    )
    expected = hashlib.sha256(
        (rules.GENESIS_HASH + rules.canonical_json(payload)).encode()
    ).hexdigest()
    assert rules.chain_hash(rules.GENESIS_HASH, payload) == expected
    changed = dict(payload, after={"status": "DITOLAK"})
    assert rules.chain_hash(rules.GENESIS_HASH, changed) != expected
    assert payload["occurred_at"] == "2026-11-28T01:02:03.000000+00:00"
