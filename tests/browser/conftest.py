"""Fixtures for the real-browser tests: one app server and one Chromium for the whole session.

Outside CI the tests are skipped, saying why, when Chromium or Playwright is
missing; in CI (``CI`` set) that is a failure.
"""

import os
from contextlib import ExitStack

import pytest

from benchmarks.harness import chromium_path, exceptions, launch_browser, running_app, wait_for_app


def _missing():
    """Return why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -r requirements-dev.txt)"
    if chromium_path() is None:
        return "no Chromium at /usr/bin/chromium or $CHROMIUM_PATH (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def browser():
    """Yield a headless system Chromium."""
    why = _missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run in CI: {why}")
        pytest.skip(f"browser tests skipped: {why}")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)  # shared CI machines are slow: wait as long as page.* calls do
    with sync_playwright() as p:
        b = launch_browser(p)
        yield b
        b.close()


@pytest.fixture(scope="session")
def app_url(browser):
    """Yield the base URL of the app served by ``streamlit run`` on a free local port."""
    with running_app() as url:
        yield url


@pytest.fixture
def page(browser, app_url):
    """Yield a fresh browser page (its own Streamlit session); fail the test if an exception box shows."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    pg.app_url = app_url
    pg.wait_for_app = lambda: wait_for_app(pg)
    yield pg
    errors = exceptions(pg)
    context.close()
    assert not errors, f"the page showed an exception: {errors}"


@pytest.fixture
def first_request(browser):
    """Return open(path): a fresh browser page that opened path as the very first request to a server of its own.

    Each call starts its own ``streamlit run`` (the shared ``app_url`` server has long been
    warmed by other tests); the pages and servers are closed after the test.
    """
    with ExitStack() as opened:

        def open_(path):
            url = opened.enter_context(running_app())
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            opened.callback(context.close)
            pg = context.new_page()
            pg.set_default_timeout(60_000)
            pg.goto(f"{url}/{path}")
            wait_for_app(pg, timeout=60_000)
            return pg

        yield open_
