"""What a run's live reports cost its training: one report's time against the training steps between reports.

    OPENBLAS_NUM_THREADS=1 python benchmarks/report_cost.py --mnist ../shared/data/mnist.npz

A report (``Trainer.metrics``: the validation set's loss and accuracy, the layers' health) is made
every ``REPORT_SECONDS`` of training at full speed and every ``SLOW_REPORT_SECONDS`` in slow motion
(``ui/runs/worker.py``); its cost grows with the validation set.  For the bundled sample and, with
``--mnist``, the full MNIST, default settings, in this one process: the time of a step and of a
report, and the share of training time the reports take at each pace.  In slow motion the run is
held to its pace anyway, so only the full-speed share costs speed.  Not a test: it asserts nothing.
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as app.py sets for every worker
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nn.data import load_dataset  # noqa: E402
from nn.data.dataset import make_splits  # noqa: E402
from nn.settings import TrainConfig  # noqa: E402
from nn.train import Trainer  # noqa: E402
from ui.runs.worker import REPORT_SECONDS, SLOW_REPORT_SECONDS  # noqa: E402


def timed(work, n):
    """Return the mean seconds of work() over n calls."""
    start = time.perf_counter()
    for _ in range(n):
        work()
    return (time.perf_counter() - start) / n


def measure(source, steps, reports):
    """Return (validation digits, seconds of a step, seconds of a report) of a default run on source."""
    splits = make_splits(load_dataset(source), seed=0)
    trainer = Trainer(splits, TrainConfig(epochs=1), report_seconds=None)
    timed(trainer.step, 50)  # warm up
    return (len(splits.y_val), timed(trainer.step, steps),
            timed(lambda: trainer.metrics(trainer.net.copy_weights()), reports))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mnist", type=Path, help="a full mnist.npz, measured after the bundled sample")
    parser.add_argument("--steps", type=int, default=500, help="steps timed (default 500)")
    parser.add_argument("--reports", type=int, default=20, help="reports timed (default 20)")
    args = parser.parse_args()
    print(f"| data | validation digits | step | report | share at full speed (every {REPORT_SECONDS:g} s) "
          f"| in slow motion (every {SLOW_REPORT_SECONDS:g} s) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, source in [("bundled sample", "sample")] + ([("full MNIST", str(args.mnist))] if args.mnist else []):
        digits, step, report = measure(source, args.steps, args.reports)
        # Of the time between two reports' starts: the training since the last, then the report.
        fast, slow = (report / (every + report) for every in (REPORT_SECONDS, SLOW_REPORT_SECONDS))
        print(f"| {name} | {digits:,} | {step * 1e3:.2f} ms | {report * 1e3:.1f} ms | {fast:.1%} | {slow:.1%} |")


if __name__ == "__main__":
    main()
