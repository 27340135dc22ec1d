"""In a real browser, a plain link finds the browser's runs again; another browser does not see them.

The browser id lives in the page address (``?b=``) and in a first-party cookie (``ui.session``).
"""

import re

import pytest
from playwright.sync_api import expect

from benchmarks.harness import exceptions, open_page, start_training, step_shown, wait_for_points

pytestmark = pytest.mark.browser


def fresh_page(context, app_url):
    """Return a new tab of context that knows the app's address."""
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.app_url = app_url
    return tab


def test_a_plain_link_in_the_same_browser_finds_the_run_and_another_browser_does_not(browser, app_url):
    mine = browser.new_context(viewport={"width": 1400, "height": 1000})
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        tab = fresh_page(mine, app_url)
        start_training(tab, epochs=500)
        wait_for_points(tab, 2)
        tab.wait_for_url(re.compile(r"[?&]run=[0-9a-f]+"))
        run_id = re.search(r"[?&]run=([0-9a-f]+)", tab.url).group(1)
        first = step_shown(tab)
        ticks = tab.locator(".st-key-curves .y2tick text").all_text_contents()  # the accuracy axis
        assert len(ticks) >= 2 and len(set(ticks)) == len(ticks), ticks  # no "90%, 90%, 90%"
        assert not exceptions(tab)
        tab.close()  # the Streamlit session ends; the run goes on, on its worker

        again = fresh_page(mine, app_url)
        open_page(again, "train")  # the plain link: no ?b=, no ?run=
        again.wait_for_url(re.compile(rf"[?&]run={run_id}"))
        expect(again.get_by_role("heading", name="Saved runs of this browser")).to_be_visible()
        wait_for_points(again, 2)
        again.wait_for_function("n => (/Step ([\\d,]+) of/.exec(document.body.innerText)?.[1] ?? '0')"
                                ".replace(/,/g, '') > n", arg=first, timeout=60_000)  # still learning
        assert not exceptions(again)

        stranger = fresh_page(other, app_url)
        open_page(stranger, "train")
        expect(stranger.get_by_role("button", name="Start training")).to_be_enabled()
        expect(stranger.get_by_text("Saved runs of this browser")).to_have_count(0)
        expect(stranger.get_by_text(re.compile(r"^Step [\d,]+ of"))).to_have_count(0)
        assert run_id not in stranger.url and "b=" in stranger.url
        assert re.search(r"[?&]b=([0-9a-f]+)", stranger.url).group(1) not in again.url

        again.get_by_role("button", name="Stop").click()
        again.get_by_text(re.compile("^Stopped after")).wait_for()
    finally:
        mine.close()
        other.close()
