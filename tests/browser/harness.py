"""Start the real app with ``streamlit run`` and drive it in headless Chromium.

Shared by the browser tests, the benchmarks and the screenshot script.  Chromium
comes from the system packages (``/usr/bin/chromium``, or the path in
``CHROMIUM_PATH``): Playwright's own browser download is not available everywhere.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
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


class AppURL(str):
    """The base URL of a running app; ``.pid`` is its server's process id, for benchmarks that watch it."""

    pid = None


@contextmanager
def running_app(env=None, port=None, timeout=60):
    """Run ``streamlit run app.py`` on a free local port; yield its base URL (an ``AppURL``), then stop it."""
    port = port or free_port()
    with tempfile.TemporaryDirectory() as home, open(Path(home) / "server.log", "w+") as log:
        full_env = {**os.environ, "MNIST_PLAYGROUND_CACHE": str(Path(home) / "cache"),
                    "MNIST_PLAYGROUND_RUNS": str(Path(home) / "runs"), **(env or {})}
        cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        url = AppURL(f"http://127.0.0.1:{port}")
        url.pid = proc.pid
        try:
            _wait_healthy(url, proc, timeout, log)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_healthy(url, proc, timeout, log):
    """Wait until the server answers its health check; fail with its log if it dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"streamlit exited with code {proc.returncode}:\n{log.read()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"streamlit did not answer at {url} within {timeout} s")


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
