"""Load one server as a workshop does: N browser sessions train at once while one more person browses.

    python benchmarks/workshop_load.py                    # N = 20, PLAYGROUND_SLOTS=1 and 2 compared
    python benchmarks/workshop_load.py -n 5 --slots 2     # a quick check
    python benchmarks/workshop_load.py --slots 2:1 --server-env STREAMLIT_RUNNER_POST_SCRIPT_GC=true  # Streamlit's GC

For each scheduler setting (PLAYGROUND_SLOTS, and BLAS threads per run) it starts
``streamlit run app.py`` on 127.0.0.1, opens N sessions (small-viewport contexts of one
headless Chromium) on the Train page with the default settings (bundled sample), and
presses Start training in all of them at once.  Each page watches itself (a timer in
the page reads its progress bar), so the figures are what the people would see: when
every run showed its first epoch done, when every run showed its test accuracy, and how
often the live progress redrew.  Meanwhile an idle person, in a second Chromium, keeps
opening the home page (a new session; with an empty browser cache, as a first visit, and
with a warm one, as a return) and going to Weights from the sidebar, timed until drawn,
and a thread times ``/_stcore/health`` and the page's HTML.

In a workshop the N browsers run on the people's own laptops; here they share the
server's cores, so once everyone has pressed Start the crowd's Chromium runs at a low
priority (``--crowd-nice``) and takes only what the server leaves.  The server's peak memory is its VmHWM; CPU seconds
are read from /proc for the server, for this script with its browsers, and for the
whole machine (a shared machine's other work shows there).  Every wait has a timeout.
Not a test: it asserts nothing, it prints a table.
"""

import argparse
import contextlib
import os
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import (  # noqa: E402
    choose_full_speed,
    launch_browser,
    open_from_sidebar,
    running_app,
    wait_for_app,
)

VIEWPORT = {"width": 900, "height": 650}  # small pages: the browsers share the server's two cores
DEFAULT_EPOCHS = 10  # the Train page's default, so the epochs box is left alone
TICK = os.sysconf("SC_CLK_TCK")

# Installed in each training page after Start: a timer that notes, in the page's own clock (ms since
# the epoch, as time.time()), when the progress bar first showed a whole epoch, every redraw of it,
# the first exception box, and the end: the run's test accuracy, or an error saying why it stopped.
WATCH_JS = """epochs => {
  const b = window.__bench = {epoch1: null, done: null, error: null, exception: null, step: 0, changes: []};
  let last = '';
  const timer = setInterval(() => {
    const now = Date.now();
    const text = document.querySelector('[data-testid=stProgress]')?.innerText ?? '';
    const m = text.match(/Step ([\\d,]+) of ([\\d,]+)/);
    if (m && m[0] !== last) {
      last = m[0];
      b.changes.push(now);
      const [step, total] = [m[1], m[2]].map(s => parseInt(s.replace(/,/g, '')));
      b.step = step;
      if (b.epoch1 === null && step * epochs >= total) b.epoch1 = now;
    }
    const box = document.querySelector('[data-testid=stException]');
    if (box && !b.exception) b.exception = box.innerText.split('\\n')[0];
    const error = [...document.querySelectorAll('[data-testid=stAlertContentError]')]
      .find(e => !e.closest('[data-testid=stException]'));  // an exception box is an error alert too
    const labels = [...document.querySelectorAll('[data-testid=stMetricLabel]')].map(e => e.innerText);
    if (error || labels.some(l => l.startsWith('Test accuracy'))) {
      b.error = error?.innerText ?? null;
      b.done = now;
      clearInterval(timer);
    }
  }, 100);
}"""


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
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # it ended meanwhile
            rest = stat[stat.rfind(")") + 2:].split()  # the name in parentheses may hold spaces
            found[int(entry.name)] = (int(rest[1]), sum(int(t) for t in rest[11:15]) / TICK)
    return found


def descendants(root, procs):
    """Return the pids of root and all its descendants in procs."""
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo += [p for p, (parent, _) in procs.items() if parent == pid and p not in tree]
    return tree


def machine_busy():
    """Return the CPU seconds all cores have spent not idle since boot."""
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICK  # less idle and iowait


