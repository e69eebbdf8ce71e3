"""What a SPAN call can end in, besides success.

- ``SpanRejected``: SPAN answered no (4xx): nothing changed. ``code`` is SPAN's error code
  (``INVALID_FIELD``, ``AMOUNT_MISMATCH``, ``INVOICE_NET_MISMATCH``, ``DUPLICATE_INVOICE``,
  ``INVOICE_ALREADY_CLAIMED``, ``SPM_CONFLICT``, ``TUP_NOT_FOUND``, ``TUP_ALREADY_ACCOUNTED``,
  ``PTUP_EXCEEDS_TUP``, ``SPM_NOT_FOUND``, ``WRONG_KPPN``, ``INVALID_STATE``, ``UNAUTHORIZED``).
- ``SpanUnavailable``: SPAN could not be reached, or answered 503: nothing was done. A read
  (get, list) that timed out or got a 5xx is also "unavailable": it changed nothing.
- ``SpanOutcomeUnknown``: a *write* (submit, approve, reject, credit) timed out, broke off or got
  a 5xx other than 503, and asking SPAN afterwards did not settle it: it may or may not have
  been done. Ask again (``find_spm`` / ``get_spm``) before anything else.
"""

from __future__ import annotations


class SpanError(Exception):
    def __init__(
        self, message: str, *, code: str = "", status: int | None = None, field: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.field = field


class SpanRejected(SpanError):
    """SPAN said no: nothing happened."""


class SpanUnavailable(SpanError):
    """SPAN could not be reached or is down (503): nothing was done; try again later."""


class SpanOutcomeUnknown(SpanError):
    """An SPM may or may not have been submitted, approved or rejected: resolve by
    ``find_spm`` / ``get_spm`` before anything else."""
