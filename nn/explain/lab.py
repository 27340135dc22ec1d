"""The neuron lab's maths: break a copy of a network and measure what it still reads.

``Changes`` says what to break: hidden units switched off, a layer's weights scaled or
noised, the smallest weights pruned, the softmax temperature.  ``broken(net, changes)``
returns a *new* network with them applied; the network given is never written to (its
weights are copied first), so the lab can work on the model a session is training.
``reading(net, X, temperature)`` gives the probabilities, accuracy and confusion of one
network on test digits; ``unit_drops`` ranks the units of one hidden layer by how much
the test accuracy falls when each alone is switched off; ``coverage`` is the "I don't
know" curve: the share of digits answered and the accuracy on them as a confidence
threshold moves; ``damage_curve`` is the accuracy as the test digits are damaged more and more.

Notation: layer k's weights ``Wk`` are (units in, units out), as in ``nn.layers.Dense``
(z = a W + b), so hidden layer k's unit j reaches the next layer through row j of
``W(k+1)``.  A unit "off" sends nothing on: that row is zeroed, whatever the activation
(ReLU, sigmoid or tanh of a zeroed input would still send 0.5 or 0 on, so zeroing its
inputs is not the same thing).

Not for figures (``ui.figures.lab``) nor for running work in the background (``ui.lab``).
"""

from dataclasses import dataclass, field

import numpy as np

from nn.digits.augment import DAMAGES, damage
from nn.explain.scorecard import confusion_matrix
from nn.losses import softmax
from nn.network import Network

THRESHOLDS = np.round(np.linspace(0, 1, 101), 2)  # the confidence thresholds the coverage curve is drawn at
NOISE_SEED = 0  # noise is drawn from this seed, so the same settings always break the network the same way


@dataclass(frozen=True)
class Changes:
    """What the lab does to a copy of a network; the defaults change nothing.

    off: {hidden layer k (1-based): unit indices switched off}; scale: {weight name 'Wk'
    or 'convk.W': factor}; noise: {weight name: Gaussian noise, in units of that layer's
    weight standard deviation}; prune: share of each weight matrix's smallest
    magnitudes set to 0, in [0, 1]; temperature: logits are divided by it before softmax.
    """

    off: dict = field(default_factory=dict)
    scale: dict = field(default_factory=dict)
    noise: dict = field(default_factory=dict)
    prune: float = 0.0
    temperature: float = 1.0

    @property
    def none(self):
        """Return True if these changes leave a network as it is."""
        return self == Changes()


@dataclass(frozen=True)
class Reading:
    """What a network makes of labelled digits."""

    p: np.ndarray  # (n, 10) class probabilities at the chosen temperature
    accuracy: float
    confusion: np.ndarray  # (10, 10) counts, row = true digit, column = answer


def copy_of(net):
    """Return a new Network of net's architecture holding a copy of its weights (net is only read)."""
    twin = Network.from_spec(net.spec(), net.dtype)
    twin.set_weights(net.copy_weights())
    return twin


def broken(net, changes):
    """Return a copy of net with changes (a ``Changes``) applied: pruning, then scaling, noise, units off.

    Raises ValueError with a plain message for a layer or unit the network does not have, or a
    setting out of range.
    """
    _check(net, changes)
    twin = copy_of(net)
    weights = twin.weights()
    if changes.prune > 0:
        for w in weights.values():
            # Each matrix loses its own smallest share: layers' weights differ in scale by their fan-in.
            k = int(round(changes.prune * w.size))
            if k:
                w.reshape(-1)[np.argpartition(np.abs(w).reshape(-1), k - 1)[:k]] = 0
    for name, factor in changes.scale.items():
        weights[name] *= factor
    rng = np.random.default_rng(NOISE_SEED)
    for name, sigma in sorted(changes.noise.items()):
        w = weights[name]
        w += (sigma * float(w.std()) * rng.standard_normal(w.shape)).astype(w.dtype)
    for k, units in changes.off.items():
        twin.dense[k].W[list(units)] = 0  # hidden layer k feeds the next dense layer, index k (0-based)
    return twin