def cpu_snapshot(server):
    """Return CPU seconds so far of {server, browsers (this script and its other children), machine}."""
    procs = processes()
    ours, theirs = descendants(os.getpid(), procs), descendants(server, procs)
    return {"server": sum(procs[p][1] for p in theirs if p in procs),
            "browsers": sum(procs[p][1] for p in ours - theirs if p in procs),
            "machine": machine_busy()}


class ServerProbe(threading.Thread):
    """Time ``/_stcore/health`` and the page's HTML (``/``) every half second until told to stop."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.seconds, self.failures = url, {"/_stcore/health": [], "/": []}, 0
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(0.5):
            for path, seconds in self.seconds.items():
                start = time.perf_counter()
                try:
                    with urllib.request.urlopen(self.url + path, timeout=10) as r:
                        r.read()
                    seconds.append(time.perf_counter() - start)
                except OSError:
                    self.failures += 1


def launch_crowd(playwright):
    """Launch the crowd's Chromium; return it and the pid of its main process."""
    before = set(processes())
    browser = launch_browser(playwright)
    procs = processes()
    new = descendants(os.getpid(), procs) - before
    return browser, next(pid for pid in new if procs[pid][0] not in new)  # the one its driver started


def renice(root, niceness):
    """Set the niceness of every thread of root's process tree; processes it starts later inherit it."""
    for pid in descendants(root, processes()):
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with contextlib.suppress(OSError):  # it ended meanwhile
                os.setpriority(os.PRIO_PROCESS, int(task.name), niceness)


def open_train_pages(browser, url, n, epochs):
    """Return n pages, each its own session on the Train page with Start training ready to press."""
    pages = []
    for _ in range(n):
        page = browser.new_context(viewport=VIEWPORT).new_page()
        page.set_default_timeout(120_000)
        page.goto(f"{url}/train", wait_until="commit")
        pages.append(page)
    for page in pages:
        wait_for_app(page, timeout=120_000)
        if epochs != DEFAULT_EPOCHS:
            box = page.locator(".st-key-set_epochs input")
            box.fill(str(epochs))
            box.press("Enter")
            wait_for_app(page, timeout=120_000)
        choose_full_speed(page)  # the heaviest load: every run as fast as the server can
        page.get_by_role("button", name="Start training").wait_for()
    return pages


# Added to the idle person's pages before any script: note, in the page's clock, every message the
# server sends over the WebSocket and every click, to tell the server's answer from the browser's drawing.
ANSWERS_JS = """
window.__messages = []; window.__clicks = [];
const PageSocket = window.WebSocket;
window.WebSocket = class extends PageSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener('message', () => window.__messages.push(performance.now()));
  }
};
addEventListener('click', () => window.__clicks.push(performance.now()), true);
"""
# Seconds from the last click to the first message the server sent after it.
ANSWER_JS = """() => {
  const click = window.__clicks.at(-1);
  const first = window.__messages.find(t => t > click);
  return first === undefined ? null : (first - click) / 1000;
}"""


def probe_idle(browser, url, timeout=60, context=None):
    """Return seconds (home drawn, Weights drawn after its sidebar link, the server's first answer to that click).

    None for a timeout.  Without context the page opens in a fresh browser context, its cache empty (a first visit);
    with one, in a new tab of it, the app's scripts already cached (a person who has been here).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = (context or browser.new_context(viewport=VIEWPORT)).new_page()
    page.add_init_script(ANSWERS_JS)
    page.set_default_timeout(timeout * 1000)
    home = weights = answer = None
    try:
        start = time.perf_counter()
        page.goto(url, wait_until="commit")
        wait_for_app(page, timeout * 1000)
        page.get_by_test_id("stSidebar").get_by_text("Test accuracy").wait_for()
        home = time.perf_counter() - start
        start = time.perf_counter()
        open_from_sidebar(page, "Weights")
        page.locator(".st-key-weights_grid .js-plotly-plot").wait_for(state="attached")
        weights = time.perf_counter() - start
        answer = page.evaluate(ANSWER_JS)
    except PlaywrightTimeout:
        pass  # counted as a timeout
    finally:
        page.close() if context else page.context.close()
    return home, weights, answer


def watched(pages):
    """Return each page's notes from WATCH_JS."""
    return [page.evaluate("() => window.__bench") for page in pages]


