"""Does the class board slow the room's training?  Steps per second of 30 runs, board closed and open.

    python benchmarks/class_board.py                 # 30 runs, 4 windows of 20 s each way
    python benchmarks/class_board.py -n 30 --seconds 20 --rounds 4

The room's runs (the Train page's defaults at full speed, each on the board under a nickname)
train on a pool of one worker per core, started here through the ``RunHandle`` the pages use.
The app server runs beside them with a presenter key and the same run folder, so its board
lists those runs.  The runs' summed steps per second are measured in alternating windows:
board closed, then the presenter's /class page open in Chromium (logged in, the board
redrawing every 2 s), and so on, so both are measured side by side under the same noise.
The presenter's browser runs at nice 19, like the attendees' in ``workshop_load.py``: on the
day it is on the presenter's laptop, not on the server.  Goal: open ≥ 0.90 of closed.
Not a test: it asserts nothing, it prints figures.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as app.py does: one BLAS thread per worker process
KEY = uuid.uuid4().hex
os.environ["PLAYGROUND_PRESENTER_KEY"] = KEY
os.environ["MNIST_PLAYGROUND_RUNS"] = tempfile.mkdtemp(prefix="class-board-runs-")  # shared with the app server

from playwright.sync_api import sync_playwright  # noqa: E402

from benchmarks.harness import VIEWPORT, launch_browser, log_in_as_presenter, renice_browser, running_app  # noqa: E402
from nn.settings import TrainConfig  # noqa: E402
from ui import classroom  # noqa: E402
from ui.runs import pool  # noqa: E402
from ui.runs.handle import RunHandle  # noqa: E402

CONFIG = replace(TrainConfig(), epochs=5000)  # the page's defaults, long enough to outlast every window


def steps_per_second(runs, seconds):
    """Return the runs' summed steps per second over a window of this many seconds."""
    before, start = sum(r.step_count for r in runs), time.monotonic()
    time.sleep(seconds)
    return (sum(r.step_count for r in runs) - before) / (time.monotonic() - start)


def open_board(browser, url):
    """Open /class in a new tab, type the key, and wait until the board shows its runs; return the tab."""
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.set_default_timeout(120_000)
    page.app_url = url
    log_in_as_presenter(page, KEY)
    page.locator(".st-key-class_curves .js-plotly-plot").wait_for()
    renice_browser(19)  # its renderer started with the page
    return page


def main(argv=None):
    """Measure the runs' throughput with the board closed and open, alternately, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="runs on the board (default 30)")
    parser.add_argument("--seconds", type=float, default=20, help="length of each window (default 20)")
    parser.add_argument("--rounds", type=int, default=4, help="windows each way (default 4)")
    args = parser.parse_args(argv)

    runs = [RunHandle.start(replace(CONFIG, seed=i), data_name="bundled sample", browser=uuid.uuid4().hex[:16])
            for i in range(args.n)]
    for i, run in enumerate(runs):
        classroom.join(run.id, run.browser, f"attendee {i + 1}")
    while any(r.step_count == 0 for r in runs):
        time.sleep(0.5)
    closed, opened, drawn = [], [], []
    # The app's own pool idles (every run is on this script's pool): one worker is enough for it.
    with running_app(env={"PLAYGROUND_WORKERS": "1"}) as url, sync_playwright() as p:
        browser = launch_browser(p)
        renice_browser(19)
        for _ in range(args.rounds):
            closed.append(steps_per_second(runs, args.seconds))
            start = time.monotonic()
            page = open_board(browser, url)
            drawn.append(time.monotonic() - start)
            opened.append(steps_per_second(runs, args.seconds))
            page.context.close()
        browser.close()
    for run in runs:
        run.stop()
    pool.shutdown()

    ratio = statistics.median(o / c for o, c in zip(opened, closed))
    print(f"machine: {os.cpu_count()} cores; {args.n} runs at full speed on {pool.WORKERS} workers, the Train "
          f"page's defaults (hidden {CONFIG.hidden}, batch {CONFIG.batch_size}) on the bundled sample")
    print(f"board closed: {statistics.median(closed):,.0f} steps/s in all (windows: "
          f"{', '.join(f'{c:,.0f}' for c in closed)})")
    print(f"board open:   {statistics.median(opened):,.0f} steps/s in all (windows: "
          f"{', '.join(f'{o:,.0f}' for o in opened)})")
    print(f"open / closed: {ratio:.2f} (median of {args.rounds} pairs; goal >= 0.90: the runs lose at most 10%)")
    print(f"the board drawn with {args.n} runs, from a new tab and the key: {statistics.median(drawn):.1f} s (median)")


if __name__ == "__main__":
    main()
