"""Draw digits on the Draw page's canvas with the mouse and measure how well and how fast they are read.

    python benchmarks/draw_accuracy.py                          # 120 digits, the default bundled model (conv)
    python benchmarks/draw_accuracy.py --n 200 --centre both    # and again with centring off
    python benchmarks/draw_accuracy.py --model assets/pretrained.npz   # the fully connected bundled model
    python benchmarks/draw_accuracy.py --model PATH             # another model file (save_model's .npz)
    python benchmarks/draw_accuracy.py --save canvases.npz      # and keep the drawn canvases to study

The digits are real MNIST test digits (--mnist, ../shared/data/mnist.npz by default), traced into pen strokes
(``benchmarks/strokes.py``) and replayed with the mouse (down, moves, up; a quarter second
between strokes, as a pen is lifted) on the real canvas, served by ``streamlit run`` and
drawn in headless Chromium.  They are spread evenly over six conditions: centred, small,
large, off-centre, thin brush and thick brush (see CONDITIONS).  For each digit the page is
cleared, the strokes drawn, and the benchmark waits for the prediction of the whole drawing
("read after stroke N" under the Prediction metric).  It reports:

- the share read correctly per condition, as shown on screen, with centring on (the page's
  default) and, with ``--centre both``, off (the usual demos' whole-canvas resize);
- the model's accuracy on the same digits as MNIST has them, for comparison;
- the time from the last stroke's mouse-up to the frame that paints its prediction
  (median, p90): the page presses the canvas's send button as the pen lifts, so the canvas's
  own 200 ms wait before it sends a drawing is skipped;
- the server's work per stroke, in-process on the canvases the browser drew: PNG decode,
  preprocessing and reading (probabilities, activations, saliency), median and p90.

Not a test: it asserts nothing, it prints a table.  The app's server and the browser share
the machine, so a busy machine shows in the latency.
"""

import argparse
import base64
import io
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import FULL_MNIST, launch_browser, running_app, wait_for_app  # noqa: E402
from benchmarks.strokes import digit_strokes, place, replay  # noqa: E402
from nn.data import normalize  # noqa: E402
from nn.digits.preprocess import preprocess  # noqa: E402
from nn.explain.saliency import read  # noqa: E402
from nn.files.model_file import load_model  # noqa: E402
from ui.session import BUNDLED, DEFAULT_BUNDLED  # noqa: E402

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright
except ImportError:
    sys.exit("The benchmark drives a browser: pip install -r requirements-dev.txt (Playwright).")

CANVAS = 280
PEN_LIFT = 0.25  # seconds between strokes
WAIT_MS = 20_000  # a reading later than this counts as not read
# name: (longer side of the digit's strokes in canvas px (low, high), brush width, where on the canvas)
CONDITIONS = {
    "centred": ((150, 190), 20, "centre"),
    "small": ((50, 70), 8, "anywhere"),
    "large": ((220, 245), 24, "centre"),
    "off-centre": ((90, 120), 14, "edge"),
    "thin": ((150, 190), 6, "centre"),
    "thick": ((150, 190), 34, "centre"),
}

