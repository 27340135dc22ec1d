"""In a real browser, the Weights page's activation map follows a run that trains: its points move."""

import re

import pytest

from benchmarks.harness import open_from_sidebar, show_section, start_training, wait_for_points

pytestmark = pytest.mark.browser

# Where the map draws its first class's points now (Plotly's _fullData: what it has drawn), as
# [how many, the sum of their x and y]; a redraw briefly holds old and new charts, so the newest wins.
POINTS_JS = """() => {
  const plots = [...document.querySelectorAll('.st-key-map_pca .js-plotly-plot')].filter(e => e._fullData);
  const last = plots[plots.length - 1];
  const t = last?._fullData?.[0];
  if (!t?.x) return [0, 0];
  let sum = 0;
  for (let i = 0; i < t.x.length; i++) sum += t.x[i] + t.y[i];
  return [t.x.length, sum];
}"""


def test_the_map_moves_while_a_run_trains(page):
    start_training(page, epochs=500)
    wait_for_points(page, 2)  # the run is under way
    open_from_sidebar(page, "Weights")
    show_section(page, "Digits as each layer sees them")
    page.get_by_text("Redrawn every 2 s as the run learns").wait_for(timeout=60_000)
    page.wait_for_function(f"() => ({POINTS_JS})()[0] > 0", timeout=60_000)
    before = page.evaluate(POINTS_JS)

    # No click: within a few redraws the same digits stand elsewhere, as the first hidden layer learns.
    page.wait_for_function(f"before => {{ const now = ({POINTS_JS})(); "
                           "return now[0] === before[0] && Math.abs(now[1] - before[1]) > 1e-6; }",
                           arg=before, timeout=60_000)
    page.goto(page.url.replace("/weights", "/train"))
    page.get_by_role("button", name="Stop").click(timeout=60_000)


# The page position of the map's first point of the first class (Plotly's axes map data to pixels).
FIRST_POINT_JS = """() => {
  const plot = [...document.querySelectorAll('.st-key-map_pca .js-plotly-plot')].pop();
  const t = plot._fullData[0], xa = plot._fullLayout.xaxis, ya = plot._fullLayout.yaxis;
  const box = plot.querySelector('.nsewdrag').getBoundingClientRect();
  return [box.left + xa.l2p(t.x[0]), box.top + ya.l2p(t.y[0])];
}"""


def test_clicking_a_point_shows_its_digit(page):
    page.goto(page.app_url)
    page.wait_for_app()
    open_from_sidebar(page, "Weights")
    show_section(page, "Digits as each layer sees them")
    chart = page.locator(".st-key-map_pca .js-plotly-plot").last
    chart.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('.st-key-map_pca .js-plotly-plot')?._fullData?.[0]?.x?.length")
    x, y = page.evaluate(FIRST_POINT_JS)
    page.mouse.click(x, y)
    # The picture beside the map, captioned (the hover box says "read as" too, so the caption is what counts).
    page.get_by_text(re.compile(r"^Test digit \d+: label \d, read as \d$")).wait_for(timeout=60_000)
    assert page.get_by_test_id("stImage").count() == 1
