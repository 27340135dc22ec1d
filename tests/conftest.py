"""Test-wide settings, and fixtures that several test files share.

One BLAS thread per process: the tests run several training threads (and a
Streamlit server) at once on small machines, where OpenBLAS's own worker threads
would fight them for the same cores and make everything many times slower.
This must happen before NumPy is first imported.
"""

import http.server
import os
import tempfile
import threading

import pytest

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

# Runs that tests start are checkpointed: keep them out of the user's own run folder.
os.environ.setdefault("MNIST_PLAYGROUND_RUNS", tempfile.mkdtemp(prefix="playground-test-runs-"))


@pytest.fixture(scope="session")
def splits():
    """Return train/validation/test splits of the bundled sample, shared by every test that trains."""
    from nn.data import load_dataset, make_splits

    return make_splits(load_dataset("sample"), seed=0)


class Handler(http.server.BaseHTTPRequestHandler):
    """Serve server.payload the way server.mode says: well, cut off, as a 404, or stalling."""

    def do_GET(self):
        server = self.server
        server.hits += 1
        if server.mode == "404":
            self.send_error(404)
            return
        if server.mode == "stall_headers":
            server.release.wait(10)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(server.payload)))
        self.end_headers()
        if server.mode == "truncated":
            self.wfile.write(server.payload[: len(server.payload) // 2])
        elif server.mode == "stall_body":
            self.wfile.write(server.payload[:1000])
            self.wfile.flush()
            server.release.wait(10)
        else:
            self.wfile.write(server.payload)

    def log_message(self, *args):
        """Keep the test output quiet."""


@pytest.fixture
def serve():
    """Start local HTTP servers on 127.0.0.1; serve(payload, mode) returns the server and its URL."""
    servers = []

    def start(payload, mode="ok"):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.payload, server.mode, server.hits, server.release = payload, mode, 0, threading.Event()
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return server, f"http://127.0.0.1:{server.server_address[1]}/mnist.npz"

    yield start
    for server in servers:
        server.release.set()
        server.shutdown()
        server.server_close()
