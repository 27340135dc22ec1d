"""Why the network read a digit the way it did: its probabilities, hidden activations and saliency.

The network may be training on another thread at the same moment (the Draw page reads
the live run's net), so this uses only the engine's inference forward and input gradient
(``Network.trace``, ``Network.input_gradient``), which keep and fill nothing: a training
backward would overwrite the worker's ``x``, ``a`` and ``dW``.

The saliency of a pixel is how much it pushed the answer: the gradient of the chosen class's
logit with respect to the input (where more ink would help or hurt), and input × gradient
(what the ink that is there contributed).  Not for training, nor for drawing the maps
(``ui.figures.drawing`` does that).
"""

from dataclasses import dataclass

import numpy as np

SIDE = 28


@dataclass(frozen=True)
class Reading:
    """One digit as the network reads it."""

    p: np.ndarray  # (10,) class probabilities
    digit: int  # the class the saliency explains (the predicted one unless asked otherwise)
    hidden: list  # one (units,) array of activations per hidden dense layer (a conv net's maps are not here)
    gradient: np.ndarray  # (28, 28) d logit[digit] / d x
    saliency: np.ndarray  # (28, 28) x * gradient: each pixel's share of the logit

    @property
    def confidence(self):
        """Return the probability of the explained digit."""
        return float(self.p[self.digit])


def read(net, x, digit=None):
    """Return the Reading of one input x (784,) in [0, 1]; digit is the class to explain (default: the predicted)."""
    x = np.asarray(x, dtype=net.dtype).reshape(1, -1)
    steps = net.trace(x)
    z, p = steps[-1]
    digit = int(p[0].argmax()) if digit is None else int(digit)
    gradient = net.input_gradient(steps, np.eye(z.shape[1], dtype=z.dtype)[[digit]])
    dense_hidden = steps[len(net.conv):-1]  # a conv net's first steps are its conv blocks' maps
    return Reading(p[0], digit, [a[0] for _, a in dense_hidden], gradient.reshape(SIDE, SIDE),
                   (x * gradient).reshape(SIDE, SIDE))
