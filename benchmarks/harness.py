"""Start the real app with ``streamlit run`` (alone, or as replicas behind HAProxy) and drive it in headless Chromium.

Shared by the browser tests (``tests/browser``), the benchmarks and the screenshot script, so it
lives here, in the ``benchmarks`` package beside ``strokes.py``, and none of them imports another's files.  Chromium
comes from the system packages (``/usr/bin/chromium``, or the path in
``CHROMIUM_PATH``): Playwright's own browser download is not available everywhere.  HAProxy too is
the system's (``/usr/sbin/haproxy``), run with the deployment's own ``deploy/haproxy.cfg``.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"
FULL_MNIST = ROOT.parent / "shared" / "data" / "mnist.npz"  # the full MNIST beside the repository: benchmarks only
VIEWPORT = {"width": 1400, "height": 1000}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]


def chromium_path():
    """Return the Chromium executable to use, or None if there is none."""
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if Path(path).exists() else None


def free_port():
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def haproxy_path():
    """Return the HAProxy executable to use, or None if there is none."""
    path = shutil.which("haproxy") or "/usr/sbin/haproxy"
    return path if Path(path).exists() else None


class AppURL(str):
    """The base URL of a running app; ``.pid`` is its server's process id, for benchmarks that watch it, and
    ``.log`` the file of its output (its worker processes' too)."""

    pid = None
    log = None


@contextmanager
def running_app(env=None, port=None, timeout=60, root=ROOT):
    """Run ``streamlit run app.py`` on a free local port; yield its base URL (an ``AppURL``), then stop it.

    root: the checkout whose app runs (another one, to compare two versions side by side).
    """
    port = port or free_port()
    with tempfile.TemporaryDirectory() as home, open(Path(home) / "server.log", "w+") as log:
        full_env = {**os.environ, "MNIST_PLAYGROUND_CACHE": str(Path(home) / "cache"),
                    "MNIST_PLAYGROUND_RUNS": str(Path(home) / "runs"), **(env or {})}
        cmd = [sys.executable, "-m", "streamlit", "run", str(Path(root) / "app.py"), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--server.fileWatcherType", "none"]  # the rest from .streamlit/config.toml, like `streamlit run app.py`
        proc = subprocess.Popen(cmd, cwd=root, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        url = AppURL(f"http://127.0.0.1:{port}")
        url.pid, url.log = proc.pid, Path(log.name)
        try:
            _wait_healthy(url, proc, timeout, log)
            yield url
        finally:
            _stop(proc)


def _stop(proc):
    """End a process started in a session of its own, then whatever of its group is left (the app's worker pool).

    Only the process itself is asked to end first: a Streamlit server whose workers were sent the
    same signal took twice as long (6 s) to close its pool.
    """
    proc.terminate()
    with suppress(subprocess.TimeoutExpired):
        proc.wait(10)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # whatever of the group is left
    proc.wait()


def _wait_healthy(url, proc, timeout, log, what="streamlit"):
    """Wait until the server (``what``) answers the app's health check; fail with its log if it dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"{what} exited with code {proc.returncode}:\n{log.read()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{what} did not answer at {url} within {timeout} s")


@dataclass
class Replicas:
    """App replicas behind HAProxy: ``url`` is the proxy's; ``cookie`` the sticky cookie's name, whose value is
    one of ``apps``' names (``app1``, ...) to send a browser to that replica; ``runs`` the run folder they share."""

    url: str
    cookie: str
    apps: dict  # replica name -> its own AppURL (its server's .pid and .log)
    runs: Path


@contextmanager
def replicas_behind_haproxy(env=None, timeout=90):
    """Run one ``streamlit run app.py`` per server of ``deploy/haproxy.cfg``, and HAProxy with that file in front.

    The replicas listen on free 127.0.0.1 ports, share one temporary run folder and have one
    worker process each (env adds to or overrides their environment).  Yield a ``Replicas``;
    stop every process at the end.
    """
    cfg = HAPROXY_CFG.read_text()
    servers = re.findall(r'^\s*server (\w+) "\$\{(\w+)\}"', cfg, re.MULTILINE)  # (name, its address's variable)
    cookie = re.search(r"^\s*cookie (\w+) insert", cfg, re.MULTILINE).group(1)
    with tempfile.TemporaryDirectory() as shared, ExitStack() as stack, open(Path(shared) / "haproxy.log", "w+") as log:
        runs = Path(shared) / "runs"
        app_env = {"PLAYGROUND_WORKERS": "1", **(env or {}), "MNIST_PLAYGROUND_RUNS": str(runs)}
        apps = {name: stack.enter_context(running_app(app_env, timeout=timeout)) for name, _ in servers}
        port = free_port()
        addresses = {var: apps[name].removeprefix("http://") for name, var in servers}
        proc = subprocess.Popen([haproxy_path(), "-db", "-f", str(HAPROXY_CFG)], stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PLAYGROUND_BIND": f"127.0.0.1:{port}", **addresses},
                                start_new_session=True)
        stack.callback(_stop, proc)
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, proc, timeout, log, "haproxy")
        yield Replicas(url, cookie, apps, runs)


def launch_browser(playwright):
    """Launch headless system Chromium through Playwright."""
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)


def wait_for_app(page, timeout=30_000):
    """Wait until the Streamlit page has rendered and finished its script run."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


def exceptions(page):
    """Return the texts of any exception boxes on the page."""
    return page.locator("[data-testid='stException']").all_inner_texts()


# Plotly keeps the decoded arrays in _fullData (data holds what came over the wire, here base64 typed arrays).
POINTS_JS = "key => document.querySelector(`.st-key-${key} .js-plotly-plot`)?._fullData?.[0]?.x?.length ?? 0"


def chart_points(page, key="curves"):
    """Return how many points the first trace of the Plotly chart with this key holds (0 if not drawn yet)."""
    return page.evaluate(POINTS_JS, key)


def wait_for_points(page, n, key="curves", timeout=120_000):
    """Wait until the Plotly chart with this key holds at least n points."""
    page.wait_for_function(f"([key, n]) => ({POINTS_JS})(key) >= n", arg=[key, n], timeout=timeout)


def step_shown(page):
    """Return the step number the Train page's progress bar shows."""
    text = page.get_by_text(re.compile(r"^Step [\d,]+ of")).inner_text()
    return int(re.match(r"Step ([\d,]+)", text).group(1).replace(",", ""))


def start_training(page, epochs=None, data=None, augment=False, full_speed=False, nickname=None, conv=None):
    """Open the Train page, optionally pick the dataset (by the start of its label), the epochs, augmentation,
    full speed (not slow motion), a nickname for the class board and conv layers ((channels, kernel), ...),
    press Start."""
    open_page(page, "train")
    if nickname is not None:
        box = page.locator(".st-key-class_nickname input")
        box.fill(nickname)
        box.press("Enter")
        wait_for_app(page)
    if full_speed:
        choose_full_speed(page)
    if data is not None:
        page.locator(".st-key-set_data").get_by_text(data).click()
        page.get_by_test_id("stSidebar").get_by_text(re.compile(data, re.IGNORECASE)).wait_for()  # loaded
    if augment:
        open_expander(page, "set_more_open")
        page.locator(".st-key-set_augment label").click()
        wait_for_app(page)
    if conv is not None:
        type_number(page, "set_conv_count", len(conv))  # each layer's inputs appear once the count is in
        for i, (channels, kernel) in enumerate(conv):
            type_number(page, f"set_conv_{i}_channels", channels)
            type_number(page, f"set_conv_{i}_kernel", kernel)
    if epochs is not None:
        type_number(page, "set_epochs", epochs)
    page.get_by_role("button", name="Start training").click()


def type_number(page, key, value, timeout=30_000):
    """Type value into the number input with widget key ``key``, as a person would, and wait for the rerun."""
    box = page.locator(f".st-key-{key} input")
    box.fill(str(value))
    box.press("Enter")
    wait_for_app(page, timeout)


def log_in_as_presenter(page, key, timeout=30_000):
    """Open /class, type the presenter key and wait for the class board."""
    open_page(page, "class", timeout)
    page.get_by_label("Presenter key", exact=True).and_(page.locator("input")).fill(key)
    page.get_by_role("button", name="Enter", exact=True).click()
    page.get_by_role("tab", name="Class board").wait_for()


def board_nicknames(page):
    """Return the nicknames of the runs the class board's chart draws (those that have reported), sorted."""
    return sorted(page.evaluate("() => (document.querySelector('.st-key-class_curves .js-plotly-plot')?._fullData"
                                " ?? []).map(trace => trace.name)"))


def choose_full_speed(page):
    """Have the Train page train as fast as the server can, not in slow motion."""
    page.locator(".st-key-speed").get_by_role("radio", name=re.compile("full speed")).click()
    wait_for_app(page)


def choose_fully_connected(page):
    """Choose the fully connected bundled model in the sidebar and wait until the sidebar names it.

    A first click on a fresh page is sometimes lost: it is pressed again, at most twice more.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    sidebar = page.get_by_test_id("stSidebar")
    for attempt in range(3):
        sidebar.get_by_text(re.compile("^fully connected")).click()
        wait_for_app(page)
        try:
            sidebar.get_by_text(re.compile("^784-512-256-10")).wait_for(timeout=10_000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise


def open_page(page, path="", timeout=30_000):
    """Open the app's page at path ('' for home) as a fresh visit: a new Streamlit session."""
    page.goto(f"{page.app_url}/{path}")
    wait_for_app(page, timeout)
    page.get_by_test_id("stMain").locator("h1").first.wait_for()  # drawn, not only connected


def open_from_sidebar(page, title):
    """Go to another page by its sidebar link, keeping the Streamlit session (a page load starts a new one)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    wait_for_app(page)


def open_expander(page, key):
    """Open the expander with this key (a section drawn only while open), as a click on its title does.

    Waits for the rerun that draws its contents; an expander already open is left so.
    """
    section = page.locator(f".st-key-{key}")
    if section.locator("details[open]").count() == 0:
        section.locator("summary").click()
        wait_for_app(page)
        section.locator("details[open]").wait_for()


def show_section(page, name):
    """Switch the Weights page to the section with this name on its switch (e.g. "Training health")."""
    page.locator(".st-key-weights_section").get_by_text(name, exact=True).click()
    wait_for_app(page)


TICK = os.sysconf("SC_CLK_TCK")  # /proc counts CPU time in these


def proc_stats():
    """Yield (pid, its /proc folder, its name, the fields of its stat after the name) of every process now."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # it ended meanwhile
            # The name in parentheses may hold spaces and parentheses: the fields start after the last ")".
            yield int(entry.name), entry, stat[stat.find("(") + 1:stat.rfind(")")], stat[stat.rfind(")") + 2:].split()


def machine_busy():
    """Return the CPU seconds all cores have spent not idle since boot."""
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICK  # less idle and iowait


def descendants(pid):
    """Return the ids of every process below pid, read from /proc (Linux)."""
    children = {}
    for child, _, _, rest in proc_stats():
        children.setdefault(int(rest[1]), []).append(child)
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def renice(pid, nice):
    """Set the niceness of every thread of process pid and of its session's autogroup (Linux).

    The kernel shares the CPU first between autogroups (one per session, and Chromium starts a
    session of its own) and only then by niceness within each: a browser's threads at nice 19
    alone would still take an equal share with the other browser and the server.
    """
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():  # Linux sets the niceness of one thread at a time
            os.setpriority(os.PRIO_PROCESS, int(task.name), nice)
        autogroup = Path(f"/proc/{pid}/autogroup")
        if autogroup.exists():
            autogroup.write_text(str(nice))
    except OSError:  # ended meanwhile
        pass


def renice_tree(root, nice):
    """Set the niceness of process root, every process below it, and their autogroups (see renice)."""
    for pid in [root, *descendants(root)]:
        renice(pid, nice)


def renice_browser(nice):
    """Lower the CPU priority of this script's Chromium processes (its renderers start with each page)."""
    for pid in descendants(os.getpid()):
        with suppress(OSError):  # ended meanwhile
            if "chrom" in Path(f"/proc/{pid}/comm").read_text():
                renice(pid, nice)
