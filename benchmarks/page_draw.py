"""Time how long each page takes to be fully drawn in the browser, and how fast a fresh Draw page reads a first stroke.

    python benchmarks/page_draw.py                    # 5 repeats of everything
    python benchmarks/page_draw.py --repeats 3 --strokes 10 --pages Weights,Draw
    python benchmarks/page_draw.py --against ../main --pages Train,Lab --repeats 8   # this checkout against another

It starts ``streamlit run app.py`` (``benchmarks/harness.py``), visits every page once to warm
the server's caches (the dataset, the pretrained model), then, in headless Chromium, times:

(a) **sidebar click**: in one tab (one Streamlit session), a click on each page's sidebar link
    in turn (Home, Train, Weights, Draw, Lab, Home, ...), from the click to the page fully drawn;
(b) **new tab**: each page opened in a new tab, from the start of its navigation to fully drawn:
    *warm*, a new tab of a browser context that has opened every page before (its HTTP and code
    caches are filled, as for someone who used the app yesterday), and *cold*, a tab of a brand-new
    context (empty caches: a first visit);
(c) **first stroke**: a fresh Draw page (a new tab at ``/draw``, warm), fully drawn, then after
    ``--think`` seconds one stroke, then a second one: from each pointer-up (the event's own
    timestamp, so a busy page's wait counts) to the frame that paints its prediction, in-page
    timestamps as ``benchmarks/draw_accuracy.py`` takes them.  It also lists the app's script files
    (Streamlit's lazily loaded chunks) fetched from the first stroke on: what the page lacked for it.

**Fully drawn**, checked in the page at every animation frame (``DRAWN_JS``): the address is the
page's; the page's title (its first ``h1``, learnt while warming) shows; no script run is going on
(no status widget); nothing on the page is stale (``data-stale``: faded, left from the page
before) nor a skeleton (a chunk still loading); every displayed Plotly chart, whatever charts
the page has, is drawn (a ``.js-plotly-plot`` with its laid-out traces and its SVG) and no
Plotly chart element waits for one; every displayed image has loaded; the Draw page's canvas
is there.  The page is fully drawn at the later of the first frame where all that holds and the
frame that paints the last change to the app's DOM (not Plotly's own nodes outside it) before it
stays unchanged for ``--quiet`` seconds, so a chart that redraws, or an element that comes late,
counts.  Charts hidden (a collapsed expander, an unselected tab) are not waited for: they are
drawn when shown.

(d) **side by side** (``--against DIR``, instead of the above): the new-tab (warm) timing of each page
    from this checkout's app and from another checkout's, each on a server of its own, taken in turn
    (A then B, then B then A) in one run, so both see the same machine; it prints both medians and
    their ratio.  A change worth a tenth of a second is lost in the spread between separate runs.

Not a test: it asserts nothing, it prints tables (medians and p90, in seconds or ms) and the
load average, as the browser and the server share the machine with whatever else runs.  It also
says when the machine has no emoji font (the pages' icons are emoji): a phone or a desktop has one,
a bare server often not, and then Chromium searches every font for each emoji a new tab shows,
about 14 ms each here, and draws a box (``.ci/run`` installs ``fonts-noto-color-emoji``).
"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.draw_accuracy import WATCH  # noqa: E402
from benchmarks.harness import VIEWPORT, launch_browser, open_page, running_app  # noqa: E402
from benchmarks.strokes import replay, sample_strokes  # noqa: E402

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright
except ImportError:
    sys.exit("The benchmark drives a browser: pip install -r requirements-dev.txt (Playwright).")

PAGES = {"Home": "", "Train": "train", "Weights": "weights", "Draw": "draw", "Lab": "lab"}
NEEDS = {"Draw": ["canvas.upper-canvas"]}  # what else a page must show, looked for in shadow roots too
TIMEOUT_S = 120  # a page not drawn by then counts as not drawn

# Run in every tab before the page's own scripts: watch the DOM and check, at every frame, whether the page
# in window.__want ({path, title, needs}) is fully drawn (see the module docstring).
DRAWN_JS = """
(() => {
  const d = window.__pageDraw = {click: null, changed: 0, okSince: null};
  performance.setResourceTimingBufferSize(5000);  // every script the tab fetches, not only the first 250
  let frame = false;
  const changed = (records) => {  // the frame that paints the latest change to the page's DOM
    // Only the app's own elements: Plotly, once loaded, adds a style to <head> and a test node to <body>.
    const app = document.querySelector('[data-testid="stApp"]');
    if (frame || !records.some((r) => !app || app.contains(r.target))) return;
    frame = true;
    requestAnimationFrame(() => { frame = false; d.changed = performance.now(); });
  };
  new MutationObserver(changed).observe(document, {subtree: true, childList: true, attributes: true,
                                                   characterData: true});
  addEventListener('click', (e) => { d.click = e.timeStamp; }, true);
  const shown = (el) => el.getClientRects().length > 0;
  const deep = (root, selector) => root.querySelector(selector)
    || [...root.querySelectorAll('*')].some((el) => el.shadowRoot && deep(el.shadowRoot, selector));
  const plotted = (gd) => !!(gd && gd._fullLayout && gd._fullData && gd._fullData.length
                             && gd._fullData.length === gd.data.length && gd.querySelector('.main-svg'));
  const drawn = (want) => {
    if (!want || location.pathname.replace(/\\/+$/, '') !== want.path) return false;
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main || document.querySelector('[data-testid="stStatusWidget"]')) return false;
    if (document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')) return false;
    if (main.querySelector('h1')?.textContent.trim() !== want.title) return false;
    for (const el of document.querySelectorAll('[data-testid="stPlotlyChart"]'))
      if (shown(el) && !plotted(el.querySelector('.js-plotly-plot'))) return false;
    for (const gd of document.querySelectorAll('.js-plotly-plot')) if (shown(gd) && !plotted(gd)) return false;
    for (const img of document.querySelectorAll('[data-testid="stApp"] img'))
      if (shown(img) && !(img.complete && img.naturalWidth)) return false;
    return want.needs.every((selector) => deep(document, selector));
  };
  const check = () => {
    if (drawn(window.__want)) d.okSince ??= performance.now();
    else d.okSince = null;
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
  // The time (ms since the tab's navigation began) the page was fully drawn, once it has stayed so for quiet ms.
  d.settled = (quiet) => {
    if (d.okSince === null) return null;
    const at = Math.max(d.okSince, d.changed);
    return performance.now() - at >= quiet ? at : null;
  };
})();
"""


def emoji_font():
    """Return True if a font here has the pages' emoji (the home page's 🏠), or if that cannot be told."""
    try:
        found = subprocess.run(["fc-list", ":charset=1f3e0", "family"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return True
    return bool(found.stdout.strip())


def say_if_no_emoji_font():
    """Print a warning under the figures when this machine has no emoji font (see the module docstring)."""
    if not emoji_font():
        print("No emoji font here (fc-list): every emoji a new tab shows is searched for in every font and drawn as "
              "a box; users' phones and desktops have one. apt-get install fonts-noto-color-emoji, then measure again.")


def want(name, title):
    """Return the JS that tells the page watcher which page to wait for."""
    spec = {"path": "/" + PAGES[name] if PAGES[name] else "", "title": title, "needs": NEEDS.get(name, [])}
    return f"window.__want = {json.dumps(spec)};"


def watched_page(context, name, title):
    """Return a new tab of context that watches for the page called name (title: its h1) to be drawn."""
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_S * 1000)
    page.add_init_script(DRAWN_JS)
    page.add_init_script(want(name, title))
    return page


def drawn_at(page, quiet):
    """Wait until the page is fully drawn and has stayed so for quiet s; return when it was drawn (ms, page clock).

    Returns None if it is not drawn within TIMEOUT_S.
    """
    try:
        page.wait_for_function("q => window.__pageDraw.settled(q) !== null", arg=quiet * 1000,
                               timeout=TIMEOUT_S * 1000, polling=100)
    except PlaywrightTimeout:
        return None
    return page.evaluate("q => window.__pageDraw.settled(q)", quiet * 1000)


def titles(context, url):
    """Open every page once (warming the server's caches); return {page name: its title, the first h1}."""
    found = {}
    page = context.new_page()
    page.app_url = url
    for name, path in PAGES.items():
        open_page(page, path, timeout=TIMEOUT_S * 1000)
        found[name] = page.get_by_test_id("stMain").locator("h1").first.inner_text().strip()
    page.close()
    return found


def sidebar_clicks(context, url, names, title, repeats, quiet):
    """Return {name: [seconds from the sidebar click to drawn]}: one tab clicks through every page, repeats times."""
    times = {name: [] for name in names}
    order = list(PAGES)
    page = watched_page(context, order[-1], title[order[-1]])
    page.goto(f"{url}/{PAGES[order[-1]]}")
    drawn_at(page, quiet)
    for _ in range(repeats):
        for name in order:  # every page, so each click comes from the page before it
            page.evaluate(want(name, title[name]) + "window.__pageDraw.okSince = null; window.__pageDraw.click = null;")
            page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()
            at = drawn_at(page, quiet)
            click = page.evaluate("() => window.__pageDraw.click")
            if name in times:
                times[name].append(None if at is None or click is None else (at - click) / 1000)
    page.close()
    return times


def new_tabs(browser, context, url, names, title, repeats, quiet, cold):
    """Return {name: [seconds from opening a new tab to drawn]}; cold: each tab in a new context (empty caches)."""
    times = {name: [] for name in names}
    for _ in range(repeats):
        for name in names:
            ctx = browser.new_context(viewport=VIEWPORT) if cold else context
            page = watched_page(ctx, name, title[name])
            page.goto(f"{url}/{PAGES[name]}", wait_until="commit")
            at = drawn_at(page, quiet)
            times[name].append(None if at is None else at / 1000)
            page.close()
            if cold:
                ctx.close()
    return times


def side_by_side(browser, urls, names, repeats, quiet):
    """Return {name: {label: [seconds from opening a new tab to drawn]}} for each app in urls {label: url}, in turn.

    Each app has a browser context of its own, warmed on every page first; the order alternates
    at each repeat, so neither always goes first.
    """
    warmed = {}
    for label, url in urls.items():
        context = browser.new_context(viewport=VIEWPORT)
        warmed[label] = (context, url, titles(context, url))
    times = {name: {label: [] for label in urls} for name in names}
    for i in range(repeats):
        for name in names:
            for label in (list(urls) if i % 2 == 0 else list(urls)[::-1]):
                context, url, title = warmed[label]
                page = watched_page(context, name, title[name])
                page.goto(f"{url}/{PAGES[name]}", wait_until="commit")
                at = drawn_at(page, quiet)
                times[name][label].append(None if at is None else at / 1000)
                page.close()
    return times


def ratio(a, b):
    """Return the ratio of the medians of b and a (their values that are not None), as '0.96×'."""
    a, b = [v for v in a if v is not None], [v for v in b if v is not None]
    return f"{statistics.median(b) / statistics.median(a):.3f}×" if a and b else "–"


# Every script the tab has fetched so far (Streamlit's chunks are static/js/<Name>.<hash>.js).
SCRIPTS_JS = """() => performance.getEntriesByType('resource').map((e) => e.name)
                                    .filter((n) => n.endsWith('.js')).map((n) => n.split('/').pop())"""


def first_strokes(context, url, title, n, think):
    """Open a fresh Draw page n times, draw two strokes on each; return (first ms, second ms, chunks the first fetched).

    The first stroke's pen goes down think s after the page is fully drawn.  Each latency is from the
    stroke's pointer-up to the frame that paints its prediction (None if not read within 20 s).
    """
    strokes = sample_strokes(3)  # two strokes: the top bow, then the bottom one
    first, second, fetched = [], [], Counter()
    for _ in range(n):
        page = watched_page(context, "Draw", title["Draw"])
        page.goto(f"{url}/draw", wait_until="commit")
        drawn_at(page, 0)  # as soon as it is drawn: the person does not wait for the page to settle
        page.evaluate(WATCH)
        time.sleep(think)
        before = set(page.evaluate(SCRIPTS_JS))
        for k, (stroke, out) in enumerate(zip(strokes, (first, second)), 1):
            page.evaluate(f"() => Object.assign(window.__draw, {{want: {k}, seen: 0, digit: null}})")
            replay(page, [stroke])
            try:
                page.wait_for_function("() => window.__draw.seen > 0", timeout=20_000)
                out.append(page.evaluate("() => window.__draw.seen - window.__draw.up"))
            except PlaywrightTimeout:
                out.append(None)
            time.sleep(0.3)  # the pen lifted, as between a person's strokes
            if k == 1:
                fetched.update(re.sub(r"\.[\w-]+\.js$", "", name) for name in set(page.evaluate(SCRIPTS_JS)) - before)
        page.close()
    return first, second, fetched


def stats(values, unit="s", digits=2):
    """Return 'median / p90 (n)' of the values that are not None, and how many timed out."""
    done = [v for v in values if v is not None]
    if not done:
        return "not drawn"
    text = f"{statistics.median(done):.{digits}f} / {np.percentile(done, 90):.{digits}f} {unit} (n={len(done)})"
    missed = len(values) - len(done)
    return text + (f", {missed} not within {TIMEOUT_S} s" if missed else "")


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))  # so the app server is stopped too
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="times each page is timed in each way")
    parser.add_argument("--strokes", type=int, default=10, help="fresh Draw pages for the first-stroke timing")
    parser.add_argument("--pages", default=",".join(PAGES), help="pages to time, by sidebar name (default: all)")
    parser.add_argument("--think", default="0.5,2",
                        help="seconds between a fresh Draw page fully drawn and its first stroke's pen-down; "
                             "comma-separated, each timed --strokes times (default 0.5,2)")
    parser.add_argument("--quiet", type=float, default=1.0,
                        help="seconds a page must stay unchanged after being drawn for its drawing to count as done")
    parser.add_argument("--skip", default="", help="parts to leave out, comma-separated: click, warm, cold, stroke")
    parser.add_argument("--against", type=Path,
                        help="another checkout of the app: time new tabs (warm) of both in turn, nothing else")
    args = parser.parse_args()
    names = [name for name in args.pages.split(",") if name]
    unknown = set(names) - set(PAGES)
    if unknown:
        sys.exit(f"unknown page(s) {', '.join(sorted(unknown))}: choose from {', '.join(PAGES)}")
    if args.against:
        compare(args.against, names, args.repeats, args.quiet)
        return
    skip = set(args.skip.split(","))
    loads = [os.getloadavg()[0]]
    rows = {}
    with running_app() as url, sync_playwright() as p:
        browser = launch_browser(p)
        context = browser.new_context(viewport=VIEWPORT)
        title = titles(context, url)  # also fills this context's caches: its new tabs are warm
        if "click" not in skip:
            rows["sidebar click → drawn"] = sidebar_clicks(context, url, names, title, args.repeats, args.quiet)
            loads.append(os.getloadavg()[0])
        if "warm" not in skip:
            rows["new tab, warm cache → drawn"] = new_tabs(browser, context, url, names, title, args.repeats,
                                                           args.quiet, cold=False)
            loads.append(os.getloadavg()[0])
        if "cold" not in skip:
            rows["new tab, cold cache → drawn"] = new_tabs(browser, context, url, names, title, args.repeats,
                                                           args.quiet, cold=True)
            loads.append(os.getloadavg()[0])
        if "stroke" not in skip and args.strokes:
            strokes = {think: first_strokes(context, url, title, args.strokes, think)
                       for think in map(float, args.think.split(","))}
            loads.append(os.getloadavg()[0])
        browser.close()
    print(f"\n{os.cpu_count()} cores; load average (1 min) while measuring: {min(loads):.1f}–{max(loads):.1f}; "
          f"{args.repeats} repeats; medians / p90")
    say_if_no_emoji_font()
    if rows:
        print("| page | " + " | ".join(rows) + " |")
        print("| --- |" + " ---: |" * len(rows))
        for name in names:
            print(f"| {name} | " + " | ".join(stats(times[name]) for times in rows.values()) + " |")
    if "stroke" not in skip and args.strokes:
        print("\nFresh Draw page (new tab, warm cache): pointer-up to the frame that paints the prediction, "
              "medians / p90")
        print("| first pen-down after the page is drawn | first stroke | second stroke | scripts the first fetched |")
        print("| ---: | ---: | ---: | --- |")
        for think, (first, second, fetched) in strokes.items():
            chunks = ", ".join(f"{name} ({k}/{args.strokes})" for name, k in sorted(fetched.items())) or "none"
            print(f"| {think:g} s | {stats(first, unit='ms', digits=0)} | {stats(second, unit='ms', digits=0)} "
                  f"| {chunks} |")


def compare(other, names, repeats, quiet):
    """Time new tabs of this checkout's app (A) and other's (B) in turn, and print both and B/A."""
    if not (other / "app.py").is_file():
        sys.exit(f"{other} holds no app.py: give the folder of another checkout of this app")
    loads = [os.getloadavg()[0]]
    with running_app() as here, running_app(root=other) as there, sync_playwright() as p:
        browser = launch_browser(p)
        times = side_by_side(browser, {"A": here, "B": there}, names, repeats, quiet)
        browser.close()
    loads.append(os.getloadavg()[0])
    print(f"\n{os.cpu_count()} cores; load average (1 min) while measuring: {min(loads):.1f}–{max(loads):.1f}; "
          f"new tab, warm cache → drawn, medians / p90; A: {ROOT}, B: {other.resolve()}")
    say_if_no_emoji_font()
    print("| page | A | B | B / A |\n| --- | ---: | ---: | ---: |")
    for name in names:
        a, b = times[name]["A"], times[name]["B"]
        print(f"| {name} | {stats(a)} | {stats(b)} | {ratio(a, b)} |")


if __name__ == "__main__":
    main()
