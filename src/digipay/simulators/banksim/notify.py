"""Delivery of signed notifications from the outbox, retried until the receiver answers 2xx.

One asyncio task (started by the app's lifespan) polls the ``notifications`` table, sends the
due ones in order, and reschedules failures with exponential backoff (``retryBaseSeconds`` ×
2^(attempt−1), at most ``retryMaxSeconds``) until ``maxAttempts``, after which the notification
is FAILED (an admin can queue it again). Each attempt is a fresh request: new X-TIMESTAMP,
X-SIGNATURE and X-EXTERNAL-ID; the body, and its ``notificationId``, stay the same — receivers
deduplicate on ``notificationId``.

Signature: base64 SHA256withRSA by the bank's key over
``POST:<path of the URL>:lowerhex(sha256(body)):X-TIMESTAMP`` (``digipay.snap.signing``).

Faults: ``duplicateNotificationShare`` sends an acknowledged notification a second time;
``reorderNotificationShare`` holds a new notification back ``reorderDelaySeconds`` (decided
when it is queued, see ``services``) so that later ones overtake it. While an outage is on,
nothing is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from digipay.simulators.banksim.config import NotificationConfig
from digipay.simulators.banksim.faults import FaultState
from digipay.simulators.banksim.store import Notification, Store
from digipay.snap import signing, values

log = logging.getLogger("digipay.banksim.notify")
BATCH = 50


class Notifier:
    def __init__(
        self,
        store: Store,
        faults: FaultState,
        private_key: rsa.RSAPrivateKey,
        config: NotificationConfig,
        *,
        clock: Callable[[], float] = time.time,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.store = store
        self.faults = faults
        self.private_key = private_key
        self.config = config
        self.clock = clock
        self.transport = transport
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    def wake(self) -> None:
        """Look at the outbox now (callable from any thread)."""
        loop, event = self._loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)

    def backoff(self, attempts: int) -> float:
        delay = self.config.retry_base_seconds * (2 ** max(0, attempts - 1))
        return float(min(self.config.retry_max_seconds, delay))

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set (each pass sends at most BATCH notifications)."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        timeout = httpx.Timeout(self.config.timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, transport=self.transport) as client:
            while not stop.is_set():
                sent = 0
                try:
                    if not self.faults.outage_active():
                        for notification in self.store.due_notifications(BATCH):
                            if stop.is_set():
                                break
                            await self.deliver(client, notification)
                            sent += 1
                except Exception:  # keep delivering: one bad row must not stop the bank
                    log.exception("notification pass failed")
                    sent = 0
                if sent == BATCH:
                    continue  # more may be due
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.config.poll_seconds)
                self._wake.clear()

    async def deliver(self, client: httpx.AsyncClient, notification: Notification) -> None:
        ok, error = await self.send(client, notification)
        if ok:
            extra = 0
            if self.faults.duplicate_notification():
                again, _ = await self.send(client, notification)
                extra = int(again)
            self.store.notification_delivered(notification.id, extra_deliveries=extra)
            return
        attempts = notification.attempts + 1
        retry_at = None
        if attempts < self.config.max_attempts:
            retry_at = self.clock() + self.backoff(attempts)
        log.info("notification %s attempt %d failed: %s", notification.event_id, attempts, error)
        self.store.notification_failed(notification.id, error, retry_at)

    async def send(self, client: httpx.AsyncClient, notification: Notification) -> tuple[bool, str]:
        """One signed POST; (acknowledged, error text)."""
        if not notification.url:
            return False, "no notification URL"
        timestamp = values.format_timestamp(datetime.fromtimestamp(self.clock(), UTC))
        path = urlsplit(notification.url).path or "/"
        headers = {
            "Content-Type": "application/json",
            "X-TIMESTAMP": timestamp,
            "X-SIGNATURE": signing.sign_asymmetric(
                self.private_key, "POST", path, notification.body, timestamp
            ),
            "X-PARTNER-ID": notification.bank_code,
            "X-EXTERNAL-ID": self.store.next_external_id(),
            "CHANNEL-ID": self.config.channel_id,
        }
        try:
            response = await client.post(
                notification.url, content=notification.body.encode("utf-8"), headers=headers
            )
        except httpx.HTTPError as exc:
            return False, f"{type(exc).__name__}: {exc}"
        if 200 <= response.status_code < 300:
            return True, ""
        return False, f"HTTP {response.status_code}"
