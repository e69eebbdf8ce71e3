"""Every link in every demo user's navigation opens: each role's menu (built by
``accounts.context_processors.navigation`` from the gate's table) must lead to a page the
role may see, in Indonesian and in English — a link that answers 403, 404 or 500 is a bug."""

from __future__ import annotations

import re
from typing import Any

from digipay.accounts.models import User

NAV_LINK = re.compile(r"<nav[^>]*>(.*?)</nav>", re.S)
HREF = re.compile(r'href="(/[^"#?]*)"')


def _nav_links(html: str) -> set[str]:
    links: set[str] = set()
    for block in NAV_LINK.findall(html):
        links.update(HREF.findall(block))
    return links


def test_every_navigation_link_of_every_role_opens(
    world: dict[str, Any], login_client: Any
) -> None:
    seen_roles: set[str] = set()
    every_link: set[str] = set()
    checked = 0
    users = User.objects.filter(email__endswith=".demo.digipay.id", is_active=True).order_by("id")
    for user in users:
        if user.role in seen_roles:
            continue  # one user per role is enough: the menu depends on the role
        seen_roles.add(user.role)
        client = login_client(user.email)
        links = _nav_links(client.get("/").content.decode())
        assert links, f"{user.role}: no navigation"
        every_link |= links
        for link in sorted(links - {"/keluar/"}):
            for language in ("id", "en"):
                # A menu link may redirect (e.g. /up/ to the user's own satker) to a page.
                response = client.get(link, HTTP_ACCEPT_LANGUAGE=language, follow=True)
                assert response.status_code == 200, (
                    user.role,
                    link,
                    language,
                    response.status_code,
                )
                checked += 1
    # The treasury cycle's pages are in somebody's menu.
    assert {
        "/pembayaran/setoran-pajak/",
        "/pembayaran/pengembalian/",
        "/tagihan-kkp/",
        "/penggantian-up/",
        "/kppn/spm/",
        "/kppn/sanksi/",
        "/pembukuan/",
        "/rekonsiliasi/",
    } <= every_link
    assert len(seen_roles) >= 12
    assert checked > 100
