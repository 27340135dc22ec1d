"""The Draw page in a real browser: a digit drawn with the mouse is read, Clear empties it, and it can be kept."""

import numpy as np
import pytest
from playwright.sync_api import expect

from benchmarks.harness import open_expander
from benchmarks.strokes import replay, sample_strokes

pytestmark = pytest.mark.browser


def open_draw(page):
    """Open the Draw page the way people do: the home page, then its sidebar link."""
    page.goto(page.app_url)
    page.wait_for_app()
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Draw").click()
    page.get_by_text("Draw a digit in the black square").wait_for()
    page.wait_for_app()


def prediction(page):
    """Return the Prediction metric's locator."""
    return page.get_by_test_id("stMetric").filter(has_text="Prediction")


def test_a_drawn_digit_is_read_as_it_is_drawn_and_clear_empties_the_canvas(page):
    open_draw(page)
    replay(page, sample_strokes(7))
    expect(prediction(page).get_by_test_id("stMetricValue")).to_have_text("7")
    expect(page.get_by_text("What the network sees")).to_be_visible()
    page.get_by_role("button", name="Clear").click()
    expect(prediction(page).get_by_test_id("stMetricValue")).to_have_text("–")  # nothing read on the new canvas
    expect(page.get_by_text("Draw a digit in the black square")).to_be_visible()


def test_a_stroke_begun_at_once_in_the_top_right_corner_is_drawn(page):
    # Where the canvas's toolbar hides until hovered: a finger landing there must still draw.
    open_draw(page)
    box = page.locator("canvas.upper-canvas").bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + 262, y - 80)  # from above the canvas, straight down into its corner
    page.mouse.move(x + 262, y + 6)
    page.mouse.down()
    for t in np.linspace(0, 1, 20):
        page.mouse.move(x + 262 - 110 * t, y + 6 + 200 * t)
    page.mouse.up()
    expect(page.get_by_text("read after stroke 1")).to_be_visible()


def test_a_drawing_joins_my_digits_with_its_right_label(page):
    open_draw(page)
    replay(page, sample_strokes(7))
    prediction(page).wait_for()
    page.wait_for_app()
    open_expander(page, "draw_teach_open")
    label = page.get_by_role("combobox", name="Right label")
    label.click()
    label.fill("7")
    page.get_by_role("option", name="7", exact=True).click()
    add = page.get_by_role("button", name="Add to my digits")
    expect(add).to_be_enabled()
    add.click()
    expect(page.get_by_text("Your digits: 1")).to_be_visible()
    expect(page.get_by_text("Draw a digit in the black square")).to_be_visible()  # cleared for the next one
    expect(page.get_by_role("button", name="Download my digits (.npz)")).to_be_visible()
    expect(page.get_by_role("button", name="Fine-tune on my digits")).to_be_enabled()


COUNT_SENDS = """() => {
  window.__sent = 0;
  window.addEventListener('click', (e) => {
    const target = e.composedPath()[0];  // inside the canvas's shadow root
    if (target.getAttribute?.('aria-label') === 'Update the app with this drawing') window.__sent++;
  }, true);
}"""


def test_each_stroke_is_sent_as_the_pen_lifts_without_the_canvas_own_wait(page):
    # The page presses the canvas's own send button on mouse-up (ui/frontend/canvas_fixes.js); if a new
    # canvas version renamed that button, drawings would again wait 200 ms before they are read.
    open_draw(page)
    page.evaluate(COUNT_SENDS)
    strokes = sample_strokes(4)
    replay(page, strokes)
    page.wait_for_function("n => window.__sent >= n", arg=len(strokes))
    expect(prediction(page).get_by_test_id("stMetricValue")).to_have_text("4")
