"""Every page on a phone, in a real browser; on the Draw page a finger draws a digit and its reading shows at once.

A touch-enabled mobile context (390×844, as an iPhone 12-14) draws with real touch events,
sent through the Chrome DevTools Protocol (``Input.dispatchTouchEvent``), as a finger would.
"""

import pytest
from playwright.sync_api import expect

from benchmarks.harness import exceptions, show_section, wait_for_app

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}


@pytest.fixture
def phone(browser, app_url):
    """Yield a page in a touch-enabled phone-sized context on the Draw page; fail if an exception box shows."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{app_url}/draw")
    wait_for_app(page)
    page.locator("canvas.upper-canvas").wait_for()
    yield page
    errors = exceptions(page)
    context.close()
    assert not errors, f"the page showed an exception: {errors}"


def touch_stroke(page, points):
    """Draw one stroke through points (x, y in page pixels) with a finger: touch start, moves, end."""
    cdp = page.context.new_cdp_session(page)
    (x, y), *rest = points
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for x, y in rest:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def on_screen(page, locator):
    """Return True if locator's element lies wholly inside the viewport as it is now."""
    box, view = locator.bounding_box(), page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= view["height"] and box["x"] >= 0 \
        and box["x"] + box["width"] <= view["width"]


def test_a_finger_drawn_one_is_read_and_the_reading_shows_beside_the_canvas(phone):
    canvas = phone.locator("canvas.upper-canvas")
    box = canvas.bounding_box()
    x = box["x"] + box["width"] / 2
    touch_stroke(phone, [(x, box["y"] + box["height"] * (0.15 + 0.07 * i)) for i in range(11)])  # a "1"
    prediction = phone.get_by_test_id("stMetric").filter(has_text="Prediction")
    expect(prediction.get_by_test_id("stMetricValue")).to_have_text("1")
    confidence = phone.get_by_text(" sure · read after stroke 1")
    assert phone.evaluate("window.scrollY") == 0  # nothing scrolled: all of it is on the first screen
    for part in (prediction, confidence, canvas):
        assert on_screen(phone, part), part
    bars = phone.locator(".st-key-draw_probs .js-plotly-plot")
    bars.wait_for()
    assert phone.locator(".st-key-draw_probs .modebar").count() == 0  # no mode bar: nothing to zoom on a phone


# How far the page is wider than the screen (0 when nothing scrolls sideways), and the Plotly mode bars shown.
LAYOUT_JS = """() => {
  const main = document.querySelector('[data-testid=stMain]');
  const page = document.documentElement;
  return {wider: Math.max(page.scrollWidth - window.innerWidth, main.scrollWidth - main.clientWidth),
          modebars: [...document.querySelectorAll('.modebar')].filter(e => e.checkVisibility()).length};
}"""


# The Lab draws only its open tab: each is checked, with the pictures it shows.
LAB_TABS = {"Damage tests": 6, "I don't know": 1}  # a row of examples per damage; the accuracy–coverage curve


@pytest.mark.parametrize("path, charts, pictures", [("", 0, 0), ("train", 0, 0), ("weights", 0, 1), ("draw", 0, 0),
                                                    ("lab", 0, 1)])
def test_every_page_fits_a_phone_without_a_mode_bar_over_its_charts(browser, app_url, path, charts, pictures):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{app_url}/{path}")
    wait_for_app(page, 60_000)
    page.get_by_test_id("stMain").locator("h1").first.wait_for()
    views = [(path, charts, pictures)]
    for tab, shown in (LAB_TABS.items() if path == "lab" else ()):
        views.append((tab, 0, shown))
    layouts, errors = {}, []
    for view, charts, pictures in views:
        if view != path:
            page.get_by_role("tab", name=view).click()
            wait_for_app(page, 60_000)
        page.wait_for_function(f"() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}")
        page.wait_for_function(f"() => [...document.querySelectorAll('[data-testid=stImage] img')]"
                               f".filter(img => img.complete && img.naturalWidth).length >= {pictures}")
        layouts[view] = page.evaluate(LAYOUT_JS)
        errors += exceptions(page)
    context.close()
    assert not errors
    for view, layout in layouts.items():
        assert layout["wider"] <= 0, f"/{path} ({view}) scrolls sideways by {layout['wider']} px on a phone"
        assert layout["modebars"] == 0, f"/{path} ({view}) shows {layout['modebars']} Plotly mode bars on a phone"


def test_a_mouse_still_gets_the_mode_bar_on_a_chart_it_hovers(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{app_url}/weights")
    wait_for_app(page, 60_000)
    show_section(page, "Weights and biases")
    chart = page.locator(".st-key-weights_matrix .js-plotly-plot")
    chart.hover()
    expect(chart.locator(".modebar")).to_be_visible()  # zoom and reset for those who can hover
    context.close()


def test_on_a_phone_the_train_page_shows_start_and_its_chart_before_the_settings(browser, app_url):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{app_url}/train")
    wait_for_app(page, 60_000)
    start = page.get_by_role("button", name="Start training")
    start.wait_for()
    assert on_screen(page, start)  # on the first screen, not below the fifteen settings
    settings = page.get_by_text("Hidden layers (how many)")
    assert settings.bounding_box()["y"] > start.bounding_box()["y"]  # the settings follow, below
    start.tap()
    chart = page.locator(".st-key-curves .js-plotly-plot")
    chart.wait_for()
    assert chart.bounding_box()["y"] < settings.bounding_box()["y"]  # the live chart sits above them too
    page.get_by_role("button", name="Stop").tap()
    errors = exceptions(page)
    context.close()
    assert not errors
