"""Adds the request id to every log record (never personal data)."""

from __future__ import annotations

import logging

from digipay.core import context


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = context.current().request_id or "-"
        return True
