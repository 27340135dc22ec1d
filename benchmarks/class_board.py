"""Does the class board slow the room's training?  Steps per second of 30 runs, board closed and open.

    python benchmarks/class_board.py                 # 30 runs, 6 windows of 10 s each way
    python benchmarks/class_board.py -n 30 --seconds 10 --windows 6

The room's runs (the Train page's defaults at full speed, each on the board under a nickname)
train on the app's worker pool, one worker per core, started here through the ``RunHandle`` the
pages use.  In alternate windows the presenter's /class page, logged in, is redrawn every 2 s
(its board's refresh) through Streamlit's AppTest in this process, which plays the web
server: it reads every run's numbers from the run folder and builds the leaderboard, the 30
curves and the confusion matrix, as the server does for the presenter's browser (which runs
on the presenter's laptop, not here).  AppTest reruns the whole page where the live board
reruns only its fragment, so this errs on the side of a larger slowdown.  The windows
alternate so other work on a shared machine hits both sides alike.  Goal: open ≥ 0.90 of
closed.  Run it with OPENBLAS_NUM_THREADS=1 on a small machine.  Not a test: it asserts nothing.
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
# setdefault: the pool's worker processes import this module again, and must find the same folder.
KEY = os.environ.setdefault("PLAYGROUND_PRESENTER_KEY", uuid.uuid4().hex)
if "MNIST_PLAYGROUND_RUNS" not in os.environ:
    os.environ["MNIST_PLAYGROUND_RUNS"] = tempfile.mkdtemp(prefix="class-board-runs-")

from streamlit.testing.v1 import AppTest  # noqa: E402

from benchmarks.weights_page import one_script_cache, window  # noqa: E402
from nn.settings import TrainConfig  # noqa: E402
from ui import classroom  # noqa: E402
from ui.runs import pool  # noqa: E402
from ui.runs.handle import RunHandle  # noqa: E402

CONFIG = replace(TrainConfig(), epochs=5000)  # the page's defaults, long enough to outlast every window


def presenter():
    """Return an AppTest of /class logged in with the key, its board drawn."""
    board = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    board.switch_page("pages/class.py")
    board.run()
    board.text_input(key="presenter_key").input(KEY)
    board.button[0].click().run()
    return board


def main(argv=None):
    """Alternate windows with the board closed and open; print each pair and the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="runs on the board (default 30)")
    parser.add_argument("--seconds", type=float, default=10, help="length of each window (default 10)")
    parser.add_argument("--windows", type=int, default=6, help="pairs of windows (default 6)")
    args = parser.parse_args(argv)
    one_script_cache()

    runs = [RunHandle.start(replace(CONFIG, seed=i), data_name="bundled sample", browser=uuid.uuid4().hex[:16])
            for i in range(args.n)]
    for i, run in enumerate(runs):
        classroom.join(run.id, run.browser, f"attendee {i + 1}")
    while any(r.step_count == 0 for r in runs):
        time.sleep(0.5)
    board = presenter()
    shown = len(classroom.board_runs())
    pairs = []
    for i in range(args.windows):
        closed, _ = window(runs, None, args.seconds)
        opened, redraw = window(runs, board, args.seconds)
        pairs.append((closed, opened, redraw))
        print(f"pair {i + 1}: closed {closed:,.0f} steps/s, open {opened:,.0f} steps/s ({opened / closed:.2f}), "
              f"a board redraw {redraw * 1000:.0f} ms")
    for run in runs:
        run.stop()
    pool.shutdown()

    ratio = statistics.median(o / c for c, o, _ in pairs)
    print(f"machine: {os.cpu_count()} cores; {args.n} runs at full speed on {pool.WORKERS} workers, the Train "
          f"page's defaults (hidden {CONFIG.hidden}, batch {CONFIG.batch_size}) on the bundled sample; "
          f"{shown} on the board")
    print(f"board open / closed: {ratio:.2f} (median of {args.windows} pairs; goal >= 0.90: the runs lose at most "
          f"10%); best windows {max(o for _, o, _ in pairs):,.0f} vs {max(c for c, _, _ in pairs):,.0f} steps/s")
    print(f"a board redraw with {args.n} runs: {statistics.median(r for _, _, r in pairs) * 1000:.0f} ms (median)")


if __name__ == "__main__":
    main()
