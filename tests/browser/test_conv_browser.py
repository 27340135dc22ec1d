"""A convolutional network in a real browser: chosen on the Train page, trained live, then reading a drawn digit.

One conv layer of the Train page's first choice (8 filters of 5×5, as LeNet's) on the bundled sample,
three epochs: a few seconds in slow motion, long enough to pause it and step it, the rest at full speed.
"""

import re

import pytest
from playwright.sync_api import expect

from benchmarks.harness import chart_points, choose_full_speed, open_from_sidebar, start_training, wait_for_points
from benchmarks.strokes import replay, sample_strokes

pytestmark = pytest.mark.browser

ARCHITECTURE = "conv8x5-1152-128-10"  # 8 channels of 12×12 after the 5×5 conv and the pooling, then 128 hidden units


PAUSED_AT_JS = "() => +(/Paused at step ([\\d,]+)\\./.exec(document.body.innerText)?.[1].replace(/,/g, '') ?? -1)"


def paused_at(page, after=-1):
    """Wait until the Train page says the run is paused at a step past ``after``; return that step."""
    page.wait_for_function(f"after => ({PAUSED_AT_JS})() > after", arg=after)
    return page.evaluate(PAUSED_AT_JS)


def test_a_conv_net_trains_on_the_train_page_and_reads_a_drawn_digit(page):
    start_training(page, epochs=3, conv=[(8, 5)])  # the values a new conv layer starts with
    wait_for_points(page, 2)  # the live chart shows it learning
    expect(page.get_by_test_id("stSidebar").get_by_text(ARCHITECTURE)).to_be_visible()  # the run is the conv net

    page.get_by_role("button", name="Pause").click()
    step = paused_at(page)
    page.get_by_role("button", name="Step", exact=True).click()  # one batch, then it holds again
    # A step under way as Pause came may end after the page read the count: one batch on, or two, not an epoch.
    assert paused_at(page, step) - step in (1, 2)

    shown = chart_points(page)
    choose_full_speed(page)
    page.get_by_role("button", name="Resume").click()
    page.get_by_text(re.compile(r"^Done: 3 epochs in")).wait_for(timeout=120_000)
    assert chart_points(page) > shown
    expect(page.get_by_test_id("stMetric").filter(has_text="Test accuracy")).to_be_visible()

    open_from_sidebar(page, "Draw")  # the same session: its model is the conv run
    page.get_by_text("Draw a digit in the black square").wait_for()
    expect(page.get_by_test_id("stSidebar").get_by_text(ARCHITECTURE)).to_be_visible()
    expect(page.get_by_text("The Draw page reads with the pretrained")).to_have_count(0)
    strokes = sample_strokes(7)
    replay(page, strokes)
    expect(page.get_by_text(f"read after stroke {len(strokes)}")).to_be_visible()  # the whole digit is read
    page.wait_for_app()
    reading = page.get_by_test_id("stMetric").filter(has_text="Prediction").get_by_test_id("stMetricValue")
    expect(reading).to_have_text(re.compile(r"^(\d|not sure)$"))  # a small net on the sample: any answer is its own
    for key in ("draw_probs", "draw_saliency", "draw_hidden_1"):  # the probabilities, the saliency map, the 128 units
        # .first: while a rerun redraws a chart, the old copy may still stand beside the new one.
        expect(page.locator(f".st-key-{key} .js-plotly-plot").first).to_be_visible()
