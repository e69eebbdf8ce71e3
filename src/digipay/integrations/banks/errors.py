"""What a bank call can end in, besides success."""

from __future__ import annotations


class BankError(Exception):
    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class BankRejected(BankError):
    """The bank said no (insufficient funds, invalid account, ...): nothing happened."""


class BankUnavailable(BankError):
    """The bank could not be reached or the circuit is open: nothing was sent."""


class BankTimeout(BankError):
    """No answer in time, and the status could not be established yet."""


class OutcomeUnknown(BankError):
    """We may or may not have moved money: reconcile by status before doing anything else."""
