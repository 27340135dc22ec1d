"""The Train page in a real browser: training on the sample draws a growing chart, survives a page switch, stops.

The ``page`` fixture fails a test if an exception box shows on the page.
"""

import re

import pytest

from benchmarks.harness import chart_points, start_training, step_shown, wait_for_points

pytestmark = pytest.mark.browser


def metric(page, label):
    """Return the locator of the metric with this label."""
    return page.get_by_test_id("stMetric").filter(has=page.get_by_test_id("stMetricLabel").filter(has_text=label))


def test_training_grows_the_chart_in_place_and_stops(page):
    start_training(page, epochs=500)
    wait_for_points(page, 3)
    before = chart_points(page)
    page.evaluate("document.querySelector('.st-key-curves .js-plotly-plot').dataset.seen = 'yes'")
    wait_for_points(page, before + 2)  # the same chart grows: no reload needed
    # ...and it is the same element, redrawn in place, not a new chart built each second (which blinks)
    assert page.evaluate("document.querySelector('.st-key-curves .js-plotly-plot').dataset.seen") == "yes"
    for label in ("Epoch", "Train loss", "Validation accuracy"):
        assert metric(page, label).count() == 1
    page.get_by_role("button", name="Stop").click()
    assert metric(page, "Test accuracy").inner_text().endswith("%")
    page.get_by_text(re.compile("^Stopped after")).wait_for()
    assert page.get_by_role("button", name="Start training").is_enabled()


def test_training_goes_on_while_the_user_is_on_another_page(page):
    start_training(page, epochs=500)
    wait_for_points(page, 2)
    first = step_shown(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Draw").click()
    page.wait_for_url("**/draw*")
    page.wait_for_timeout(2000)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Train").click()
    page.wait_for_url("**/train*")
    wait_for_points(page, 2)
    assert step_shown(page) > first
    page.get_by_test_id("stSidebar").get_by_text(re.compile(r"run \w+ \(running\)")).wait_for()  # the live model
    page.get_by_role("button", name="Stop").click()
    metric(page, "Test accuracy").wait_for()


def test_a_reload_brings_the_run_back_still_learning(page):
    start_training(page, epochs=500)
    wait_for_points(page, 2)
    page.wait_for_url(re.compile(r"[?&]run=[0-9a-f]+"))  # the run's id is in the address
    first = step_shown(page)
    address = page.url
    page.reload()  # a new Streamlit session: the old one, and all it held, is gone
    page.wait_for_app()
    assert page.url == address
    wait_for_points(page, 2)
    assert step_shown(page) > first  # the same run, and it kept learning
    page.get_by_role("button", name="Stop").click()
    metric(page, "Test accuracy").wait_for()
