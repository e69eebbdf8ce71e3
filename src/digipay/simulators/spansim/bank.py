"""The SPAN simulator's link to the bank simulator: an SP2D's money to the treasurer's account.

An approved SP2D is credited with the bank simulator's ``POST /admin/credits`` (money from
outside the simulated banks), remark ``SP2D <number>``. That endpoint has no idempotency key,
so **an attempt is never repeated blindly**: every attempt first records the Jakarta day it is
made on; a later attempt reads the treasurer's statement for those days (``GET
/admin/statements/{bank}/{accountNo}?date=``) and, if a credit with the remark and the amount is
there, records it instead of sending again. Attempts for one simulator are serialized (one
asyncio lock), and a background task retries PENDING credits every ``retrySeconds``.

Outcomes of one attempt:

- the bank answers 200: CREDITED with the bank's ``referenceNo``;
- the bank answers 4xx (no such account, inactive account, bad admin token): FAILED, with the
  bank's message; only an explicit retry (``POST /v1/spms/{id}/credit``, ``POST
  /admin/credits/retry``) tries again;
- no connection: PENDING (nothing reached the bank);
- a timeout, a broken connection or a 5xx: PENDING, and the next attempt reads the statement
  first (the credit may have been booked);
- the statement cannot be read (bank down, more lines than one statement holds): PENDING.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from digipay.simulators.spansim.config import BankLink
from digipay.simulators.spansim.store import FAILED, PENDING, Spm, Store
from digipay.snap import values


class _Unknown(Exception):
    """The statement could not tell whether the credit was booked."""


def jakarta_day(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).astimezone(values.WIB).date().isoformat()


class BankCredits:
    def __init__(
        self,
        link: BankLink,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.link = link
        self.store = store
        self.clock = clock  # the simulator's clock: when the next attempt is due
        self.wall = wall  # the bank's days are real Jakarta days
        self._lock: asyncio.Lock | None = None
        self._wake: asyncio.Event | None = None

    def _headers(self) -> dict[str, str]:
        return {"X-ADMIN-TOKEN": self.link.admin_token} if self.link.admin_token else {}

    def _later(self) -> float:
        return self.clock() + self.link.retry_seconds

    async def settle(self, spm_id: str) -> None:
        """One credit attempt for an approved SP2D whose credit is PENDING (serialized)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            await self._settle(spm_id)

    async def _settle(self, spm_id: str) -> None:
        spm = self.store.spm(spm_id)
        if spm is None or spm.credit_status != PENDING:
            return
        if self.link.url is None:
            self.store.credit_not_done(spm_id, "no bank configured", next_at=self._later())
            return
        timeout = httpx.Timeout(self.link.timeout_seconds)
        async with httpx.AsyncClient(base_url=self.link.url, timeout=timeout) as http:
            if spm.credit_attempt_days:
                try:
                    found = await self._find(http, spm)
                except _Unknown as exc:
                    self.store.credit_not_done(spm_id, str(exc), next_at=self._later())
                    return
                if found is not None:
                    self.store.credit_done(spm_id, found)
                    return
            await self._send(http, spm)

    async def _send(self, http: httpx.AsyncClient, spm: Spm) -> None:
        self.store.credit_attempt(spm.spm_id, jakarta_day(self.wall()))
        body = {
            "bank": spm.bank_code,
            "accountNo": spm.account_no,
            "amount": spm.amount,
            "sourceBankCode": self.link.source_bank_code,
            "sourceAccountNo": self.link.source_account_no,
            "sourceName": f"{self.link.source_name} KPPN {spm.kppn_code}",
            "remark": spm.credit_remark,
        }
        try:
            response = await http.post("/admin/credits", json=body, headers=self._headers())
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            self.store.credit_not_done(
                spm.spm_id, f"bank unreachable: {exc!r}", next_at=self._later()
            )
            return
        except httpx.HTTPError as exc:
            self.store.credit_not_done(
                spm.spm_id,
                f"no answer from the bank ({type(exc).__name__}); the statement is checked "
                "before the next attempt",
                next_at=self._later(),
            )
            return
        if response.status_code == 200:
            reference = _reference(response)
            if reference:
                self.store.credit_done(spm.spm_id, reference)
                return
        message = _message(response)
        if 400 <= response.status_code < 500:
            self.store.credit_not_done(
                spm.spm_id,
                f"the bank refused ({response.status_code}): {message}",
                next_at=None,
                failed=True,
            )
            return
        self.store.credit_not_done(
            spm.spm_id,
            f"bank answered {response.status_code}: {message}; the statement is checked "
            "before the next attempt",
            next_at=self._later(),
        )

    async def _find(self, http: httpx.AsyncClient, spm: Spm) -> str | None:
        """The bank's reference of this SP2D's credit if the statement shows it, None if the
        statement of every day an attempt was made on (and the days around) does not."""
        days: set[str] = set()
        for text in spm.credit_attempt_days:
            attempt = date.fromisoformat(text)
            days.update((attempt + timedelta(days=d)).isoformat() for d in (-1, 0, 1))
        for day in sorted(days):
            path = f"/admin/statements/{spm.bank_code}/{spm.account_no}"
            try:
                response = await http.get(path, params={"date": day}, headers=self._headers())
            except httpx.HTTPError as exc:
                raise _Unknown(f"bank statement unavailable: {exc!r}") from exc
            if response.status_code == 404:
                return None  # no such account: nothing can have been booked on it
            if response.status_code != 200:
                raise _Unknown(f"bank statement answered {response.status_code}")
            try:
                statement = response.json()["BkToCstmrStmt"]["Stmt"]
                entries: list[dict[str, Any]] = statement["Ntry"]
                for entry in entries:
                    if entry["CdtDbtInd"] != "CRDT":
                        continue
                    if values.parse_amount(entry["Amt"]["value"]) != spm.amount:
                        continue
                    details = entry["NtryDtls"]["TxDtls"]
                    remarks = [r for d in details for r in d["RmtInf"]["Ustrd"]]
                    if spm.credit_remark in remarks:
                        return str(entry["AcctSvcrRef"])
                incomplete = bool(statement.get("AddtlStmtInf"))
            except (KeyError, TypeError, ValueError) as exc:
                raise _Unknown("unreadable bank statement") from exc
            if incomplete:
                raise _Unknown(f"bank statement of {day} is incomplete")
        return None

    # --- the background retry ------------------------------------------------------------------

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Retry due PENDING credits until ``stop`` is set."""
        self._wake = asyncio.Event()
        poll = min(1.0, self.link.retry_seconds / 2)
        while not stop.is_set():
            for spm_id in self.store.credits_due(self.clock()):
                if stop.is_set():
                    break
                await self.settle(spm_id)
            self._wake.clear()
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
            await asyncio.wait(waiters, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()

    async def retry_all(self) -> dict[str, int]:
        """Every PENDING or FAILED credit, now (admin)."""
        ids = [s.spm_id for s in self.store.spms(filters={"status": "APPROVED"}, limit=10**6)]
        tried = 0
        for spm_id in ids:
            spm = self.store.spm(spm_id)
            if spm is not None and spm.credit_status in (PENDING, FAILED):
                self.store.credit_requeue(spm_id)
                await self.settle(spm_id)
                tried += 1
        counts: dict[str, int] = self.store.counts()["credits"]
        return {"tried": tried, **counts}


def _reference(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    return str(data.get("referenceNo", "")) if isinstance(data, dict) else ""


def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(data, dict):
        return str(data.get("error") or data.get("message") or data)[:200]
    return str(data)[:200]
