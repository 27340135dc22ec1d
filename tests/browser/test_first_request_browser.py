"""Every link works on a freshly started server: whichever page is the first request, app.py routes it.

Each test starts its own server (the ``first_request`` fixture), so the page it opens is the very
first thing that server is asked for.  Streamlit would
run the page on its own in its old folder-based multipage mode, were it not for ``ui/routing.py``.
"""

import re

import pytest
from playwright.sync_api import expect

from benchmarks.harness import exceptions, wait_for_app

pytestmark = pytest.mark.browser

APP_PAGES = [re.compile(rf"^\W*{title}$") for title in ("Home", "Train", "Weights", "Draw", "Lab")]  # after an icon
# path -> (the page's heading, a control only that page has)
FIRST = {
    "": ("MNIST Playground", lambda p: p.get_by_test_id("stPageLink")),
    "train?lr=3": ("Train", lambda p: p.get_by_role("button", name="Start training")),
    "weights": ("Inside the network", lambda p: p.get_by_test_id("stSidebarNav")),
    "draw?b=0123456789abcdef": ("Draw a digit", lambda p: p.locator("canvas.upper-canvas")),
    "lab": ("Lab", lambda p: p.get_by_role("tab", name="Damage tests")),
}


@pytest.mark.parametrize("path", list(FIRST), ids=lambda p: "/" + p)
def test_the_first_request_to_a_fresh_server_gets_the_apps_navigation(first_request, path):
    heading, control = FIRST[path]
    page = first_request(path)
    expect(page.get_by_test_id("stMain").locator("h1").first).to_contain_text(heading)
    links = page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink")
    expect(links).to_have_text(APP_PAGES)  # not app, draw, home, lab, train, weights
    expect(control(page).first).to_be_visible()
    assert page.title() != "app", "app.py's page config is not in force"
    assert page.evaluate("document.querySelector('[data-testid=stAppViewContainer]')"
                         ".getAttribute('data-layout')") == "wide"
    # and it stays so: going to another page by its link keeps the app's navigation
    links.filter(has_text="Home" if path else "Train").click()
    wait_for_app(page)
    expect(links).to_have_text(APP_PAGES)
    assert not exceptions(page)
