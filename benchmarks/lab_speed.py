"""Measure the Lab page's work: one change in the neuron lab on the 10,000 MNIST test digits, and the long jobs.

    OPENBLAS_NUM_THREADS=1 python benchmarks/lab_speed.py                  # the bundled pretrained model
    OPENBLAS_NUM_THREADS=1 python benchmarks/lab_speed.py --data ../shared/data/mnist.npz --repeats 7

A change is what the page does in the web process after each slider move, ``Lab.read``:
copy the model and break the copy (``nn.explain.lab.broken``), read the test digits with it
(probabilities, accuracy, confusion), and compare with the unbroken model's reading, which
is kept from the page's first run (so is the copy's forward pass when only the temperature
moves).  The figure printed is the median over repeats, per kind of change (goal ≤ 300 ms on
2 cores); "first visit" is the page's first run, which reads with both.  Then, in this
process (the app runs them on its worker pool, one task per piece): "which units matter?"
for every hidden layer, and one damage curve per damage (``--pool``: both jobs as the app
runs them, on its worker pool).  Prints CPU and wall seconds.
Not a test: it asserts nothing.
"""

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import FULL_MNIST  # noqa: E402
from nn.data import load_dataset, make_splits  # noqa: E402
from nn.digits.augment import DAMAGES  # noqa: E402
from nn.explain.lab import Changes, damage_curve, unit_drops  # noqa: E402
from nn.files.model_file import load_model  # noqa: E402
from ui.lab import Lab  # noqa: E402


def timed(work, repeats):
    """Return (median wall seconds, median CPU seconds) of work() over repeats."""
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        work()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(FULL_MNIST), help="a Keras mnist.npz (its test set)")
    parser.add_argument("--model", default=str(ROOT / "assets" / "pretrained.npz"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-jobs", action="store_true", help="time only the changes")
    parser.add_argument("--pool", action="store_true",
                        help="time the long jobs as the app runs them, on its worker pool, instead of in this process")
    args = parser.parse_args()
    net, _ = load_model(args.model)
    splits = make_splits(load_dataset(args.data), seed=0)
    X, y = splits.X_test, splits.y_test
    print(f"model {net.describe()}, {len(y):,} test digits")
    last = f"W{len(net.sizes) - 1}"
    changes = {
        "units off (every 4th of hidden layer 1)": Changes(off={1: tuple(range(0, net.sizes[1], 4))}),
        "scale W1 × 0.5": Changes(scale={"W1": 0.5}),
        "noise on W1 (1 σ)": Changes(noise={"W1": 1.0}),
        "prune 50%": Changes(prune=0.5),
        "temperature 3 (after pruning 30%)": Changes(temperature=3.0),
        "all at once": Changes(off={1: (0, 1, 2)}, scale={last: 0.7}, noise={"W1": 0.5}, prune=0.3, temperature=2.0),
    }
    print("one change, as the page does it (Lab.read):")

    def first_visit():
        Lab().read(net, X, y)

    wall, cpu = timed(first_visit, args.repeats)
    print(f"  {'first visit (reads with both)':42s} {wall * 1000:6.0f} ms wall, {cpu * 1000:6.0f} ms CPU")
    for name, change in changes.items():
        temperature_only = name.startswith("temperature")

        def move(c=change, temperature_only=temperature_only):
            lab = Lab()
            lab.read(net, X, y)  # the page as it was before the move: nothing broken yet
            if temperature_only:  # a temperature move, from a page whose copy is already broken otherwise
                lab.changes = Changes(prune=0.3)
                lab.read(net, X, y)
                c = replace(lab.changes, temperature=c.temperature)
            lab.changes = c
            start = (time.perf_counter(), time.process_time())
            lab.read(net, X, y)
            return time.perf_counter() - start[0], time.process_time() - start[1]

        walls, cpus = zip(*(move() for _ in range(args.repeats)))
        print(f"  {name:42s} {statistics.median(walls) * 1000:6.0f} ms wall, "
              f"{statistics.median(cpus) * 1000:6.0f} ms CPU")
    if args.skip_jobs:
        return
    if args.pool:
        on_pool(net, X, y)
        return
    print("long jobs, in one process (the app splits them over its worker pool):")
    for layer in range(1, len(net.sizes) - 1):
        wall, cpu = timed(lambda k=layer: unit_drops(net, X, y, k), 1)
        print(f"  which units matter, hidden layer {layer} ({net.sizes[layer]} units): {wall:6.1f} s wall, "
              f"{cpu:6.1f} s CPU")
    total = 0.0
    for kind in DAMAGES:
        wall, cpu = timed(lambda k=kind: damage_curve(net, X, y, k), 1)
        total += wall
        print(f"  damage curve {kind:10s} ({len(DAMAGES[kind][0])} strengths): {wall:5.1f} s wall, {cpu:5.1f} s CPU")
    print(f"  every damage curve of one model: {total:.1f} s wall")


def on_pool(net, X, y):
    """Print the wall seconds of "which units matter?" (hidden layer 1) and the damage tests on the app's pool."""
    from ui.runs import pool

    pool.client()  # started first: its start-up is not the jobs' time
    print(f"long jobs on the app's worker pool ({len(pool.workers())} workers):")
    lab = Lab()
    for what, start, pair in (
            ("which units matter, hidden layer 1", lambda: lab.rank_units(net, X, y, 1), lambda: lab.ranking),
            ("damage tests, one model", lambda: lab.test_damage({"model": net}, X, y), lambda: lab.damage)):
        began = time.perf_counter()
        start()
        while not pair()[1].done:
            time.sleep(0.05)
        print(f"  {what}: {time.perf_counter() - began:.1f} s wall, {pair()[1].error or 'done'}")
    pool.shutdown()


if __name__ == "__main__":
    main()