def load(crowd, idle, n, epochs, slots, blas, timeout, server_env, crowd_nice):
    """Run the scenario on a fresh server with these scheduler settings and return its figures.

    crowd is (browser, pid) for the N sessions, reniced to crowd_nice once all have pressed Start; idle a browser.
    """
    crowd, crowd_pid = crowd
    env = {"PLAYGROUND_SLOTS": str(slots), "OPENBLAS_NUM_THREADS": str(blas), "OMP_NUM_THREADS": str(blas),
           **server_env}
    with running_app(env=env) as url:
        probe_idle(idle, url)  # the first URL of a fresh server must be the home page (see open_page)
        rss_idle = status_kb(url.pid, "VmRSS")
        pages = open_train_pages(crowd, url, n, epochs)
        server = ServerProbe(url)
        server.start()
        cpu0, t0 = cpu_snapshot(url.pid), time.time()
        for page in pages:
            page.get_by_role("button", name="Start training").click()
            page.evaluate(WATCH_JS, epochs)
        clicked = time.time() - t0
        renice(crowd_pid, crowd_nice)
        home, weights, answers, warm = [], [], [], []
        cached = idle.new_context(viewport=VIEWPORT)
        probe_idle(idle, url, context=cached)  # fills its cache
        deadline = time.monotonic() + timeout
        notes = watched(pages)
        while time.monotonic() < deadline and not all(b["done"] for b in notes):
            h, w, a = probe_idle(idle, url)
            home.append(h)
            weights.append(w)
            answers.append(a)
            warm.append(probe_idle(idle, url, context=cached)[0])
            notes = watched(pages)
        cached.close()
        cpu1, wall = cpu_snapshot(url.pid), time.time() - t0
        server.done.set()
        server.join(15)
        peak = status_kb(url.pid, "VmHWM")
        for page in pages:
            page.context.close()
        renice(crowd_pid, 0)
    server_seconds = cpu1["server"] - cpu0["server"]
    cpu = {k: (cpu1[k] - cpu0[k]) / (wall * os.cpu_count()) for k in cpu0}
    cpu["other"] = cpu["machine"] - cpu["server"] - cpu["browsers"]
    gaps = [(b - a) / 1000 for note in notes for a, b in zip(note["changes"], note["changes"][1:])]
    return {
        "slots": slots, "blas": blas, "clicked": clicked, "wall": wall,
        "finished": sum(bool(b["done"]) and not b["error"] for b in notes),
        "errors": [b["error"] for b in notes if b["error"]],
        "exceptions": [b["exception"] for b in notes if b["exception"]],
        "epoch1": [b["epoch1"] / 1000 - t0 if b["epoch1"] else None for b in notes],
        "done": [b["done"] / 1000 - t0 if b["done"] else None for b in notes],
        "home": home, "weights": weights, "answers": answers, "warm": warm,
        "health": server.seconds["/_stcore/health"], "html": server.seconds["/"],
        "probe_failures": server.failures,
        "gaps": gaps, "rss_idle": rss_idle / 1024, "rss_peak": peak / 1024,
        "cpu": cpu, "server_seconds": server_seconds, "steps": sum(b["step"] for b in notes),
    }


def spread(values, unit="s", scale=1.0):
    """Return 'median / max' of values, saying how many timed out (None)."""
    done = [v for v in values if v is not None]
    late = f", {len(values) - len(done)} timed out" if len(done) < len(values) else ""
    if not done:
        return "no samples" + late
    return f"{statistics.median(done) * scale:.2f} / {max(done) * scale:.2f} {unit}{late}"


def last(values):
    """Return the largest of values as seconds, or say how many never got there."""
    missing = sum(v is None for v in values)
    return f"{max(values):.1f} s" if not missing else f"{missing} never (timeout)"


