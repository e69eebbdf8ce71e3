"""Pure audit arithmetic: the canonical form of an event and its chained hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(payload: Mapping[str, Any]) -> str:
    """Stable JSON: sorted keys, no spaces, UTF-8 kept, datetimes in ISO 8601 UTC."""

    def default(value: Any) -> str:
        if isinstance(value, datetime):
            return value.isoformat()
        raise TypeError(f"not JSON-serialisable in an audit event: {type(value).__name__}")

    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=default
    )


def event_payload(
    *,
    tenant_id: int,
    seq: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_role: str,
    action: str,
    object_type: str,
    object_id: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    request_id: str,
    ip: str | None,
) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "seq": seq,
        # Microsecond precision survives both databases, so the hash can be recomputed.
        "occurred_at": occurred_at.isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor_role": actor_role,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "before": dict(before),
        "after": dict(after),
        "request_id": request_id,
        "ip": ip,
    }


def chain_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(payload)).encode("utf-8")).hexdigest()
