"""Test-wide settings, and every fixture that more than one test file uses.

One BLAS thread per process: the tests run several training threads (and a
Streamlit server) at once on small machines, where OpenBLAS's own worker threads
would fight them for the same cores and make everything many times slower.
This must happen before NumPy is first imported.

Nothing here needs more than the repository: the real digits are the bundled
sample (``assets/mnist_sample.npz``), written out in whatever format a test needs,
and downloads come from a local HTTP server on 127.0.0.1 (``serve``).
"""

import os
import tempfile

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

# Runs that tests start are checkpointed: keep them out of the user's own run folder.
os.environ.setdefault("MNIST_PLAYGROUND_RUNS", tempfile.mkdtemp(prefix="playground-test-runs-"))

import gzip  # noqa: E402
import hashlib  # noqa: E402
import http.server  # noqa: E402
import io  # noqa: E402
import struct  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.register_assert_rewrite("tests.helpers")  # its asserts explain a failure as a test file's do

from benchmarks import harness  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


# --- the bundled sample ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def sample():
    """Return the bundled sample: 4,000 train and 1,000 test real MNIST digits."""
    from nn.data import load_dataset

    return load_dataset("sample")


@pytest.fixture(scope="session")
def splits(sample):
    """Return train/validation/test splits of the bundled sample, shared by every test that trains."""
    from nn.data import make_splits

    return make_splits(sample, seed=0)


@pytest.fixture(scope="session")
def pretrained():
    """Return (net, metadata) of the fully connected model the app ships with, trained on the full MNIST.

    assets/pretrained.npz, 784-512-256-10: the one whose every layer the tests can check from its raw matrices.
    """
    from nn.files.model_file import load_model

    return load_model(ROOT / "assets" / "pretrained.npz")


@pytest.fixture
def dense_session():
    """Return a fresh Session (``ui.session``) that chose the fully connected bundled model, 784-512-256-10.

    The app's default bundled model is convolutional; a test of what only a fully connected network shows
    (28×28 neuron pictures, the classic notebook's equations, its script) chooses this one, as a person does in
    the sidebar.
    """
    from ui.session import Session

    me = Session()
    me.choose_bundled("dense")
    return me


@pytest.fixture(scope="session")
def sample_npz(sample):
    """Return the bundled sample written out as Keras' mnist.npz (bytes, as the real download is), and its SHA-256."""
    keys = ("x_train", "y_train", "x_test", "y_test")
    data = Files.npz(**{key: getattr(sample, key).astype(np.uint8) for key in keys})
    return data, hashlib.sha256(data).hexdigest()


@pytest.fixture
def channels(monkeypatch):
    """Return {a picture's colour-bar name: [maps (channels, side, side), ...]}: the channels the page drew."""
    from ui.figures import weights

    drawn, draw = {}, weights.channel_grid

    def record(maps, scale, name="weight", tick="+.2f"):
        drawn.setdefault(name, []).append(np.array(maps))
        return draw(maps, scale, name, tick)

    monkeypatch.setattr(weights, "channel_grid", record)
    return drawn


# --- waiting, ports and a local HTTP server -------------------------------------------------


@pytest.fixture(scope="session")
def wait_until():
    """Return wait(condition, seconds=20): True as soon as condition() holds, False if it still does not."""

    def wait(condition, seconds=20):
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return True

    return wait


@pytest.fixture
def free_port():
    """Return a TCP port on 127.0.0.1 that nothing listens on."""
    return harness.free_port()


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


# --- the app's pages, through Streamlit's AppTest -------------------------------------------


@pytest.fixture
def open_page():
    """Return open(page, session=None, query=None): an AppTest that has run pages/<page>.py ('' for home).

    ``session`` values go into the session state and ``query`` into the URL before the first run.
    Fails if the page shows an exception.  Runs the sessions started are stopped afterwards.
    """
    from streamlit.testing.v1 import AppTest

    opened = []

    def open_(page="", session=None, query=None):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        for key, value in (session or {}).items():
            at.session_state[key] = value
        for key, value in (query or {}).items():
            at.query_params[key] = value
        if page:
            at.switch_page(f"pages/{page}.py")
        opened.append(at)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    yield open_
    for at in opened:
        if "session" in at.session_state:
            for run in at.session_state["session"].runs:
                run.stop()
                run.join(10)


# --- files people send ----------------------------------------------------------------------