def _check(net, changes):
    """Raise ValueError if changes name a layer or unit net lacks, or a setting is out of range."""
    names = set(net.weights())
    for name in {*changes.scale, *changes.noise} - names:
        raise ValueError(f"This network has no weight layer {name!r}; it has {', '.join(sorted(names))}.")
    hidden = net.sizes[1:-1]
    for k, units in changes.off.items():
        if not 1 <= k <= len(hidden):
            raise ValueError(f"This network has {len(hidden)} hidden layer(s); there is no hidden layer {k}.")
        bad = [u for u in units if not 0 <= u < hidden[k - 1]]
        if bad:
            raise ValueError(f"Hidden layer {k} has units 0–{hidden[k - 1] - 1}; there is no unit {bad[0]}.")
    if not 0 <= changes.prune <= 1:
        raise ValueError(f"The share of weights to prune must be between 0 and 1, not {changes.prune}.")
    if not changes.temperature > 0:
        raise ValueError(f"The softmax temperature must be above 0, not {changes.temperature}.")


def reading(net, X, y, temperature=1.0):
    """Return the Reading of net on digits X (n, 784), labels y (n,), with logits divided by temperature."""
    return read_logits(logits(net, X), y, temperature)


def logits(net, X, batch=4096):
    """Return net's logits (n, 10) for X (n, 784), in batches so large sets stay small in memory."""
    return np.concatenate([net.forward(X[i:i + batch]) for i in range(0, max(len(X), 1), batch)])


def read_logits(z, y, temperature=1.0):
    """Return the Reading of logits z (n, 10) against labels y (n,) at this temperature: a change of it needs no
    new forward pass."""
    p = softmax(z / temperature)
    answer = p.argmax(axis=1)
    return Reading(p, float((answer == y).mean()), confusion_matrix(y, answer))


def unit_drops(net, X, y, layer, units=None):
    """Return (n_units,) test-accuracy drops of net on X, y when each unit of hidden layer ``layer`` alone is off.

    units: which units to measure (default all), so the work can be split in pieces.  The
    network's own activations up to that layer are computed once; each unit then costs the
    rest of the forward pass from there, with its row of the next weights taken out
    (a_k W = a_k W - a_k[:, j] W[j], without copying W).  Drop = clean accuracy − accuracy
    with the unit off, so a positive drop means the unit helps.
    """
    hidden = net.sizes[1:-1]
    if not 1 <= layer <= len(hidden):
        raise ValueError(f"This network has {len(hidden)} hidden layer(s); there is no hidden layer {layer}.")
    units = range(hidden[layer - 1]) if units is None else units
    steps = net.trace(X)
    a = steps[len(net.conv) + layer - 1][1]  # (n, units) the hidden layer's output
    z_next = steps[len(net.conv) + layer][0]  # (n, next units) the next layer's input, everything on
    clean = float((steps[-1][1].argmax(axis=1) == y).mean())
    W = net.dense[layer].W
    drops = []
    for j in units:
        z = z_next - np.outer(a[:, j], W[j])
        drops.append(clean - float((_rest(net, layer, z).argmax(axis=1) == y).mean()))
    return np.array(drops)


def _rest(net, layer, z):
    """Return the logits (n, 10) from dense layer ``layer``'s pre-activation z (0-based dense index) onwards."""
    for dense, act in zip(net.dense[layer + 1:], net.hidden_activations[layer:]):
        z = dense.forward(act.forward(z))
    return z


def coverage(p, y, thresholds):
    """Return (answered, accuracy), each (t,), of answering only where the top probability ≥ each threshold.

    p (n, 10) probabilities, y (n,) labels, thresholds (t,).  answered is the share of
    digits answered; accuracy is on those answered, NaN where none is.
    """
    confidence, right = p.max(axis=1), p.argmax(axis=1) == y
    answered, accuracy = [], []
    for t in thresholds:
        keep = confidence >= t
        answered.append(keep.mean())
        accuracy.append(right[keep].mean() if keep.any() else np.nan)
    return np.array(answered, dtype=float), np.array(accuracy, dtype=float)


def damage_curve(net, X, y, kind):
    """Return the accuracies (s,) of net on X (n, 784), y (n,) damaged by ``kind`` at each of its DAMAGES strengths.

    The damage is ``nn.digits.augment.damage``, the same code that varies training digits.
    """
    strengths = DAMAGES[kind][0]
    return np.array([reading(net, damage(X, kind, s), y).accuracy for s in strengths])