# Timestamps in the page: the last mouse-up, and the frame that paints the awaited reading.
WATCH = """() => {
  const d = window.__draw = {up: 0, seen: 0, digit: null, want: null};
  window.addEventListener('pointerup', (e) => { d.up = e.timeStamp; }, true);  // when it happened, even if handled late
  new MutationObserver(() => {
    if (d.want === null) return;
    for (const c of document.querySelectorAll('[data-testid="stCaptionContainer"]')) {
      const m = /read after stroke (\\d+)/.exec(c.textContent);
      if (!m || Number(m[1]) !== d.want) continue;
      const metric = [...document.querySelectorAll('[data-testid="stMetric"]')]
        .find(e => e.textContent.startsWith('Prediction'));
      if (!metric) continue;
      d.digit = metric.querySelector('[data-testid="stMetricValue"]').textContent.trim();
      d.want = null;
      requestAnimationFrame(() => { d.seen = performance.now(); });
      return;
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def plan(n, seed, mnist=FULL_MNIST):
    """Return n drawing jobs [(condition, MNIST test index, strokes placed on the canvas)], conditions in turn."""
    with np.load(mnist, allow_pickle=False) as f:
        x_test, y_test = f["x_test"], f["y_test"].astype(np.int64)
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(y_test), n, replace=False)
    names = list(CONDITIONS)
    jobs = []
    for k, i in enumerate(picks):
        name = names[k % len(names)]
        (low, high), brush, where = CONDITIONS[name]
        size = rng.uniform(low, high)
        jobs.append((name, int(i), place(digit_strokes(x_test[i]), size, _centre(rng, size, brush, where))))
    jobs.sort(key=lambda job: names.index(job[0]))  # one brush change per condition
    return jobs, x_test, y_test


def _centre(rng, size, brush, where):
    """Return where (x, y) to centre a digit of this size so that all of its ink stays on the canvas."""
    room = CANVAS / 2 - size / 2 - brush / 2 - 4
    if where == "centre":
        return CANVAS / 2 + rng.uniform(-1, 1, 2) * min(10, room)
    while True:
        c = CANVAS / 2 + rng.uniform(-room, room, 2)
        if where == "anywhere" or np.abs(c - CANVAS / 2).max() > 0.6 * room:
            return c


class DrawPage:
    """The Draw page in a browser tab, driven like a person with a mouse."""

    def __init__(self, browser, url):
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.page.set_default_timeout(30_000)
        self.page.goto(url)  # the home page first, as people come in
        self.settle()
        self.page.get_by_test_id("stSidebarNavLink").filter(has_text="Draw").click()
        self.page.wait_for_url(re.compile(r"/draw(\?|$)"))
        self.settle()
        self.page.evaluate(WATCH)
        self.page.get_by_text("Pretrained model", exact=True).click()
        self.settle()
        self.brush = None

    def settle(self, quiet=0.3):
        """Wait until the app has been idle (no script running) for quiet seconds."""
        wait_for_app(self.page)
        idle_since = time.monotonic()
        while time.monotonic() - idle_since < quiet:
            time.sleep(0.05)
            if self.page.get_by_test_id("stStatusWidget").count():
                wait_for_app(self.page)
                idle_since = time.monotonic()

    def centring(self, on):
        """Switch centring on or off."""
        toggle = self.page.get_by_role("switch", name="Centre like MNIST")
        if toggle.is_checked() != on:
            self.page.get_by_text("Centre like MNIST", exact=True).click()
            self.settle()

    def set_brush(self, width):
        """Set the brush-width slider with the keyboard, checking that the page took the value."""
        thumb = self.page.get_by_role("slider", name="Brush width")
        while width != self.brush:
            thumb.focus()
            thumb.press("Home")
            for _ in range(width - int(thumb.get_attribute("min"))):
                thumb.press("ArrowRight")
            time.sleep(0.5)  # the slider sends its value a moment after the last key
            self.settle()
            self.brush = int(thumb.input_value())

    def clear(self):
        """Press Clear and wait for the fresh, empty canvas that replaces the old one."""
        self.page.locator("canvas.upper-canvas").evaluate("c => { c.dataset.old = '1'; }")
        self.page.get_by_role("button", name="Clear").click()
        self.page.get_by_text("Draw a digit in the black square").wait_for()
        self.settle()
        fresh = self.page.locator("canvas.upper-canvas")
        while not fresh.evaluate_all("cs => cs.length === 1 && !cs[0].dataset.old"):  # the old one goes at the end
            time.sleep(0.02)

    def draw(self, strokes):
        """Draw the strokes; return (digit on screen, ms from the last mouse-up to its paint, canvas PNG bytes).

        A drawing whose reading does not show within WAIT_MS gives (None, None, png) and a screenshot.
        """
        self.page.evaluate(f"() => Object.assign(window.__draw, {{want: {len(strokes)}, seen: 0, digit: null}})")
        replay(self.page, strokes, PEN_LIFT)
        try:
            self.page.wait_for_function("() => window.__draw.seen > 0", timeout=WAIT_MS)
        except PlaywrightTimeout:
            shot = Path(tempfile.gettempdir()) / f"draw_accuracy_unread_{time.time_ns()}.png"
            self.page.screenshot(path=shot)
            print(f"no reading of stroke {len(strokes)} within {WAIT_MS} ms; see {shot}", file=sys.stderr)
            return None, None, self.png()
        d = self.page.evaluate("() => window.__draw")
        return int(d["digit"]), d["seen"] - d["up"], self.png()

    def shown_centred(self):
        """Return True if the page's steps of the last reading end centred in 28×28 (the centring path)."""
        return self.page.get_by_test_id("stImageCaption").filter(has_text="Centred in 28×28").count() > 0

    def png(self):
        """Return the canvas as the PNG it sends to the server (once the last stroke is rendered)."""
        url = self.page.locator("canvas.dc-canvas.lower-canvas").evaluate("c => c.toDataURL('image/png')")
        return base64.b64decode(url.split(",", 1)[1])


def canvas(png):
    """Return the canvas PNG as the page gets it: an RGBA array (280, 280, 4)."""
    return np.asarray(Image.open(io.BytesIO(png)))


def reread(net, pngs, centre):
    """Return the digits the server reads from these canvas PNGs, in-process, (n,)."""
    return np.array([read(net, preprocess(canvas(png), centre=centre).x).digit for png in pngs])


def server_ms(net, pngs, repeats=5):
    """Return the per-canvas median ms of decoding, preprocessing and reading, as the page does on each stroke."""
    out = []
    for png in pngs:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            steps = preprocess(canvas(png))
            read(net, steps.x)
            times.append((time.perf_counter() - t) * 1000)
        out.append(statistics.median(times))
    return out