class Files:
    """Make, in memory, the files the tests send: datasets in every format, model files, and broken ones."""

    HEADER = "label," + ",".join(f"pixel{i}" for i in range(784))  # Kaggle's train.csv
    IDX_NAMES = {
        "x_train": "train-images-idx3-ubyte",
        "y_train": "train-labels-idx1-ubyte",
        "x_test": "t10k-images-idx3-ubyte",
        "y_test": "t10k-labels-idx1-ubyte",
    }

    @staticmethod
    def npz(**arrays):
        """Return arrays saved as an .npz; np.savez pickles object arrays, as a hostile file would."""
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        return buf.getvalue()

    @staticmethod
    def npy(a):
        """Return one array saved as a .npy."""
        buf = io.BytesIO()
        np.save(buf, a)
        return buf.getvalue()

    @staticmethod
    def idx(a):
        """Return an array as an IDX file: magic 0x0000 08 ndim, big-endian sizes, the uint8 bytes."""
        return struct.pack(">HBB", 0, 8, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape) + a.astype(np.uint8).tobytes()

    @staticmethod
    def csv(x, y, header=HEADER, newline="\n", label_last=False):
        """Return images and labels as a Kaggle-style train.csv (or with the label as the last column)."""
        rows = [
            [*img.ravel().tolist(), label] if label_last else [label, *img.ravel().tolist()]
            for img, label in zip(x, y, strict=True)
        ]
        return newline.join([header, *(",".join(map(str, row)) for row in rows), ""]).encode()

    @staticmethod
    def zip(files):
        """Return a .zip holding {name: bytes}."""
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for name, data in files.items():
                z.writestr(name, data)
        return buf.getvalue()

    @staticmethod
    def fake_digits(n_train=12, n_test=6, seed=0):
        """Return random uint8 images and labels in the Keras layout (for files that need no real digits)."""
        rng = np.random.default_rng(seed)
        return {
            "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "y_train": rng.integers(0, 10, n_train).astype(np.uint8),
            "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "y_test": rng.integers(0, 10, n_test).astype(np.uint8),
        }

    @classmethod
    def fake_npz(cls, **changes):
        """Return the bytes of an .npz of fake digits with some arrays replaced."""
        return cls.npz(**{**cls.fake_digits(), **changes})

    @staticmethod
    def model_arrays(net, **changes):
        """Return a saved model's arrays by name, with some replaced (None removes one)."""
        from nn.files.model_file import model_bytes

        with np.load(io.BytesIO(model_bytes(net)), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        arrays.update(changes)
        return {k: v for k, v in arrays.items() if v is not None}


@pytest.fixture(scope="session")
def files():
    """Return the Files maker."""
    return Files


def _bad_datasets():
    """Return {case: (file bytes, a pattern of the one error it must get)} for the broken datasets people send."""
    f, fake = Files, Files.fake_digits()
    good = f.fake_npz()
    csv = f.csv(fake["x_train"], fake["y_train"])
    return {
        "empty": (b"", "is empty"),
        "random bytes": (np.random.default_rng(1).bytes(5000), "not a dataset"),
        "truncated npz": (good[: len(good) // 2], "damaged or cut off"),
        "pickled objects": (f.fake_npz(y_test=np.array([{"a": 1}] * 6, dtype=object)), "pickled"),
        "missing array": (f.npz(x_train=fake["x_train"], y_train=fake["y_train"], x_test=fake["x_test"]),
                          "no array 'y_test'"),
        "wrong image shape": (f.fake_npz(x_train=np.zeros((12, 27, 27), np.uint8)), r"shape \(12, 27, 27\)"),
        "text pixels": (f.fake_npz(x_test=np.full((6, 28, 28), "a")), "expected pixel numbers"),
        "pixels over 255": (f.fake_npz(x_train=np.full((12, 28, 28), 300, np.int16)), "outside 0..255"),
        "pixels scaled to 0..1": (f.fake_npz(x_train=np.full((12, 28, 28), 0.5)), "not whole numbers"),
        "label 10": (f.fake_npz(y_train=np.full(12, 10)), r"outside 0\.\.9 \(found 10\)"),
        "negative label": (f.fake_npz(y_test=np.full(6, -1)), r"outside 0\.\.9"),
        "too few labels": (f.fake_npz(y_train=np.zeros(11, np.uint8)), "11 labels for 12 images"),
        "no images": (f.fake_npz(x_test=np.zeros((0, 28, 28), np.uint8), y_test=np.zeros(0)), "holds no images"),
        "single npy": (f.npy(fake["x_train"]), "single NumPy array"),
        "single idx": (gzip.compress(f.idx(fake["y_train"])), "single MNIST IDX file"),
        "zip of something else": (f.zip({"notes.txt": b"hi"}), "neither"),
        "csv without label": (f.csv(fake["x_train"], fake["y_train"], header=f.HEADER.replace("label", "digit")),
                              "no column 'label'"),
        "csv missing pixels": (b"label,pixel0,pixel1\n1,0,0\n", "no column 'pixel2'"),
        "csv without header": (csv[len(f.HEADER) + 1 :], "no header row"),
        "csv not numbers": (csv.replace(b"\n7,", b"\nseven,", 1), "not a number"),
        "csv header only": ((f.HEADER + "\n").encode(), "0 rows"),
        "csv ragged row": (csv.rstrip(b"\n").rsplit(b",", 1)[0] + b"\n", "wrong length"),
        "csv label 12": (f.csv(fake["x_train"], np.full(12, 12)), r"outside 0\.\.9"),
        "corrupt gzip": (gzip.compress(b"label,pixel0\n" * 100)[:-20], "damaged or cut off"),
    }


BAD_DATASETS = _bad_datasets()


@pytest.fixture(params=list(BAD_DATASETS))
def bad_dataset(request):
    """Return (file bytes, message pattern) for each kind of broken dataset file, one test per kind.

    A test file can pick some kinds with ``@pytest.mark.parametrize("bad_dataset", [...], indirect=True)``.
    """
    return BAD_DATASETS[request.param]
