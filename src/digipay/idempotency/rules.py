"""Pure decisions of idempotency keys: the key's format, the request fingerprint, what to do
with a repeated key.

Nothing here touches the database or the request; ``services`` and ``decorators`` do.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import models

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
KEY_MAX = 255
FINGERPRINT_VERSION = "digipay-idempotency-v1"
# The promise to API clients: a key is remembered at least this long (docs/adr/0018).
MIN_RETENTION = timedelta(hours=24)
# How long a claim may stay unfinished before another request may take it over (a crashed
# process). A handler that may run longer must say so (``idempotent(lease=...)``).
DEFAULT_LEASE = timedelta(minutes=5)


class RecordState(models.TextChoices):
    IN_PROGRESS = "in_progress", "in progress"
    COMPLETED = "completed", "completed"


class Decision(enum.StrEnum):
    """What a request does when its key is already taken."""

    REPLAY = "replay"  # the same request finished: send its stored response again
    IN_PROGRESS = "in_progress"  # the same request is still running: 409
    MISMATCH = "mismatch"  # another request under this key: 422
    TAKE_OVER = "take_over"  # the same request, but its claim outlived the lease: run it
    EXPIRED = "expired"  # the record is past its retention: forget it and claim anew


def _visible_ascii(text: str) -> bool:
    return all("\x21" <= ch <= "\x7e" for ch in text)


def parse_key(raw: str) -> str | None:
    """The key in a header value, or None if it is not a valid key.

    A key is 1–255 visible ASCII characters (``!`` to ``~``; no spaces or control characters);
    a UUID (``uuid4``) is recommended. The draft's Structured Field form (``"…"``, quoted) is
    accepted too, without escapes inside the quotes; the quotes are not part of the key.
    """
    value = raw.strip(" \t")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
        if '"' in value or "\\" in value:
            return None
    if not 1 <= len(value) <= KEY_MAX or not _visible_ascii(value):
        return None
    return value


def canonical_json(value: Any) -> str:
    """Sorted keys, no insignificant whitespace, non-ASCII kept: one text per JSON value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_body(body: bytes, *, ignore: Collection[str] = ()) -> bytes:
    """The body as compared between requests.

    A JSON body is reduced to its canonical text, so whitespace and the order of object keys
    do not matter (``{"a": 1, "b": 2}`` equals ``{"b":2,"a":1}``); any other body (a form, a
    multipart upload) is compared byte for byte. The prefix keeps the two kinds apart.
    ``ignore`` names top-level fields of a JSON object left out of the comparison: values that
    legitimately change between retries of one operation, such as a one-time code.
    """
    if not body:
        return b"empty:"
    try:
        parsed = json.loads(body)
    except ValueError:  # not JSON, or not UTF-8 (UnicodeDecodeError is a ValueError)
        return b"raw:" + body
    if ignore and isinstance(parsed, dict):
        parsed = {name: value for name, value in parsed.items() if name not in ignore}
    return b"json:" + canonical_json(parsed).encode()


def fingerprint(
    *,
    method: str,
    path: str,
    caller: int | str,
    body: bytes,
    query: Iterable[tuple[str, str]] = (),
    ignore: Collection[str] = (),
) -> str:
    """SHA-256 (hex) over the method, the path, the query parameters (sorted), the caller's
    identity and the canonical body (without the ``ignore`` fields): two requests are "the
    same" when this is equal."""
    head = canonical_json(
        [FINGERPRINT_VERSION, method.upper(), path, sorted(query), str(caller)]
    ).encode()
    # The head is canonical JSON, which never contains a raw newline: the separator is safe.
    return hashlib.sha256(head + b"\n" + canonical_body(body, ignore=ignore)).hexdigest()


def decide(
    *,
    state: str,
    stored_fingerprint: str,
    fingerprint: str,
    started_at: datetime,
    expires_at: datetime,
    now: datetime,
    lease: timedelta,
) -> Decision:
    """What a request with ``fingerprint`` does when its key already has a record."""
    if expires_at <= now:
        return Decision.EXPIRED
    if stored_fingerprint != fingerprint:
        return Decision.MISMATCH
    if state == RecordState.COMPLETED:
        return Decision.REPLAY
    if started_at <= now - lease:
        return Decision.TAKE_OVER
    return Decision.IN_PROGRESS


def retention(hours: int) -> timedelta:
    """How long records are kept; refuses less than the 24 hours promised to clients."""
    kept = timedelta(hours=hours)
    if kept < MIN_RETENTION:
        raise ValueError(f"IDEMPOTENCY_KEY_HOURS must be at least 24, not {hours}")
    return kept


def lease(minutes: int) -> timedelta:
    if minutes < 1:
        raise ValueError(f"IDEMPOTENCY_LEASE_MINUTES must be at least 1, not {minutes}")
    return timedelta(minutes=minutes)
