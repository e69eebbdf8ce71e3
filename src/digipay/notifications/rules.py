"""Pure decisions of notifications: limits, links, e-mail retries."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext as _

TITLE_MAX = 200
BODY_MAX = 4000
LINK_MAX = 500
# E-mails that did not go out are tried again by the periodic job, a few times, for a day.
MAX_EMAIL_ATTEMPTS = 5
RETRY_AFTER = timedelta(minutes=10)
RETRY_WITHIN = timedelta(days=1)
RETRY_BATCH = 500


def link_error(link: str) -> str | None:
    """A link must be a path inside Digipay ("/…"), so a notification can never send a user to
    another site or run a ``javascript:`` URL."""
    if not link:
        return None
    if len(link) > LINK_MAX:
        return _("Tautan terlalu panjang.")
    if not link.startswith("/") or link.startswith("//") or "\\" in link:
        return _("Tautan harus berupa alamat di dalam Digipay (diawali '/').")
    if any(ch.isspace() or ord(ch) < 32 for ch in link):
        return _("Tautan tidak boleh berisi spasi.")
    return None


def text_error(title: str, body: str) -> str | None:
    if not title.strip():
        return _("Judul notifikasi wajib diisi.")
    if len(title) > TITLE_MAX:
        return _("Judul notifikasi terlalu panjang.")
    if len(body) > BODY_MAX:
        return _("Isi notifikasi terlalu panjang.")
    return None
