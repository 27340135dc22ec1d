"""Where the test suite's time goes: its wall-clock time, and the CPU each kind of process spent meanwhile.

    python benchmarks/suite_cpu.py                        # the whole suite
    python benchmarks/suite_cpu.py tests/browser -x       # any pytest arguments

It runs ``python -m pytest`` with the arguments given and, every half second, reads every process's
own CPU time from /proc, sorted by what the process is when first seen (Dask retitles the processes
that host it): Chromium (the browser tests' headless browser), the app servers (``streamlit run``),
the pool's worker processes (Dask's and multiprocessing's), pytest itself (the in-process AppTests
and the engine's tests), and the rest by process name.
A process that ends between two readings loses at most its last half second.  With the machine's
busy time beside it, it tells whether spreading the tests over processes (pytest-xdist) could make
the suite faster: not when the cores are already busy.

Not a test: it asserts nothing, it prints figures.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import TICK, machine_busy, proc_stats  # noqa: E402

KINDS = (("Chromium", ("chrom",)), ("app servers", ("streamlit",)),
         ("pool workers", ("dask", "distributed", "multiprocessing", "spawn_main")), ("pytest", ("pytest",)))


def kind(command, name):
    """Return which kind of process a command line is (see KINDS), else 'other: ' and the process's name."""
    return next((label for label, marks in KINDS if any(m in command for m in marks)), f"other: {name}")


def own_cpu():
    """Return {pid: (kind, CPU seconds the process itself has spent)} of every process now."""
    found = {}
    for pid, entry, name, rest in proc_stats():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # it ended meanwhile
        found[pid] = (kind(command, name), (int(rest[11]) + int(rest[12])) / TICK)
    return found


def main():
    before, busy0, t0 = own_cpu(), machine_busy(), time.time()
    last = dict(before)
    suite = subprocess.Popen([sys.executable, "-m", "pytest", "-q", *sys.argv[1:]], cwd=ROOT)
    while suite.poll() is None:
        time.sleep(0.5)
        for pid, (name, cpu) in own_cpu().items():  # a process keeps the kind it had when first seen:
            last[pid] = (last.get(pid, (name,))[0], cpu)  # Dask retitles the processes that host it
    wall, busy = time.time() - t0, machine_busy() - busy0
    spent = {}
    for pid, (name, cpu) in last.items():
        spent[name] = spent.get(name, 0.0) + cpu - before.get(pid, (name, 0.0))[1]
    cores = os.cpu_count()
    print(f"\npytest {' '.join(sys.argv[1:])}: exit {suite.returncode}, {wall:.0f} s on {cores} cores; "
          f"the machine busy {busy:.0f} core-s of {wall * cores:.0f} ({busy / (wall * cores):.0%})")
    for name, cpu in sorted(spent.items(), key=lambda kv: -kv[1]):
        if cpu >= 0.01 * busy:  # the many small others left out
            print(f"  {name:<24} {cpu:7.0f} core-s  {cpu / busy:4.0%}")


if __name__ == "__main__":
    main()
