"""The Lab page's state in a Session, and its long work on the worker pool.

``Lab`` holds what one session broke (a ``nn.explain.lab.Changes``), which model it breaks,
the "I don't know" threshold the Draw page obeys, the last drawing the Draw page read, and
two background ``Job``s: "which units matter?" and the damage tests.  A Job is a handful of
tasks on the Dask worker pool (``ui.runs.pool``), so the page is never blocked and the web
process, whose threads share one GIL with every page, does none of that CPU work; the page
polls ``progress`` and reads ``result`` once it is done.  Tasks get plain arrays (a
network's spec and weights), never the page's objects, and build their own copy there.

Not for Streamlit calls (``pages/lab.py``) nor for the maths (``nn.explain.lab``).
"""

import threading
from collections import OrderedDict
from dataclasses import replace

import numpy as np

from nn.digits.augment import DAMAGES
from nn.explain.lab import Changes, broken, damage_curve, logits, read_logits, unit_drops
from nn.network import Network

UNITS_PER_TASK = 32  # units one "which units matter?" task measures: progress moves every second or so
SHARED_READINGS = 8  # models' logits on the test digits kept for every session (``_shared_logits``)
_SHARED, _SHARED_LOCK = OrderedDict(), threading.Lock()


class Job:
    """Tasks running on the worker pool, and how to put their answers together."""

    def __init__(self, futures, combine):
        self._futures, self._combine = futures, combine
        self._result = None

    @property
    def progress(self):
        """Return the share of tasks done, 0..1."""
        return sum(f.done() for f in self._futures) / max(len(self._futures), 1)

    @property
    def done(self):
        """Return True once every task has ended (well or not)."""
        return all(f.done() for f in self._futures)

    @property
    def error(self):
        """Return why a task failed, in one line, or None."""
        failed = next((f for f in self._futures if f.status == "error"), None)
        return None if failed is None else f"The work failed on a worker: {failed.exception()}"

    def result(self):
        """Return the combined answers once done (else None)."""
        if self._result is None and self.done and self.error is None:
            self._result = self._combine([f.result() for f in self._futures])
        return self._result


def _net(spec, weights):
    """Return a Network of spec holding weights: a task's own copy."""
    net = Network.from_spec(spec, next(iter(weights.values())).dtype)
    net.set_weights(weights)
    return net


def _drops_task(spec, weights, X, y, layer, units):
    """Worker side: return unit_drops for some units."""
    return unit_drops(_net(spec, weights), X, y, layer, units)


def _damage_task(spec, weights, X, y, kind):
    """Worker side: return one damage curve."""
    return damage_curve(_net(spec, weights), X, y, kind)


def _submit(X, y, tasks):
    """Submit [(function, spec, weights, *rest)] as function(spec, weights, X, y, *rest); return the futures.

    The test digits go to the cluster once (scattered), not once per task.
    """
    from ui.runs import pool  # the pool starts on first use: pages that only read stay light

    dask = pool.client()
    X_there, y_there = dask.scatter([X, y])
    return [dask.submit(fn, spec, weights, X_there, y_there, *rest, pure=False) for fn, spec, weights, *rest in tasks]


