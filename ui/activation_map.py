"""The Weights page's activation map for one session: its live PCA frames and its background t-SNE job.

``ActivationMap.frame`` returns the map of one layer now (``nn.explain.projection``), each frame
turned onto the session's last one of that layer so a live map moves rather than jumps; the
input pixels' map never changes and is computed once.  ``start_tsne`` writes the layer's
activations to a temporary folder and starts ``python -m ui.tsne`` there, niced, in a process of
its own (t-SNE is seconds of CPU: in the web process it would hold the GIL every page shares);
``tsne`` reads its progress file and, once done, its map.  Not for Streamlit calls (the page's)
nor figures (``ui.figures.activation_map``).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nn.explain import projection

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Frame:
    """One map of n digits: points (n, 2), their labels and readings (n,), their test-digit numbers (n,)."""

    points: np.ndarray
    labels: np.ndarray
    predicted: np.ndarray
    index: np.ndarray
    explained: np.ndarray  # (2,) share of the layer's variance on each axis; empty for a t-SNE map

    @property
    def misread(self):
        """Return how many digits the network reads wrong."""
        return int((self.labels != self.predicted).sum())


@dataclass
class TsneJob:
    """A t-SNE map being computed: of which layer, as of which moment, how far along, and its Frame once done."""

    layer: int
    layer_name: str
    when: str  # e.g. 'run 3fa2c1 at step 1,200' or 'bundled pretrained model'
    folder: Path
    process: subprocess.Popen
    labels: np.ndarray
    predicted: np.ndarray
    index: np.ndarray
    frame: Frame | None = None
    error: str | None = None

    @property
    def running(self):
        """Return True until the process has ended."""
        return self.frame is None and self.error is None

    def progress(self):
        """Return (share done 0..1, what it is doing), as its progress file says."""
        try:
            state = json.loads((self.folder / "progress.json").read_text())
        except (OSError, ValueError):  # not written yet
            return 0.0, "starting"
        return float(state["done"]), state["stage"]


class ActivationMap:
    """One session's activation maps: ``size`` fixed test digits, the last frame of each layer, one t-SNE job."""

    def __init__(self, size=projection.MAP_DIGITS):
        self.size = size
        self._last = {}  # (layer, feature count) -> the last Projection shown, to turn the next one onto
        self._pixels = None  # (the test images, their Projection): the input's map, the same for every model
        self._shown = None  # (net, layer, digits, Frame): the last frame returned, held for still weights
        self.job = None  # the latest TsneJob

    def digits(self, X, y):
        """Return (indices, X, y) of the map's fixed subset of test digits X (n, 784), y (n,)."""
        index = projection.subset(len(y), self.size)
        return index, X[index], y[index]

    def frame(self, net, X, y, layer, learning=True):
        """Return the Frame of layer (an index into ``projection.layer_names(net)``) for test digits X, y.

        learning=False says net's weights hold still (no live run): the last frame of the same
        net, layer and digits is returned again, so redraws for a t-SNE's progress cost nothing.
        """
        if not learning and self._shown is not None:
            shown_net, shown_layer, shown_X, frame = self._shown
            if shown_net is net and shown_layer == layer and shown_X is X:
                return frame
        index, Xs, ys = self.digits(X, y)
        layers = projection.views(net, Xs)
        predicted = layers[-1].argmax(axis=1)
        if layer == 0:
            if self._pixels is None or self._pixels[0] is not X:
                self._pixels = (X, projection.pca(layers[0]))
            shown = self._pixels[1]
        else:
            F = layers[layer]
            key = (layer, F.shape[1])
            shown = self._last[key] = projection.pca(F, self._last.get(key))
        frame = Frame(shown.points, ys, predicted, index, shown.explained)
        self._shown = (net, layer, X, frame)
        return frame

    def start_tsne(self, net, X, y, layer, when):
        """Start computing the t-SNE map of layer for the map's test digits, as net sees them now; return the job.

        A job already running is stopped first: one per session, the latest asked for.
        """
        self.stop_tsne()
        index, Xs, ys = self.digits(X, y)
        layers = projection.views(net, Xs)
        folder = Path(tempfile.mkdtemp(prefix="playground-tsne-"))
        np.save(folder / "features.npy", np.ascontiguousarray(layers[layer], dtype=np.float32), allow_pickle=False)
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}  # one core: see ui.tsne.embed
        with open(folder / "errors.txt", "wb") as errors:  # a file, not a pipe: a full pipe would stall the child
            process = subprocess.Popen(
                [sys.executable, "-m", "ui.tsne", str(folder / "features.npy"), str(folder / "map.npy"),
                 str(folder / "progress.json")], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        self.job = TsneJob(layer, projection.layer_names(net)[layer], when, folder, process, ys,
                           layers[-1].argmax(axis=1), index)
        weakref.finalize(self, _end, process, folder)  # a session that ends leaves no process nor files behind
        return self.job

    def tsne(self):
        """Return the latest TsneJob, its frame or error filled in once its process has ended; None if none."""
        job = self.job
        if job is None or not job.running or job.process.poll() is None:
            return job
        if job.process.returncode == 0:
            points = np.load(job.folder / "map.npy", allow_pickle=False)
            job.frame = Frame(points, job.labels, job.predicted, job.index, np.zeros(0))
        else:
            last = (job.folder / "errors.txt").read_text(errors="replace").strip().splitlines()[-1:]
            job.error = "The t-SNE map could not be computed" + (f": {last[0]}" if last else ".")
        shutil.rmtree(job.folder, ignore_errors=True)
        return job

    def stop_tsne(self):
        """Stop the running t-SNE job, if any, and forget it."""
        job, self.job = self.job, None
        if job is not None and job.running:
            _end(job.process, job.folder)


def _end(process, folder):
    """Stop a t-SNE process if it still runs, and remove its folder."""
    if process.poll() is None:
        process.kill()
        process.wait()
    shutil.rmtree(folder, ignore_errors=True)
