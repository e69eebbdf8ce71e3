"""Browser fixtures: Debian's Chromium driven by Playwright's sync API against ``live_server``.

Chromium is never downloaded (no ``playwright install``): the tests use the system browser at
``$CHROMIUM_PATH`` (default ``/usr/bin/chromium``). Without it they are skipped on a developer
machine, and fail when ``CI`` is set or ``TEST_POSTGRES=required`` (the CI gate must not pass
silently without having driven a browser).

Every page gets watchers that collect console errors, uncaught script errors, CSP violations
(reported by the page's ``securitypolicyviolation`` event), failed requests and HTTP errors, so
that a test can assert the pages ran clean under the strict Content-Security-Policy.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    sync_playwright,
)

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 15_000

# Runs in every document before the page's own scripts (injected over CDP, so the page's CSP
# does not apply to it) and forwards CSP violations to Python through an exposed binding.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__digipayCspViolation(
    `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} on ${e.documentURI}` +
      (e.sourceFile ? ` (${e.sourceFile}:${e.lineNumber})` : "")
  );
});
"""


def _browser_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("TEST_POSTGRES") == "required"


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The system Chromium; skip without it locally, fail without it in CI."""
    wanted = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    found = shutil.which(wanted)
    if found is None:
        message = (
            f"Chromium not found or not executable at {wanted!r}: install Debian's `chromium` "
            "package or set CHROMIUM_PATH (the tests never run `playwright install`)."
        )
        if _browser_required():
            pytest.fail(message + " Browser tests are required here (CI / TEST_POSTGRES).")
        pytest.skip(message)
    return found


@pytest.fixture
def browser(chromium_executable: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    """A fresh headless Chromium per test.

    Playwright's sync API keeps an asyncio loop "running" in this thread (in a greenlet) from
    start to stop, and Django refuses ORM calls while a loop runs (SynchronousOnlyOperation).
    The test's own ORM calls (demo.load, assertions) are plain synchronous code, so allow them
    for the browser's lifetime only. ``monkeypatch`` is set up before and torn down after
    Playwright, and pytest-django's flush of the transactional database runs after both.
    """
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class PageProblems:
    """What went wrong in the browser while a test ran; each list should stay empty."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    documents: list[Response] = field(default_factory=list)

    def redirects_without_csp(self) -> list[str]:
        return [
            f"{r.status} {r.request.method} {r.url}"
            for r in self.documents
            if 300 <= r.status < 400 and "content-security-policy" not in r.headers
        ]

    def assert_clean(self) -> None:
        problems = {
            "console errors": self.console_errors,
            "uncaught page errors": self.page_errors,
            "CSP violations": self.csp_violations,
            "failed requests": self.failed_requests,
            "HTTP errors": self.http_errors,
        }
        found = {name: items for name, items in problems.items() if items}
        assert not found, f"browser reported problems: {found}"

    def assert_documents_have_csp(self) -> None:
        """Every page the browser rendered came with the strict policy. Redirects have no
        content to protect, and some are answered by middleware that runs before django-csp's
        (see redirects_without_csp), so they are not held to this."""
        pages = [r for r in self.documents if not 300 <= r.status < 400]
        assert pages, "no page was rendered"
        for response in pages:
            policy = response.headers.get("content-security-policy", "")
            assert "default-src 'self'" in policy, (
                f"{response.request.method} {response.url} ({response.status}) served "
                f"without the expected Content-Security-Policy: {policy!r}"
            )
            assert "script-src 'self'" in policy, policy
            assert "unsafe-inline" not in policy, policy


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def context(browser: Browser, page_problems: PageProblems) -> Iterator[BrowserContext]:
    ctx = browser.new_context(locale="id-ID", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(DEFAULT_TIMEOUT_MS)

    def on_csp_violation(_source: Any, description: str) -> None:
        page_problems.csp_violations.append(description)

    ctx.expose_binding("__digipayCspViolation", on_csp_violation)
    ctx.add_init_script(_CSP_LISTENER)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext, page_problems: PageProblems) -> Page:
    new_page = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        source = urlsplit(message.location.get("url", ""))
        if source.path == "/favicon.ico" and message.text.startswith("Failed to load resource"):
            # Chromium asks every origin for /favicon.ico on its own; the app serves none (and
            # declares no <link rel="icon">). Not an error of the page under test.
            return
        page_problems.console_errors.append(f"{message.text} @ {message.location}")

    def on_page_error(error: Exception) -> None:
        page_problems.page_errors.append(str(error))

    def on_request_failed(request: Request) -> None:
        page_problems.failed_requests.append(f"{request.url}: {request.failure}")

    def on_response(response: Response) -> None:
        if response.request.resource_type == "document" and response.request.frame == (
            new_page.main_frame
        ):
            page_problems.documents.append(response)
        if response.status >= 400:
            page_problems.http_errors.append(f"{response.status} {response.url}")

    new_page.on("console", on_console)
    new_page.on("pageerror", on_page_error)
    new_page.on("requestfailed", on_request_failed)
    new_page.on("response", on_response)
    return new_page
