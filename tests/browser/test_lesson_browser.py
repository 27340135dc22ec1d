"""A lesson link in a real browser: as the first request to a fresh server, it locks and hides Train settings.

The test starts its own server, so the link is the very first thing that server is asked for
(the route through ``app.py`` must keep the link's query string), as when a teacher's link is
the first thing a class opens.
"""

import re

import pytest
from playwright.sync_api import expect

from benchmarks.harness import exceptions

pytestmark = pytest.mark.browser


def test_a_lesson_link_as_the_first_request_shows_the_locked_value_and_hides_a_control(first_request):
    page = first_request("train?lr=0.05&epochs=3&lock=lr&hide=optimizer")
    settings = page.get_by_test_id("stMain")
    expect(settings.get_by_test_id("stSelectbox").filter(has_text="Activation")).to_be_visible()
    rate = settings.get_by_role("combobox", name="Learning rate")
    expect(rate).to_have_value("0.05")
    expect(rate).to_be_disabled()
    expect(settings.get_by_test_id("stSelectbox").filter(has_text="Optimiser")).to_have_count(0)
    expect(settings.get_by_text(re.compile("^Some settings are set by this lesson"))).to_be_visible()
    epochs = settings.get_by_role("spinbutton", name="Epochs", exact=True)
    expect(epochs).to_have_value("3")
    expect(epochs).to_be_enabled()
    # the address keeps the lesson beside this browser's id, so a reload keeps it too
    expect(page).to_have_url(re.compile(r"/train\?(?=.*\blr=0\.05)(?=.*\block=lr)(?=.*\bhide=optimizer)"
                                        r"(?=.*\bb=[0-9a-f]{16})"))
    # the link to share opens the Train page with the same settings, without this browser's id
    page.get_by_role("button", name=re.compile("Copy a link to these settings")).click()
    shared = page.get_by_test_id("stCode").filter(has_text="lr=0.05")
    expect(shared).to_have_text(re.compile(r"^\s*http://127\.0\.0\.1:\d+/train"
                                           r"\?lr=0\.05&epochs=3&lock=lr&hide=optimizer\s*$"))
    assert not exceptions(page)