def percentile(values, q):
    """Return the q-th percentile of values."""
    return float(np.percentile(values, q))


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))  # so the app server is stopped too
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=120, help="digits to draw (spread over the six conditions)")
    parser.add_argument("--model", type=Path, default=BUNDLED[DEFAULT_BUNDLED],
                        help="model file, read as the page's pretrained model (default: the default bundled one)")
    parser.add_argument("--centre", choices=("on", "off", "both"), default="both",
                        help="read with centring on, off, or one pass of each")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mnist", type=Path, default=FULL_MNIST,
                        help="the full MNIST as mnist.npz (default: %(default)s)")
    parser.add_argument("--save", type=Path, help="write the first pass's canvases (RGBA, as the page gets them), "
                        "their digits and conditions to this .npz, to study the preprocessing without a browser")
    args = parser.parse_args()
    net, _ = load_model(args.model)
    jobs, x_test, y_test = plan(args.n, args.seed, args.mnist)
    passes = {"on": [True], "off": [False], "both": [True, False]}[args.centre]
    shown = {}  # centre -> [(digit on screen or None, latency ms or None)], in the order of jobs
    pngs = []
    env = {"MNIST_PLAYGROUND_PRETRAINED": str(args.model.resolve())}
    with running_app(env=env) as url, sync_playwright() as p:
        browser = launch_browser(p)
        page = DrawPage(browser, url)
        for centre in passes:
            page.centring(centre)
            rows = shown[centre] = []
            paths = []  # whether each reading's steps on screen were the centring ones
            for name, _, strokes in jobs:
                page.set_brush(CONDITIONS[name][1])
                page.clear()
                digit, ms, png = page.draw(strokes)
                rows.append((digit, ms))
                paths.append(page.shown_centred())
                if centre == passes[0]:
                    pngs.append(png)
            right = np.mean([d == y_test[i] for (d, _), (_, i, _) in zip(rows, jobs)])
            print(f"centring {'on' if centre else 'off'}: {right:.1%} of {len(rows)}; the steps shown were the "
                  f"centring ones for {sum(paths)} of {len(paths)} readings", file=sys.stderr, flush=True)
        browser.close()
    if args.save:
        np.savez_compressed(args.save, canvas=np.stack([canvas(png) for png in pngs]),
                            y=y_test[[i for _, i, _ in jobs]], condition=np.array([name for name, _, _ in jobs]))
    report(args, net, jobs, x_test, y_test, shown, pngs)


def report(args, net, jobs, x_test, y_test, shown, pngs):
    """Print the accuracy table, the latency on screen and the server's time."""
    names = list(CONDITIONS)
    y = y_test[[i for _, i, _ in jobs]]
    conds = np.array([name for name, _, _ in jobs])
    right = {"own": net.predict(normalize(x_test[[i for _, i, _ in jobs]])) == y}
    for centre, rows in shown.items():
        right[centre] = np.array([d == t for (d, _), t in zip(rows, y)])
    for centre in (True, False):  # the first pass's canvases, read in-process both ways
        right["in", centre] = reread(net, pngs, centre) == y
    print(f"Model: {args.model} ({'-'.join(map(str, net.sizes))}, {net.activation}); {len(jobs)} MNIST test digits, "
          f"seed {args.seed}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print("| condition | digits | size px | brush | on screen, centring on | on screen, centring off "
          "| same canvases in-process, on / off | MNIST's own image |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in [*names, "all"]:
        pick = conds == name if name != "all" else np.ones(len(jobs), bool)
        (low, high), brush, _ = CONDITIONS.get(name, ((0, 0), 0, ""))
        keys = (True, False, ("in", True), ("in", False), "own")
        on, off, in_on, in_off, own = (_share(right.get(k), pick) for k in keys)
        size = f"{low}–{high}" if name != "all" else ""
        print(f"| {name} | {pick.sum()} | {size} | {brush or ''} | {on} | {off} | {in_on} / {in_off} | {own} |")
    latency = [ms for rows in shown.values() for _, ms in rows if ms is not None]
    unread = sum(ms is None for rows in shown.values() for _, ms in rows)
    print(f"Mouse-up to prediction painted: median {statistics.median(latency):.0f} ms, "
          f"p90 {percentile(latency, 90):.0f} ms over {len(latency)} drawings; "
          f"not read within {WAIT_MS / 1000:.0f} s: {unread}")
    server = server_ms(net, pngs)
    print(f"Server per stroke (PNG decode + preprocess + read): median {statistics.median(server):.1f} ms, "
          f"p90 {percentile(server, 90):.1f} ms over {len(server)} canvases")


def _share(correct, pick):
    """Return 'xx.x%' of the picked entries of correct, or '–' when there are none (that pass did not run)."""
    return "–" if correct is None else f"{correct[pick].mean():.1%}"


if __name__ == "__main__":
    main()
