"""Load one server as a workshop does: N people train at once while one more person opens each page.

    python benchmarks/workshop_load.py                 # N = 0 (unloaded), 8 and 20
    python benchmarks/workshop_load.py -n 0,4          # a quick check

It starts ``streamlit run app.py`` on 127.0.0.1 (its worker pool starts with it) and, for
each N in turn, has N sessions (contexts of one headless Chromium, "the crowd") train long
runs with the Train page's defaults on the bundled sample.  Then one more person, in a
second Chromium of their own, opens each page (``/``, ``/train``, ``/weights``, ``/draw``)
in a new tab, twice, and the figures are what that person sees: the first message from the
server after the tab opened, and the page drawn (home: the sidebar's model block; Train:
the Start button; Weights: the first figure; Draw: the canvas).

In a workshop the crowd's browsers run on people's own laptops; here they share the
server's two cores, so once they have pressed Start their Chromium is reniced to 19, its
threads and its session's autogroup (Chromium ignores the niceness it is started with, and
starts a session of its own, which Linux weighs as a whole against the others'), and takes
only what the server and the timed person leave.
CPU is read from /proc over each loaded phase and split into the web process, the
workers (the server's child processes), the browsers, and the rest of the machine; memory
is the web process's and all the workers' resident size.  Every wait has a timeout.
Not a test: it asserts nothing, it prints a table.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import (  # noqa: E402
    TICK,
    choose_full_speed,
    launch_browser,
    machine_busy,
    proc_stats,
    renice_tree,
    running_app,
    type_number,
    wait_for_app,
)

VIEWPORT = {"width": 900, "height": 650}  # small pages: the browsers share the server's two cores
EPOCHS = 500  # the crowd's runs outlast the timing

def machine():
    """Return (cores, GB of RAM) of this machine."""
    with open("/proc/meminfo") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("MemTotal:"))
    return os.cpu_count(), kb / 2**20


def status_kb(pid, field):
    """Return a /proc/<pid>/status field in kB (VmRSS: memory now, VmHWM: its peak)."""
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


def processes():
    """Return {pid: (parent pid, CPU seconds so far, its own and its ended children's)} of every process."""
    return {pid: (int(rest[1]), sum(int(t) for t in rest[11:15]) / TICK) for pid, _, _, rest in proc_stats()}


def descendants(root, procs):
    """Return the pids of root and all its descendants in procs."""
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo += [p for p, (parent, _) in procs.items() if parent == pid and p not in tree]
    return tree


def cpu_snapshot(server):
    """Return CPU seconds so far of {web process, workers, browsers (this script and its children), machine}."""
    procs = processes()
    ours, theirs = descendants(os.getpid(), procs), descendants(server, procs)
    return {"web": procs[server][1] if server in procs else 0.0,
            "workers": sum(procs[p][1] for p in theirs - {server} if p in procs),
            "browsers": sum(procs[p][1] for p in ours - theirs if p in procs),
            "machine": machine_busy()}


def launch_crowd(playwright):
    """Launch the crowd's Chromium; return it and the pid of its main process."""
    before = set(processes())
    browser = launch_browser(playwright)
    procs = processes()
    new = descendants(os.getpid(), procs) - before
    return browser, next(pid for pid in new if procs[pid][0] not in new)  # the one its driver started


def open_train_pages(browser, url, n):
    """Return n pages, each its own session on the Train page with long training started."""
    pages = []
    for _ in range(n):
        page = browser.new_context(viewport=VIEWPORT).new_page()
        page.set_default_timeout(120_000)
        page.goto(f"{url}/train", wait_until="commit")
        pages.append(page)
    for page in pages:
        wait_for_app(page, timeout=120_000)
        type_number(page, "set_epochs", EPOCHS, timeout=120_000)
        choose_full_speed(page)  # the heaviest load: every run as fast as the server can
        page.get_by_role("button", name="Start training").click()
    return pages


# Added to the timed person's tabs before any script: note, in the page's clock (ms since the tab
# began to load), when the page's WebSocket to the server opened and every message the server sent on it.
FIRST_MESSAGE_JS = """
window.__messages = []; window.__opened = null;
const PageSocket = window.WebSocket;
window.WebSocket = class extends PageSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener('open', () => { window.__opened ??= performance.now(); });
    this.addEventListener('message', () => window.__messages.push(performance.now()));
  }
};
"""
DRAWN = {  # what shows that each page is drawn for the person who opened it
    "": lambda page: page.get_by_test_id("stSidebar").get_by_text("Test accuracy").wait_for(),
    "train": lambda page: page.get_by_role("button", name="Start training").wait_for(),
    # The first layer: the filters' picture for a convolutional model (the default bundled one), else the neuron grid.
    "weights": lambda page: page.locator(".st-key-weights_filters img, "
                                         ".st-key-weights_grid .js-plotly-plot").first.wait_for(state="attached"),
    "draw": lambda page: page.locator("canvas.upper-canvas").wait_for(state="attached"),
}


def open_in_new_tab(context, url, path, timeout=60):
    """Return (seconds to the server's first message, seconds to the page drawn, the server's answer) for path.

    The first two count from opening the tab; the answer, from the page's WebSocket opening (the
    browser has loaded the app's scripts by then) to the server's first message on it.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = context.new_page()
    page.add_init_script(FIRST_MESSAGE_JS)
    page.set_default_timeout(timeout * 1000)
    try:
        start = time.perf_counter()
        page.goto(f"{url}/{path}", wait_until="commit")
        DRAWN[path](page)
        drawn = time.perf_counter() - start
        first, opened = page.evaluate("() => [window.__messages[0] ?? null, window.__opened]")
        answer = None if first is None or opened is None else (first - opened) / 1000
        return (None if first is None else first / 1000), drawn, answer
    except PlaywrightTimeout:
        return None, None, None
    finally:
        page.close()


def phase(crowd, person, url, n, pages, repeats):
    """Bring the crowd to n training sessions, then time every page for the person; return the figures."""
    crowd_browser, crowd_pid = crowd
    pages += open_train_pages(crowd_browser, url, n - len(pages))
    renice_tree(crowd_pid, 19)
    time.sleep(3 if n else 0)  # every run past its start
    cpu0, t0 = cpu_snapshot(url.pid), time.time()
    context = person.new_context(viewport=VIEWPORT)
    times = {path: [open_in_new_tab(context, url, path) for _ in range(repeats)] for path in DRAWN}
    context.close()
    cpu1, wall = cpu_snapshot(url.pid), time.time() - t0
    cpu = {k: (cpu1[k] - cpu0[k]) / (wall * os.cpu_count()) for k in cpu0}
    cpu["other"] = cpu["machine"] - cpu["web"] - cpu["workers"] - cpu["browsers"]
    workers = descendants(url.pid, processes()) - {url.pid}
    return {"n": n, "times": times, "cpu": cpu, "web_mb": status_kb(url.pid, "VmRSS") / 1024,
            "workers_mb": sum(status_kb(p, "VmRSS") for p in workers if Path(f"/proc/{p}").exists()) / 1024}


def median(values):
    """Return the median of the values that are not None, or None."""
    done = [v for v in values if v is not None]
    return statistics.median(done) if done else None


def cell(value, unit="s"):
    """Return a figure for the table, or 'timeout'."""
    return "timeout" if value is None else f"{value:.2f} {unit}"


def table(results):
    """Print each phase's figures side by side, with the loaded ones against the unloaded."""
    cores, ram = machine()
    print(f"\nmachine: {cores} cores, {ram:.1f} GB RAM; the crowd trains the Train page's defaults on the bundled "
          f"sample ({EPOCHS} epochs, still training while timed); one more person opens each page in a new tab; "
          "medians of the repeats")
    base = results[0]
    rows = [("people training", lambda r: str(r["n"]))]
    for path in DRAWN:
        name = f"/{path}"
        rows.append((f"{name}: first server message", lambda r, p=path: cell(median(t[0] for t in r["times"][p]))))
        rows.append((f"{name}: the server's answer", lambda r, p=path: cell(median(t[2] for t in r["times"][p]))))
        rows.append((f"{name}: drawn", lambda r, p=path: cell(median(t[1] for t in r["times"][p]))
                     + (f" ({median(t[1] for t in r['times'][p]) / median(t[1] for t in base['times'][p]):.2f}x)"
                        if r is not base and median(t[1] for t in r["times"][p]) and
                        median(t[1] for t in base["times"][p]) else "")))
    rows += [
        ("CPU: web process", lambda r: f"{r['cpu']['web']:.0%}"),
        ("CPU: workers", lambda r: f"{r['cpu']['workers']:.0%}"),
        ("CPU: browsers + this script", lambda r: f"{r['cpu']['browsers']:.0%}"),
        ("CPU: rest of the machine", lambda r: f"{r['cpu']['other']:.0%}"),
        ("memory: web process", lambda r: f"{r['web_mb']:.0f} MB"),
        ("memory: workers", lambda r: f"{r['workers_mb']:.0f} MB"),
        ("memory: together", lambda r: f"{r['web_mb'] + r['workers_mb']:.0f} MB"),
    ]
    width = max(len(name) for name, _ in rows) + 2
    for name, fmt in rows:
        print(name.ljust(width) + "".join(fmt(r).ljust(22) for r in results))
    print("(first server message and drawn: from opening the tab; the server's answer: from the page's WebSocket "
          "opening to the server's first message on it.  CPU: share of all cores while the person opened the pages. "
          "Goals with 20 training: first message <= 0.3 s, each page drawn <= 1.5x unloaded, web process < 500 MB, "
          "all < 1.5 GB)")


def main(argv=None):
    """Run the phases asked for on one fresh server and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", default="0,8,20", help="people training in each phase, rising (default 0,8,20)")
    parser.add_argument("--repeats", type=int, default=2, help="times each page is opened per phase (default 2)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as p, running_app() as url:
        crowd = launch_crowd(p)
        person = launch_browser(p)  # a Chromium of its own: its processes are told apart from the crowd's
        pages = []
        for n in map(int, args.n.split(",")):
            print(f"{n} people training…", flush=True)
            results.append(phase(crowd, person, url, n, pages, args.repeats))
        crowd[0].close()
        person.close()
    table(results)


if __name__ == "__main__":
    main()