class Lab:
    """One session's lab: what it broke, on which model, its "I don't know" threshold and its background work."""

    def __init__(self):
        self.pretrained = False  # True: the lab breaks the session's bundled model (Session.pretrained), else its model
        self.changes = Changes()
        self.generation = 0  # raised whenever the changes are cleared: part of the page's control keys, so a
        # fresh set of controls shows the cleared values (a keyed Streamlit widget keeps its own value otherwise)
        self.threshold = 0.0  # the Draw page says "not sure" when its top probability is below this
        self.drawing = None  # (784,) the Draw page's last reading input, centred as MNIST
        self.ranking = None  # (hidden layer, Job) of "which units matter?"
        self.damage = None  # (model names, Job) of the damage tests
        self._logits = {}  # 'original' or 'broken' -> (what they were computed from, logits (n, 10))
        self._copy = None  # (what it was made from, the broken copy)

    # --- breaking a copy ----------------------------------------------------------------------

    def copy(self, net):
        """Return net's broken copy (at temperature 1: the temperature only divides logits), kept while it holds.

        Kept while the network and the changes other than the temperature stay the same.  A
        network being trained changes: its last layer's weights are part of the key.  Raises
        ValueError (from ``broken``) if the changes do not fit net.
        """
        recipe = replace(self.changes, temperature=1.0)
        key = (_seen(net), repr(recipe))
        if self._copy is None or self._copy[0] != key:
            self._copy = (key, broken(net, recipe))
        return self._copy[1]

    def read(self, net, X, y):
        """Return (Reading of net, Reading of its broken copy) on X (n, 784), y (n,).

        Each side's logits are kept while what they were computed from stays, so a slider
        move costs one forward pass of the copy, and a temperature move none.
        """
        data = (id(X), len(X))
        seen = (_seen(net), data)
        original = self._logits_of("original", seen, lambda: _shared_logits(seen, lambda: logits(net, X)))
        if replace(self.changes, temperature=1.0) == Changes():
            broken_z = original  # nothing broken (but perhaps the temperature): the copy reads as the original
        else:
            copy = self.copy(net)
            broken_z = self._logits_of("broken", (self._copy[0], data), lambda: logits(copy, X))
        return read_logits(original, y), read_logits(broken_z, y, self.changes.temperature)

    def _logits_of(self, side, key, compute):
        """Return side's kept logits if kept under key, else compute() them and keep them."""
        kept = self._logits.get(side)
        if kept is None or kept[0] != key:
            kept = self._logits[side] = (key, compute())
        return kept[1]

    def switch_off(self, layer, units):
        """Switch off these units of hidden layer ``layer`` (1-based); no units switches them all back on."""
        off = {k: v for k, v in self.changes.off.items() if k != layer}
        if units:
            off[layer] = tuple(sorted(int(u) for u in units))
        self.changes = replace(self.changes, off=off)

    def set_scale(self, name, factor):
        """Multiply weight layer name's weights by factor."""
        self.changes = replace(self.changes, scale=_without_default({**self.changes.scale, name: factor}, 1.0))

    def set_noise(self, name, sigma):
        """Add Gaussian noise of sigma × that layer's weight spread to weight layer name."""
        self.changes = replace(self.changes, noise=_without_default({**self.changes.noise, name: sigma}, 0.0))

    def set_prune(self, share):
        """Set each weight matrix's smallest share (0..1) of weights to 0."""
        self.changes = replace(self.changes, prune=float(share))

    def set_temperature(self, temperature):
        """Divide the logits by temperature before softmax."""
        self.changes = replace(self.changes, temperature=float(temperature))

    def reset(self):
        """Go back to the original model: nothing broken."""
        self.changes = Changes()
        self.generation += 1

    def use_pretrained(self, yes):
        """Break the pretrained model (True) or the session's (False); a switch starts from nothing broken."""
        if yes != self.pretrained:
            self.pretrained = yes
            self.start_over()

    def start_over(self):
        """Forget what was broken and which units matter: the model the lab breaks is another one now."""
        self.changes, self.ranking = Changes(), None
        self.generation += 1

    # --- "I don't know" -----------------------------------------------------------------------

    def set_threshold(self, threshold):
        """Answer only when the top probability is at least threshold (0..1)."""
        self.threshold = float(threshold)

    def not_sure(self, confidence):
        """Return True if a reading this confident falls under the threshold."""
        return confidence < self.threshold

    def read_drawing(self, net):
        """Return the broken copy of net's probabilities (10,) for the kept drawing, or None if there is none."""
        if self.drawing is None:
            return None
        return read_logits(logits(self.copy(net), self.drawing[None]), np.zeros(1, int), self.changes.temperature).p[0]

    def keep_drawing(self, x):
        """Keep the Draw page's latest drawing (784,) as the network reads it."""
        self.drawing = np.array(x, dtype=np.float32)

    # --- background work ----------------------------------------------------------------------

    def rank_units(self, net, X, y, layer):
        """Start measuring, on the pool, the accuracy drop of net on X, y with each unit of hidden layer alone off."""
        spec, weights, n = net.spec(), net.copy_weights(), net.sizes[layer]
        tasks = [(_drops_task, spec, weights, layer, range(i, min(i + UNITS_PER_TASK, n)))
                 for i in range(0, n, UNITS_PER_TASK)]
        self.ranking = (layer, Job(_submit(X, y, tasks), np.concatenate))

    def test_damage(self, nets, X, y):
        """Start the damage tests of nets {name: Network} on X, y on the pool: one task per model and damage."""
        names, kinds = list(nets), list(DAMAGES)
        tasks = [(_damage_task, nets[name].spec(), nets[name].copy_weights(), kind)
                 for name in names for kind in kinds]

        def combine(curves):
            """Return {model name: {damage: accuracies (s,)}}."""
            it = iter(curves)
            return {name: {kind: next(it) for kind in kinds} for name in names}

        self.damage = (names, Job(_submit(X, y, tasks), combine))


def compared(session_model, bundled, uploaded):
    """Return {name: Network} the damage tests compare: the session's model, the bundled ones, a conv upload.

    bundled: the bundled Models (``ui.session.Model``), the convolutional one and the fully connected one, so a
    run is always seen beside a convolutional network and a fully connected one.  Each Model once: with no run
    or upload the session's model is a bundled one.  An uploaded convolutional model joins when the session's
    model is another (a run's).
    """
    nets = {f"session model ({session_model.architecture})": session_model.net}
    for model in bundled:
        if model.net is not session_model.net:
            nets[f"pretrained ({model.architecture})"] = model.net
    if uploaded is not None and uploaded.net.conv and uploaded.net is not session_model.net:
        nets[f"uploaded ({uploaded.architecture})"] = uploaded.net
    return nets


def _shared_logits(key, compute):
    """Return the logits any session's lab computed under key, else compute() them and keep them for every session.

    A new tab's lab reads the bundled model it shows on every test digit first: 0.4 s of a
    convolutional network's forward pass that the last session to open the page already did.
    The last SHARED_READINGS are kept (a run that trains makes new ones at every step).
    """
    with _SHARED_LOCK:
        kept = _SHARED.get(key)
        if kept is not None:
            _SHARED.move_to_end(key)
            return kept
    kept = compute()
    kept.flags.writeable = False  # every session reads the same array
    with _SHARED_LOCK:
        _SHARED[key] = kept
        while len(_SHARED) > SHARED_READINGS:
            _SHARED.popitem(last=False)
    return kept


def _seen(net):
    """Return what identifies net's weights now: the object, and its last layer's weights (a step changes them)."""
    last = net.dense[-1]
    return id(net), last.W.tobytes(), last.b.tobytes()


def _without_default(values, default):
    """Return values {name: number} without the entries at their default (so 'nothing changed' compares equal)."""
    return {k: v for k, v in values.items() if v != default}