def table(results, n, epochs, server_env):
    """Print the figures of every scheduler setting side by side."""
    cores, ram = machine()
    print(f"\nmachine: {cores} cores, {ram:.1f} GB RAM; N = {n} sessions training (bundled sample, default "
          f"settings, {epochs} epochs) + 1 idle session browsing; server, Chromium and this script share the cores")
    if server_env:
        print("server environment: " + " ".join(f"{k}={v}" for k, v in server_env.items()))
    gap_p95 = lambda r: sorted(r["gaps"])[round(0.95 * (len(r["gaps"]) - 1))] if r["gaps"] else float("nan")
    rows = [
        ("setting", lambda r: f"SLOTS={r['slots']}, BLAS threads={r['blas']}"),
        ("runs finished", lambda r: f"{r['finished']}/{n}" + (f" ({len(r['errors'])} errors)" if r["errors"] else "")),
        ("pages that showed an exception", lambda r: str(len(r["exceptions"]))),
        ("Start pressed in all (s)", lambda r: f"{r['clicked']:.1f} s"),
        ("all showed epoch 1 done", lambda r: last(r["epoch1"])),
        ("  per session, median / max", lambda r: spread(r["epoch1"])),
        ("all showed test accuracy", lambda r: last(r["done"])),
        ("live progress redraw, median / p95", lambda r: f"{statistics.median(r['gaps']) if r['gaps'] else 0:.2f}"
                                                         f" / {gap_p95(r):.2f} s"),
        ("idle: open home, median / max", lambda r: spread(r["home"]) + f" (n={len(r['home'])})"),
        ("idle: go to Weights, server's answer", lambda r: spread(r["answers"])),
        ("idle: go to Weights, drawn", lambda r: spread(r["weights"])),
        ("idle: open home, cache warm", lambda r: spread(r["warm"])),
        ("/_stcore/health, median / max", lambda r: spread(r["health"], "ms", 1000)
         + (f", {r['probe_failures']} failed" if r["probe_failures"] else "")),
        ("page HTML (/), median / max", lambda r: spread(r["html"], "ms", 1000)),
        ("server RSS idle -> peak", lambda r: f"{r['rss_idle']:.0f} -> {r['rss_peak']:.0f} MB"),
        ("CPU: server", lambda r: f"{r['cpu']['server']:.0%} ({r['server_seconds']:.0f} CPU-s)"),
        ("training steps shown, all runs",
         lambda r: f"{r['steps']:,} ({r['server_seconds'] / max(r['steps'], 1) * 1000:.1f} server CPU-ms each)"),
        ("CPU: Chromium + this script", lambda r: f"{r['cpu']['browsers']:.0%}"),
        ("CPU: anything else on the machine", lambda r: f"{r['cpu']['other']:.0%}"),
    ]
    width = max(len(name) for name, _ in rows) + 2
    for name, cell in rows:
        print(name.ljust(width) + "".join(cell(r).ljust(34) for r in results))
    print("(CPU: share of all cores over the loaded phase, from the first Start to the last test accuracy)")
    for r in results:
        for text in sorted(set(r["errors"] + r["exceptions"])):
            print(f"SLOTS={r['slots']}: a page showed: {text}")


def main(argv=None):
    """Run the scenario for each scheduler setting asked for and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="sessions that train at once (default 20)")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help="epochs per run (default: the page's)")
    parser.add_argument("--slots", default="1,2",
                        help="PLAYGROUND_SLOTS values to compare, each as SLOTS or SLOTS:BLAS_THREADS "
                             "(default 1,2; BLAS threads default to cores / slots)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds each setting may train (default 300)")
    parser.add_argument("--crowd-nice", type=int, default=19,
                        help="niceness of the N sessions' Chromium once all pressed Start (default 19: in a workshop "
                             "their browsers run on the people's own laptops, so here they get what the server "
                             "leaves; 0: equal)")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for the server, e.g. STREAMLIT_RUNNER_POST_SCRIPT_GC=true")
    args = parser.parse_args(argv)
    server_env = dict(item.split("=", 1) for item in args.server_env)
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as p:
        crowd = launch_crowd(p)
        idle = launch_browser(p)
        for setting in args.slots.split(","):
            slots, _, blas = setting.partition(":")
            slots = int(slots)
            blas = int(blas or max(os.cpu_count() // slots, 1))
            print(f"PLAYGROUND_SLOTS={slots}, OPENBLAS_NUM_THREADS={blas}: {args.n} sessions…", flush=True)
            results.append(load(crowd, idle, args.n, args.epochs, slots, blas, args.timeout, server_env,
                                args.crowd_nice))
        crowd[0].close()
        idle.close()
    table(results, args.n, args.epochs, server_env)


if __name__ == "__main__":
    main()
