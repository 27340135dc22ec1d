"""Time the Train page's default run as a room watches it: how long it lasts, and how its chart fills.

    python benchmarks/default_run.py              # 3 default runs on the bundled sample
    python benchmarks/default_run.py --repeats 1

It starts ``streamlit run app.py`` (``benchmarks/harness.py``) and, in headless Chromium, opens
``/train`` in a new browser context per run (a first visit) and, ``--think`` seconds after the page is
drawn (a person reads it first), presses *Start training* with every setting as it comes (slow motion,
the bundled sample).  The page itself samples, every 50 ms, how many points the
live chart holds and whether it says "Done"; times are the page's own (from the click).  It prints,
per run: seconds from the click to "Done", the chart's points then, when its first point showed, the
points after 5 s, new points per second over the run, and the longest wait between two updates of the
chart once it has begun.

Not a test: it asserts nothing; the browser test ``tests/browser/test_slow_motion_browser.py`` checks
the 100 points.
"""

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import POINTS_JS, VIEWPORT, launch_browser, open_page, running_app  # noqa: E402

try:
    from playwright.sync_api import sync_playwright
except ImportError:
    sys.exit("The benchmark drives a browser: pip install -r requirements-dev.txt (Playwright).")

TIMEOUT_S = 300  # a run not done by then counts as not done

# Sample the chart in the page: [ms since the click, points, done?] every 50 ms, from the click on.
WATCH_JS = """() => {
  window.__samples = [];
  addEventListener('click', (e) => {
    if (window.__click !== undefined) return;
    window.__click = performance.now();
    const tick = setInterval(() => {
      const done = document.querySelector('[data-testid="stMain"]').innerText.includes('Done: ');
      window.__samples.push([performance.now() - window.__click, (POINTS)('curves'), done]);
      if (done) clearInterval(tick);
    }, 50);
  }, true);
}""".replace("(POINTS)", f"({POINTS_JS})")


def one_run(browser, url, think):
    """Return [(ms since the click, chart points, done)] of one default run, sampled in the page."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.app_url = url
    open_page(page, "train")
    page.evaluate(WATCH_JS)
    page.wait_for_timeout(think * 1000)
    page.get_by_role("button", name="Start training").click()
    page.wait_for_function("() => window.__samples.some(s => s[2])", timeout=TIMEOUT_S * 1000, polling=500)
    samples = page.evaluate("() => window.__samples")
    context.close()
    return samples


def summary(samples):
    """Return (s to done, points at done, s to the first point, points at 5 s, points per second, longest gap s)."""
    done_at = next(t for t, _, done in samples if done) / 1000
    points = samples[-1][1]
    at = lambda s: max((n for t, n, _ in samples if t <= s * 1000), default=0)  # noqa: E731
    changes = [t for (t, n, _), (_, m, _) in zip(samples[1:], samples) if n != m]
    gaps = [(b - a) / 1000 for a, b in zip(changes, changes[1:])]
    first = next(t for t, n, _ in samples if n) / 1000
    return done_at, points, first, at(5), points / done_at, max(gaps, default=0.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="default runs to time, each in a new browser context")
    parser.add_argument("--think", type=float, default=2.0,
                        help="seconds between the page drawn and the click on Start (default 2)")
    args = parser.parse_args()
    loads, rows = [os.getloadavg()[0]], []
    with running_app() as url, sync_playwright() as p:
        browser = launch_browser(p)
        for _ in range(args.repeats):
            rows.append(summary(one_run(browser, url, args.think)))
            loads.append(os.getloadavg()[0])
        browser.close()
    print(f"\n{os.cpu_count()} cores; load average (1 min) while measuring: {min(loads):.1f}–{max(loads):.1f}")
    print("| run | click → Done | chart points | first point | after 5 s | points per second | longest wait |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for i, (done, points, first, five, rate, gap) in enumerate(rows, 1):
        print(f"| {i} | {done:.1f} s | {points} | {first:.1f} s | {five} | {rate:.1f} | {gap:.2f} s |")
    if len(rows) > 1:
        print(f"| median | {statistics.median(r[0] for r in rows):.1f} s | {statistics.median(r[1] for r in rows):.0f} "
              f"| | | | |")


if __name__ == "__main__":
    main()
