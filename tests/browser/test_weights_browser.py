"""In a real browser, the Weights page follows a run that trains on the Train page, redrawing itself.

Every section draws without a warning in the browser's console.
"""

import pytest

from benchmarks.harness import (
    choose_fully_connected,
    open_from_sidebar,
    open_page,
    show_section,
    start_training,
    wait_for_points,
)
from pages.weights import SECTIONS

pytestmark = pytest.mark.browser

# What the page shows now: the step in its banner, a fingerprint of the first-layer grid's values and
# how many points the gradient-norm chart has.  A redraw briefly holds old and new charts side by
# side, so every copy is read and the newest numbers win.
STATE_JS = """() => {
  const steps = [...document.querySelectorAll('[data-testid="stAlert"]')]
    .map(e => /step ([\\d,]+) of/.exec(e.innerText)).filter(m => m).map(m => +m[1].replace(/,/g, ''));
  const plots = key => [...document.querySelectorAll(`.st-key-${key} .js-plotly-plot`)].filter(e => e.data);
  // Plotly keeps arrays sent as base64 in that form ({dtype, bdata, _inputArray}).
  const values = a => a?._inputArray ?? a;
  const fingerprint = z => {
    const s = z.bdata ?? JSON.stringify(z, (k, v) => ArrayBuffer.isView(v) ? Array.from(v) : v);
    let h = 0;
    for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
    return h;
  };
  return {
    step: Math.max(-1, ...steps),
    grids: plots('weights_grid').filter(e => e.data[0]?.z).map(e => fingerprint(e.data[0].z)),
    points: Math.max(0, ...plots('weights_health_grad').map(e => values(e.data[0]?.x)?.length ?? 0)),
  };
}"""


def test_weights_page_redraws_while_a_run_trains(page):
    start_training(page, epochs=500)
    wait_for_points(page, 2)  # the run is under way
    open_from_sidebar(page, "Weights")
    page.get_by_test_id("stAlert").filter(has_text="redrawn every 2 s").wait_for()  # the live run's banner
    page.wait_for_function(f"() => {{ const s = ({STATE_JS})(); return s.step > 0 && s.grids.length; }}",
                           timeout=60_000)
    before = page.evaluate(STATE_JS)

    # No reload, no click: within a few redraws the numbers and the grid have moved on...
    page.wait_for_function(
        f"""before => {{
          const s = ({STATE_JS})();
          return s.step > before.step && s.grids.some(g => !before.grids.includes(g));
        }}""", arg=before, timeout=60_000)  # generous: a busy machine draws slowly
    assert "Inside the network" in page.inner_text("h1")
    # ...and in another section, the training health chart gains points as it is redrawn.
    show_section(page, "Training health")
    page.wait_for_function(f"() => ({STATE_JS})().points > 0", timeout=60_000)
    before = page.evaluate(STATE_JS)
    page.wait_for_function(f"before => ({STATE_JS})().points > before.points", arg=before, timeout=60_000)
    assert not page.evaluate(STATE_JS)["grids"]  # one section at a time: the neurons' grid is not drawn now

    # Stop the run from the Train page, reached by its address (which carries the run's id): a click in
    # a page busy redrawing eleven charts can wait long for the browser on a loaded machine.
    page.goto(page.url.replace("/weights", "/train"))
    page.get_by_role("button", name="Stop").click(timeout=60_000)


def test_the_home_page_loads_the_chart_library_before_it_is_needed(page):
    # Streamlit fetches Plotly only for a page's first chart; the home page has none, so it fetches it
    # while people read, and the Weights page's charts are then drawn without that wait.
    page.goto(page.app_url)
    page.wait_for_app()
    page.wait_for_function("window.Plotly !== undefined")
    open_from_sidebar(page, "Weights")
    page.locator(".st-key-weights_filters img").wait_for()  # the default (conv) model's filters: a picture
    show_section(page, "Weights and biases")
    page.locator(".st-key-weights_matrix .js-plotly-plot").wait_for()
    loads = page.evaluate("performance.getEntriesByType('resource').filter(r => /PlotlyChart/.test(r.name)).length")
    assert loads == 1  # the page's charts used the module the home page loaded


# The page has Plotly charts and every one is drawn: laid out, its traces in place.
CHARTS_DRAWN_JS = """() => { const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  return charts.length > 0 && charts.every(el => { const gd = el.querySelector('.js-plotly-plot');
    return gd && gd._fullLayout && gd._fullData && gd.querySelector('.main-svg'); }); }"""


def test_every_section_draws_without_a_console_warning_or_a_failed_request(page):
    # The page once logged over 2,000 "Invalid color specifier" warnings a visit (colours Plotly did not read).
    said = []
    page.on("console", lambda m: said.append(f"{m.type}: {m.text}") if m.type in ("warning", "error")
            and "GL Driver Message" not in m.text else None)  # but Chromium's notes on its software WebGL
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    open_page(page, "")  # reached from the sidebar, so Streamlit's own search for its address logs no 404
    open_from_sidebar(page, "Weights")
    choose_fully_connected(page)  # for its neurons' section
    for key, name in SECTIONS.items():
        show_section(page, name)
        if key != "health":  # its charts follow a run's training, and this model was trained long ago
            page.wait_for_function(CHARTS_DRAWN_JS, timeout=60_000)
    assert not said, said
    assert not failed, failed
