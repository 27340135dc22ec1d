"""Compare training speed through the Train page in a real browser with the command line's, same settings.

    python benchmarks/train_page_speed.py --mnist ../shared/data/mnist.npz   # full MNIST, 20 epochs
    python benchmarks/train_page_speed.py                                     # the bundled sample, 500 epochs

The CLI's speed is steps / train_seconds from ``python -m nn train``'s JSON line.  The
page's is read from the browser: the step count in the progress bar against wall-clock
time, from its first change for up to ``--window`` seconds, so it includes everything the
page costs (the worker's reports, the scheduler, the live chart's polling, the browser
drawing it).  ``--browser-nice 19`` puts Chromium at the lowest CPU priority, as if it ran
on the user's machine rather than on the server it watches; it then also sees the page's
updates later, so the default leaves it alone.
Both sides get the same BLAS threads (``--blas-threads``, default 1 as ``app.py`` sets),
so only the way through the page differs.
Each side runs ``--repeats`` times, alternating, and keeps its best, since other work on
a shared machine only ever slows a run down.  Prints one line per run and the ratio
page / CLI (the goal is at least 0.9).  Not a test: it asserts nothing.
"""

import argparse
import contextlib
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from benchmarks.harness import VIEWPORT, launch_browser, renice_browser, running_app, start_training  # noqa: E402

BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
PROGRESS = re.compile(r"Step ([\d,]+) of ([\d,]+)")
PROGRESS_JS = "() => document.querySelector('[data-testid=stProgress]')?.innerText ?? ''"


def cli_speed(data, epochs, env):
    """Return steps per second of ``python -m nn train`` on data for epochs, default settings otherwise."""
    out = subprocess.run([sys.executable, "-m", "nn", "train", "--data", data, "--epochs", str(epochs)],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    batch = 64  # TrainConfig's default batch size, which both sides use
    steps = math.ceil(result["train_size"] / batch) * result["epochs"]
    return steps / result["train_seconds"]


def page_speed(browser, url, label, epochs, nice, window):
    """Return steps per second of a run started on the Train page, read from its progress bar over wall time.

    The run is watched for at most window seconds after its first step, then stopped.
    """
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(300_000)
    page.app_url = url
    renice_browser(nice)
    start_training(page, epochs=epochs, data=label, full_speed=True)
    renice_browser(nice)
    seen = []  # (time a new step count first showed, that count), before the last step
    while not seen or time.perf_counter() - seen[0][0] < window:
        match = PROGRESS.search(page.evaluate(PROGRESS_JS))
        step, total = (int(g.replace(",", "")) for g in match.groups()) if match else (0, 1)
        if step >= total:  # the last update also waits for the test accuracy: not counted
            break
        if step and (not seen or step != seen[-1][1]):
            seen.append((time.perf_counter(), step))
        time.sleep(0.05)
    stop = page.get_by_role("button", name="Stop")
    if stop.is_enabled():
        with contextlib.suppress(PlaywrightTimeout):  # the run may end by itself meanwhile
            stop.click(timeout=5_000)  # so the next measurement has the CPU to itself
    if len(seen) < 5:
        raise SystemExit("The page's run was too short to time: give more --epochs.")
    context.close()
    # The slope through every update: each one shows up to a poll late, and a fit evens that out.
    return statistics.linear_regression([t for t, _ in seen], [n for _, n in seen]).slope


def main(argv=None):
    """Run both sides and print their speeds and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, help="a full mnist.npz to train on (default: the bundled sample)")
    parser.add_argument("--epochs", type=int, help="epochs per run (default: 20 on MNIST, 500 on the sample)")
    parser.add_argument("--window", type=float, default=20, help="seconds the page's run is timed, at most")
    parser.add_argument("--repeats", type=int, default=2, help="runs per side, alternating; the best counts")
    parser.add_argument("--browser-nice", type=int, default=0,
                        help="Chromium's CPU niceness, e.g. 19 to model a browser on another machine (default: 0)")
    parser.add_argument("--blas-threads", type=int, default=1, help="BLAS threads of both sides (default: 1)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as cache:
        if args.mnist:
            os.symlink(args.mnist.resolve(), Path(cache) / "mnist.npz")
        data, label = ("mnist", "Full MNIST") if args.mnist else ("sample", "Bundled sample")
        epochs = args.epochs or (20 if args.mnist else 500)
        threads = {var: str(args.blas_threads) for var in BLAS_VARIABLES}
        env = {**os.environ, "MNIST_PLAYGROUND_CACHE": cache, **threads}
        print(f"{data}, {epochs} epochs, default settings otherwise, {args.blas_threads} BLAS thread(s); "
              f"best of {args.repeats}", flush=True)
        cli, page = [], []
        with running_app(env={"MNIST_PLAYGROUND_CACHE": cache, **threads}) as url, sync_playwright() as p:
            browser = launch_browser(p)
            for _ in range(args.repeats):
                cli.append(cli_speed(data, epochs, env))
                print(f"CLI:  {cli[-1]:6.1f} steps/s", flush=True)
                page.append(page_speed(browser, url, label, epochs, args.browser_nice, args.window))
                print(f"page: {page[-1]:6.1f} steps/s", flush=True)
            browser.close()
    print(f"page / CLI = {max(page):.1f} / {max(cli):.1f} steps/s = {max(page) / max(cli):.2f}")


if __name__ == "__main__":
    main()
