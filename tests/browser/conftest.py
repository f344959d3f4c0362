"""Playwright (sync API) against Django's live server, in Debian's chromium.

One browser per session, a fresh context and page per test. Playwright's sync API keeps an
event loop running in the test thread, so Django's async-safety check must be relaxed for the
ORM calls the tests make to arrange data and check what was saved.
"""

import os
import tempfile
import threading
from pathlib import Path

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


class _Connections:
    """The live server's open browser connections, counted so a test ends only once all are closed.

    Every page polls the server (the incoming-call card each second). A request still running when
    the test database is flushed holds row locks on PostgreSQL, and TRUNCATE then deadlocks with it
    ("couldn't be flushed"). The count rises in the server thread before a request's thread starts,
    and falls after that thread has closed its database connections.
    """

    def __init__(self):
        self.open = 0
        self.changed = threading.Condition()

    def wait_until_closed(self, timeout: float = 15.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.open == 0, timeout=timeout)


CONNECTIONS = _Connections()
_process_request = ThreadedWSGIServer.process_request
_process_request_thread = ThreadedWSGIServer.process_request_thread


def _counted_process_request(self, request, client_address):
    with CONNECTIONS.changed:
        CONNECTIONS.open += 1
    try:
        return _process_request(self, request, client_address)
    except BaseException:
        _closed()
        raise


def _counted_process_request_thread(self, request, client_address):
    try:
        _process_request_thread(self, request, client_address)
    finally:
        _closed()


def _closed():
    with CONNECTIONS.changed:
        CONNECTIONS.open -= 1
        CONNECTIONS.changed.notify_all()


ThreadedWSGIServer.process_request = _counted_process_request
ThreadedWSGIServer.process_request_thread = _counted_process_request_thread

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}


def screenshots_dir() -> Path:
    """Where the journeys save their screenshots: docs/screenshots/ when POLICYDESK_SCREENSHOTS=1
    (to refresh the documentation's pictures), else a temporary directory, so that a test run
    leaves the checkout as it was."""
    if os.environ.get("POLICYDESK_SCREENSHOTS") == "1":
        where = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    else:
        where = Path(tempfile.gettempdir()) / f"policydesk-screenshots-{os.getpid()}"
    where.mkdir(parents=True, exist_ok=True)
    return where


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} is not installed (Debian's chromium package)"))


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", base_url=live_server.url)
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()
        # Closing the browser closes its connections; wait for the server to finish what they asked.
        assert CONNECTIONS.wait_until_closed(), "the live server still serves a request after the browser closed"


@pytest.fixture
def page(context):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    assert not errors, f"JavaScript errors on the page: {errors}"


def log_in_with_cookie(context, live_server, user) -> None:
    """Sign ``user`` in by handing the browser a session made by Django's test client."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])


@pytest.fixture
def signed_in(context, live_server):
    """``signed_in(user)``: the page's browser is now signed in as ``user``."""
    return lambda user: log_in_with_cookie(context, live_server, user)
