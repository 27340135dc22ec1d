"""Measure how much the live Weights page slows the run it shows: training speed with and without it.

    python benchmarks/weights_page.py                     # 784-128-10 on the bundled sample
    python benchmarks/weights_page.py --hidden 1024 --windows 12
    python benchmarks/weights_page.py --section map --map-layer 0    # the activation map on the pixels

A real run trains on the app's worker pool (as in the server) while, in alternate windows,
the Weights page is redrawn every 2 s through Streamlit's AppTest for a session holding that
run, showing the section ``--section`` (by default the forward and backward pass of one digit,
the section that computes most; the activation map draws the layer ``--map-layer``, the first
hidden layer as the page opens).  AppTest reruns the whole page script each time, where the live page reruns only its
fragments, so this errs on the side of a larger slowdown; it would also compile the scripts
anew on every run, which the server does once, so here its runs share one script cache.
The windows alternate so that other work on a shared machine hits both sides alike; it prints
each pair, the median of the pairs' slowdowns, and the best window of each side (other work
only ever slows a run down).  Run it with OPENBLAS_NUM_THREADS=1 on a small machine.  Not a
test: it asserts nothing.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import streamlit.testing.v1.app_test as app_test  # noqa: E402
import streamlit.testing.v1.local_script_runner as local_script_runner  # noqa: E402
from streamlit.runtime.scriptrunner.script_cache import ScriptCache  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from nn.settings import TrainConfig  # noqa: E402
from ui import session as state  # noqa: E402

REFRESH = 2.0  # pages/weights.py redraws a live run this often


def one_script_cache():
    """Have every AppTest of this process share one script cache: scripts compiled once, as in the server."""
    scripts = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: scripts


def window(runs, page, seconds):
    """Return (the runs' summed steps per second, mean seconds per redraw of page every REFRESH s) over a window.

    runs are RunHandles; page an AppTest, or None for a window without it.
    """
    steps, start, redraws = sum(r.step_count for r in runs), time.perf_counter(), []
    while time.perf_counter() - start < seconds:
        if page is None:
            time.sleep(0.1)
            continue
        t = time.perf_counter()
        page.run()
        redraws.append(time.perf_counter() - t)
        time.sleep(max(0.0, REFRESH - redraws[-1]))
    for run in runs:
        run._read_at = float("-inf")  # the workers' counts now, not the handles' cached ones
    rate = (sum(r.step_count for r in runs) - steps) / (time.perf_counter() - start)
    return rate, statistics.mean(redraws) if redraws else 0.0


def main(argv=None):
    """Alternate windows without and with the page; print each pair and the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=128, help="width of the one hidden layer (default 128)")
    parser.add_argument("--windows", type=int, default=8, help="pairs of windows (default 8)")
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each window (default 6)")
    parser.add_argument("--map-layer", type=int, default=1, help="the activation map's layer: 0 the pixels, "
                        "1 the hidden layer (default), 2 the output")
    parser.add_argument("--section", default="digit", choices=["units", "digit", "weights", "health", "map"],
                        help="the page's section shown (default digit: the forward and backward pass of one digit)")
    args = parser.parse_args(argv)
    one_script_cache()

    me = state.Session()
    run = me.start_run(TrainConfig(hidden=(args.hidden,), epochs=5000))
    page = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    page.session_state["session"] = me
    page.session_state["map_layer"] = args.map_layer
    page.session_state["weights_section"] = args.section
    page.switch_page("pages/weights.py")
    page.run()  # the first run loads the data and warms the caches
    if page.exception:
        raise SystemExit(f"the Weights page failed: {page.exception[0].value}")
    alone, watched, redraw = [], [], []
    try:
        for i in range(args.windows):
            alone.append(window([run], None, args.seconds)[0])
            rate, seconds = window([run], page, args.seconds)
            watched.append(rate)
            redraw.append(seconds)
            print(f"pair {i + 1}: alone {alone[-1]:6.1f} steps/s, with the page {watched[-1]:6.1f} steps/s "
                  f"(a redraw took {seconds * 1000:.0f} ms)", flush=True)
    finally:
        run.stop()
        run.join(30)
    slowdown = statistics.median(1 - w / a for a, w in zip(alone, watched))
    print(f"784-{args.hidden}-10: median slowdown {slowdown:.1%}; best windows {max(alone):.1f} steps/s alone, "
          f"{max(watched):.1f} with the page ({1 - max(watched) / max(alone):.1%} slower); "
          f"median redraw {statistics.median(redraw) * 1000:.0f} ms every {REFRESH:g} s")


if __name__ == "__main__":
    main()
