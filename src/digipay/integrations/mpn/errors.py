"""What an MPN call can end in, besides success.

- ``MpnRejected``: the MPN answered no (4xx): nothing changed. ``code`` is the MPN's error code
  (``INVALID_FIELD``, ``REFERENCE_CONFLICT``, ``BILLING_NOT_FOUND``, ``AMOUNT_MISMATCH``,
  ``ALREADY_PAID``, ``BANK_REFERENCE_CONFLICT``, ``BILLING_EXPIRED``, ``UNAUTHORIZED``, ...).
- ``MpnUnavailable``: the MPN could not be reached, or answered 503: nothing was done. A read
  (status, lookup) that timed out or got a 5xx is also "unavailable": it changed nothing.
- ``MpnOutcomeUnknown``: a *write* (create a billing, record a payment) timed out, broke off or got
  a 5xx other than 503: it may or may not have been done. Ask before doing anything else.
"""

from __future__ import annotations


class MpnError(Exception):
    def __init__(
        self, message: str, *, code: str = "", status: int | None = None, field: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.field = field


class MpnRejected(MpnError):
    """The MPN said no: nothing happened."""


class MpnUnavailable(MpnError):
    """The MPN could not be reached or is down (503): nothing was done; try again later."""


class MpnOutcomeUnknown(MpnError):
    """A billing may or may not have been created, a payment may or may not have been recorded:
    resolve by ``billing_by_reference`` / ``billing_status`` before anything else."""
