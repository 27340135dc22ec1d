"""Does the worker pool give the room the whole machine?  Throughput, memory and call latency of runs.

    python benchmarks/pool_throughput.py            # 20 runs on the default pool (one worker per core)
    python benchmarks/pool_throughput.py -n 8 --seconds 20

Measured side by side in one process, through the same ``RunHandle`` the pages use:

1. one run alone on a pool of one worker (one core): its steps per second;
2. N runs at once on the app's default pool (one worker per core): their summed steps per second.

The goal is (2) ≥ 90% of (1) × cores: moving training into worker processes and taking
turns wastes none of the machine.  It also prints the memory of this process (it plays
the web server) and of all the pool's processes with N runs on the bundled sample, and
how long a Pause, a snapshot of the numbers and a copy of the weights take while the N
runs train.  Settings: the Train page's defaults, epochs raised so no run ends early.
Not a test: it asserts nothing, it prints figures.
"""

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as app.py does: one BLAS thread per worker process

from nn.settings import TrainConfig  # noqa: E402
from ui.runs import pool  # noqa: E402
from ui.runs.handle import RunHandle  # noqa: E402

CONFIG = replace(TrainConfig(), epochs=5000)  # the page's defaults, long enough to outlast the window


def rss_mb(pid):
    """Return a process's resident memory in MB."""
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def pool_pids():
    """Return the pids of every process the local pool started (its nannies and workers)."""
    pids, todo = set(), [os.getpid()]
    while todo:
        parent = todo.pop()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat[stat.rfind(")") + 2:].split()[1]) == parent and int(entry.name) not in pids:
                    pids.add(int(entry.name))
                    todo.append(int(entry.name))
    return pids


def steps_per_second(runs, seconds):
    """Return the runs' summed steps per second over a window of this many seconds, once all are training."""
    deadline = time.monotonic() + 60
    while any(r.step_count == 0 for r in runs) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # past the first turns of the scheduler
    before, start = sum(r.step_count for r in runs), time.monotonic()
    time.sleep(seconds)
    return (sum(r.step_count for r in runs) - before) / (time.monotonic() - start)


def latency(call, times=30):
    """Return (median, p90) milliseconds of call() over times calls."""
    seconds = []
    for _ in range(times):
        start = time.perf_counter()
        call()
        seconds.append((time.perf_counter() - start) * 1000)
        time.sleep(0.05)
    seconds.sort()
    return statistics.median(seconds), seconds[int(0.9 * (len(seconds) - 1))]


def fresh_snapshot(run):
    """Ask the run's worker for its numbers now (not the handle's cached copy)."""
    run._read_at = float("-inf")
    return run.status


def fresh_weights(run):
    """Ask the run's worker for a copy of its weights now."""
    run._weights_at = float("-inf")
    return run.net


def main(argv=None):
    """Measure one run alone on one core, then N runs on the whole pool, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="runs at once (default 20)")
    parser.add_argument("--seconds", type=float, default=30, help="length of each timing window (default 30)")
    args = parser.parse_args(argv)
    cores = os.cpu_count()

    os.environ["PLAYGROUND_WORKERS"] = "1"
    pool.WORKERS = 1
    alone = RunHandle.start(CONFIG, data_name="bundled sample")
    one = steps_per_second([alone], args.seconds)
    alone.stop()
    pool.shutdown()

    pool.WORKERS = cores
    start = time.monotonic()
    pool.client()
    started = time.monotonic() - start
    runs = [RunHandle.start(replace(CONFIG, seed=i), data_name="bundled sample") for i in range(args.n)]
    crowd = steps_per_second(runs, args.seconds)
    web, workers = rss_mb(os.getpid()), sum(rss_mb(p) for p in pool_pids())
    pause = latency(lambda: (runs[0].pause(), runs[0].resume()))
    snapshot = latency(lambda: fresh_snapshot(runs[1]))
    weights = latency(lambda: fresh_weights(runs[2]))
    for run in runs:
        run.stop()
    pool.shutdown()

    print(f"machine: {cores} cores; settings: the Train page's defaults (hidden {CONFIG.hidden}, batch "
          f"{CONFIG.batch_size}, {CONFIG.optimizer}) on the bundled sample")
    print(f"pool start-up (local, {cores} workers): {started:.1f} s")
    print(f"one run alone on one worker: {one:,.0f} steps/s")
    print(f"{args.n} runs on {cores} workers: {crowd:,.0f} steps/s in all ({crowd / args.n:,.0f} each)")
    print(f"throughput ratio: {crowd / (one * cores):.2f} of one run alone x {cores} cores (goal >= 0.90)")
    print(f"memory with {args.n} runs: this process (the web side) {web:.0f} MB, the pool's processes "
          f"{workers:.0f} MB, together {web + workers:.0f} MB")
    print(f"while {args.n} train: Pause+Resume {pause[0]:.1f} / {pause[1]:.1f} ms, a snapshot of the numbers "
          f"{snapshot[0]:.1f} / {snapshot[1]:.1f} ms, a copy of the weights {weights[0]:.1f} / {weights[1]:.1f} ms "
          "(median / p90)")


if __name__ == "__main__":
    main()
