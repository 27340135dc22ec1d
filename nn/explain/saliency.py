"""Why the network read a digit the way it did: its probabilities, hidden activations and saliency.

Everything here is computed from the weights alone (``Dense.W``, ``Dense.b``), with fresh
activation objects, so it never writes a layer's caches or gradients: the network may be
training on another thread at the same moment (the Draw page reads the live run's net), and
a backward pass through its own layers would overwrite the worker's ``x``, ``a`` and ``dW``.

The saliency of a pixel is how much it pushed the answer: the gradient of the chosen class's
logit with respect to the input (where more ink would help or hurt), and input × gradient
(what the ink that is there contributed).  Not for training, nor for drawing the maps
(``ui.figures.drawing`` does that).
"""

from dataclasses import dataclass

import numpy as np

from nn.activations import ACTIVATIONS
from nn.losses import softmax

SIDE = 28


@dataclass(frozen=True)
class Reading:
    """One digit as the network reads it."""

    p: np.ndarray  # (10,) class probabilities
    digit: int  # the class the saliency explains (the predicted one unless asked otherwise)
    hidden: list  # one (units,) array of activations per hidden layer
    gradient: np.ndarray  # (28, 28) d logit[digit] / d x
    saliency: np.ndarray  # (28, 28) x * gradient: each pixel's share of the logit

    @property
    def confidence(self):
        """Return the probability of the explained digit."""
        return float(self.p[self.digit])


def trace(net, X):
    """Return (hidden, logits, acts) for inputs X (n, 784) without touching the network's state.

    hidden: one (n, units) activation array per hidden layer; logits: (n, 10); acts: the
    fresh activation objects, which ``backward`` needs for the derivatives.
    """
    a = np.asarray(X, dtype=net.dtype)  # the weights' own precision: no copy of W per call
    hidden, acts = [], []
    for d in net.dense[:-1]:
        act = ACTIVATIONS[net.activation]()
        a = act.forward(a @ d.W + d.b, train=True)  # a fresh object: keeping a for backward is harmless
        hidden.append(a)
        acts.append(act)
    return hidden, a @ net.dense[-1].W + net.dense[-1].b, acts


def backward(net, acts, dz):
    """Return dL/dx (n, 784) for dL/dlogits dz (n, 10), through the weights and the traced activations."""
    delta = dz @ net.dense[-1].W.T
    for d, act in zip(reversed(net.dense[:-1]), reversed(acts)):
        delta = act.backward(delta) @ d.W.T
    return delta


def read(net, x, digit=None):
    """Return the Reading of one input x (784,) in [0, 1]; digit is the class to explain (default: the predicted)."""
    x = np.asarray(x, dtype=net.dtype).reshape(1, -1)
    hidden, z, acts = trace(net, x)
    p = softmax(z)[0]
    digit = int(p.argmax()) if digit is None else int(digit)
    gradient = backward(net, acts, np.eye(z.shape[1], dtype=z.dtype)[[digit]])
    return Reading(p, digit, [h[0] for h in hidden], gradient.reshape(SIDE, SIDE), (x * gradient).reshape(SIDE, SIDE))
