"""In a real browser, a default run on the bundled sample is one to watch: slow motion, 100+ chart points.

The Train page's speed control spreads a run over about half a minute (``ui.runs.worker.Run.pace``);
full speed trains as fast as the server can.
"""

import re

import pytest
from playwright.sync_api import expect

from benchmarks.harness import chart_points, choose_full_speed, open_page

pytestmark = pytest.mark.browser


def test_a_default_run_on_the_sample_draws_a_chart_of_a_hundred_points_and_more(page):
    open_page(page, "train")
    expect(page.locator(".st-key-speed").get_by_role("radio", name=re.compile("slow motion"))).to_be_checked()
    page.get_by_role("button", name="Start training").click()  # every setting as it comes
    page.get_by_text(re.compile(r"^Done: 10 epochs in")).wait_for(timeout=180_000)
    assert chart_points(page) >= 100


def test_full_speed_can_be_chosen(page):
    open_page(page, "train")
    choose_full_speed(page)
    expect(page.locator(".st-key-speed").get_by_role("radio", name=re.compile("full speed"))).to_be_checked()

