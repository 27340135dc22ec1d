"""Who owns what: data that every session shares read-only, and each session's own lab.

The datasets and the bundled model are loaded once per server process
(``st.cache_resource``) and never copied per user; each browser session gets a
``Lab`` in ``st.session_state`` with its own runs and models.  Not for drawing.
"""

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from nn.data import DataError, load_dataset, make_splits, read_dataset
from nn.files.model_file import load_model
from ui import store
from ui.runs import Run

# $MNIST_PLAYGROUND_PRETRAINED swaps in another model file, e.g. for benchmarks/draw_accuracy.py --model.
PRETRAINED_PATH = Path(os.environ.get("MNIST_PLAYGROUND_PRETRAINED")
                       or Path(__file__).resolve().parent.parent / "assets" / "pretrained.npz")


@dataclass
class Model:
    """A network with where it came from and what it scored."""

    net: object
    source: str
    meta: dict = field(default_factory=dict)

    @property
    def architecture(self):
        """Return e.g. '784-128-10, relu'."""
        return f"{'-'.join(map(str, self.net.sizes))}, {self.net.activation}"

    @property
    def accuracy(self):
        """Return the test accuracy recorded for this model, or None."""
        return self.meta.get("metrics", {}).get("test_accuracy")


@st.cache_resource(show_spinner="Loading the digits…")
def shared_splits(source):
    """Return train/validation/test splits of a named dataset ('sample', 'mnist' or a path), loaded once."""
    return make_splits(load_dataset(source), seed=0)


def sample_size():
    """Return the bundled sample's size, read from it, as every page words it: '4,000 training + 1,000 test digits'."""
    sample = shared_splits("sample")
    return f"{len(sample.y_train) + len(sample.y_val):,} training + {len(sample.y_test):,} test digits"


@st.cache_resource(show_spinner="Reading your dataset…", max_entries=8)
def uploaded_splits(data, filename):
    """Return splits of an uploaded dataset file, loaded once per distinct file."""
    return make_splits(read_dataset(data, filename), seed=0)


@st.cache_resource(show_spinner=False)
def pretrained():
    """Return the bundled pretrained model, loaded once."""
    net, meta = load_model(PRETRAINED_PATH)
    return Model(net, "bundled pretrained model", meta)


class Lab:
    """Everything one browser session owns: its runs, an uploaded model, its choice of data."""

    def __init__(self):
        self.run = None  # the current run, live or ended
        self.runs = []  # every run of this session, oldest first
        self.uploaded = None  # a Model the user uploaded, used until the next run starts
        self.data_source = "sample"  # 'sample', 'mnist' or 'upload'
        self.data_name = "bundled sample"
        self.uploaded_data = None  # Splits of an uploaded dataset file
        self.browser = None  # this browser's id, kept in the URL: it finds its saved runs

    def model(self):
        """Return the session's model: the current run's, else an uploaded one, else the pretrained one."""
        if self.run is not None:
            return Model(self.run.net, f"this session's run {self.run.id[:6]} ({self.run.status})", self.run.metadata())
        return self.uploaded or pretrained()

    def open_run(self, run_id):
        """Make saved or live run run_id the session's run, carrying on if it was cut off; return it or None."""
        run = Run.restore(run_id, _splits_of)
        if run is None:
            return None
        self.run = run
        if run not in self.runs:
            self.runs.append(run)
        if run.data_source in ("sample", "mnist"):
            self.data_source, self.data_name = run.data_source, run.data_name
        if run.unfinished:
            run.start()  # it was cut off mid-training: carry on from its last checkpoint
        return run

    def splits(self):
        """Return the splits of the dataset this session chose."""
        return self.uploaded_data if self.data_source == "upload" else shared_splits(self.data_source)


def lab():
    """Return this browser session's Lab, creating it on first use, and keep its ids in the page URL."""
    if "lab" not in st.session_state:
        st.session_state["lab"] = _new_lab()
    here = st.session_state["lab"]
    wanted = {"b": here.browser, **({"run": here.run.id} if here.run is not None and here.run.browser else {})}
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)
    return here


def _new_lab():
    """Return a Lab for a new session: a reload or a shared URL brings back its browser id and its run."""
    new = Lab()
    browser = st.query_params.get("b", "")
    new.browser = browser if store.ID.match(browser) else uuid.uuid4().hex[:16]
    run_id = st.query_params.get("run", "")
    if store.ID.match(run_id):
        new.open_run(run_id)
    return new


def _splits_of(source):
    """Return the splits a restored run trains on; an uploaded dataset is gone, so the sample stands in."""
    try:
        return shared_splits(source if source in ("sample", "mnist") else "sample")
    except DataError:
        return shared_splits("sample")
