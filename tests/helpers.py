"""Helpers that several test files use: the tests' own computations to check against, and AppTest readers.

Test files never import one another: what more than one of them needs lives here (plain
functions and classes) or in ``conftest.py`` (fixtures).

- Independent computations: central-difference gradients (``assert_gradient``), a dense
  ReLU network's logits from its raw matrices (``manual_logits``), accuracy, parameter bytes.
- Small networks and runs on the bundled sample (``trained``, ``finished_run``).
- Reading what an AppTest page shows: a Weights section (``show``), its Plotly figures
  (``figure``, ``charts``, ``values``), and a stand-in for the Draw page's canvas (``Canvas``, ``in_corner``).
"""

import base64
import json
from types import SimpleNamespace

import numpy as np
from PIL import Image

from nn.settings import TrainConfig
from nn.train import Trainer
from ui import session as state
from ui.runs.handle import RunHandle

# --- computations written out independently of the engine -----------------------------------

EPS = 1e-6
TOL = 1e-6  # relative error over the checked entries


def numerical_gradient(loss, x, entries):
    """Return d loss() / dx at flat indices ``entries``, changing x in place and putting it back."""
    flat = x.reshape(-1)  # a view: loss() sees the perturbed x
    out = np.empty(len(entries))
    for k, i in enumerate(entries):
        old = flat[i]
        flat[i] = old + EPS
        up = loss()
        flat[i] = old - EPS
        down = loss()
        flat[i] = old
        out[k] = (up - down) / (2 * EPS)
    return out


def assert_gradient(loss, x, grad, rng, most=40):
    """Assert grad (shaped like x) matches the numerical derivative of loss() on up to ``most`` entries."""
    assert grad.shape == x.shape
    entries = np.arange(x.size) if x.size <= most else rng.choice(x.size, most, replace=False)
    numeric = numerical_gradient(loss, x, entries)
    analytic = grad.reshape(-1)[entries]
    error = np.linalg.norm(analytic - numeric) / (np.linalg.norm(analytic) + np.linalg.norm(numeric))
    assert error < TOL, f"relative error {error:.1e}"


def away_from_zero(rng, shape):
    """Return values in ±[0.1, 2], both signs, none near an activation's kink."""
    return rng.uniform(0.1, 2, shape) * rng.choice([-1, 1], shape)


def trained(splits, hidden):
    """Return a network of these hidden layers trained for one short epoch on the sample (good enough to break)."""
    t = Trainer(splits, TrainConfig(hidden=hidden, epochs=1, train_size=1500, batch_size=50, optimizer="adam",
                                    lr=0.003))
    while t.step_count < t.total_steps:
        t.step()
    return t.net


def manual_logits(net, X, off=None):
    """Return the logits (n, 10) of a dense ReLU net from its raw matrices, with units {layer k: [j]} output zeroed."""
    off = off or {}
    weights = dict((name, p.astype(np.float64)) for name, p, _ in net.params())
    a = X.astype(np.float64)
    layers = len(net.sizes) - 1
    for k in range(1, layers + 1):
        z = a @ weights[f"W{k}"] + weights[f"b{k}"]
        if k == layers:
            return z
        a = np.maximum(z, 0)
        a[:, list(off.get(k, ()))] = 0


def accuracy(logits, y):
    """Return the share of rows whose largest logit is the label."""
    return float((logits.argmax(axis=1) == y).mean())


def snapshot(net):
    """Return every parameter's bytes, to compare before and after."""
    return {name: p.tobytes() for name, p, _ in net.params()}


# --- runs and sessions for AppTests ----------------------------------------------------------

TINY = dict(epochs=1, train_size=300, batch_size=50)


def finished_run(**settings):
    """Return a Run of TINY settings (and these) that has trained to its end."""
    run = RunHandle.start(TrainConfig(**{**TINY, **settings}), data_name="bundled sample")
    run.join(60)
    assert run.status == "done", run.error
    return run


def session_with(run=None, uploaded=None):
    """Return a Session whose active model is this run or this uploaded model."""
    me = state.Session()
    me.uploaded = uploaded
    if run is not None:
        me.run, me.runs = run, [run]
    return me


# --- what an AppTest page shows ----------------------------------------------------------------

def show(at, section):
    """Switch the Weights page ``at`` to section (a key of its SECTIONS), if one is given; return at."""
    if section is not None:
        at.radio(key="weights_section").set_value(section).run()
        assert not at.exception
    return at


def open_section(at, key):
    """Open the section (an expander or popover drawn only while open) whose open state is key, as a click does.

    The page reruns and draws the section's contents; returns at.
    """
    at.session_state[key] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def figure(at, key):
    """Return the Plotly figure drawn under widget key ``key`` as a dict."""
    for el in at.get("plotly_chart"):
        if el.proto.id.endswith(f"-{key}"):
            return json.loads(el.proto.spec)
    raise AssertionError(f"no chart {key!r}; charts: {[el.proto.id for el in at.get('plotly_chart')]}")


def charts(at):
    """Return the keys of the charts on the page."""
    return {el.proto.id.rsplit("-", 1)[-1] for el in at.get("plotly_chart")}


def values(array):
    """Return a figure's array as NumPy, whether sent as a list or as Plotly's base64 {dtype, bdata}."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.asarray(array, dtype=float)


def values_2d(rows):
    """Return a heatmap's z as a 2-D NumPy array, whether sent as nested lists or as Plotly's base64 arrays."""
    if isinstance(rows, dict):
        shape = tuple(int(n) for n in str(rows["shape"]).split(","))
        return values(rows).reshape(shape)
    return np.array([values(row) for row in rows])


class Canvas:
    """Stands in for the drawing canvas, a browser component: hands the page a drawing, remembers what it was asked."""

    def __init__(self, image):
        self.image, self.calls = image, []

    def __call__(self, **settings):
        self.calls.append(settings)
        return SimpleNamespace(image_data=self.image, json_data={"objects": [{"type": "path"}] * 2})


def in_corner(digit, size=70):
    """Return a 280×280 RGBA canvas with a 28×28 digit drawn size×size near its top-left corner."""
    big = np.asarray(Image.fromarray(digit).resize((size, size), Image.Resampling.BILINEAR))
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[10 : 10 + size, 10 : 10 + size] = np.dstack([big, big, big, np.full_like(big, 255)])
    return canvas
