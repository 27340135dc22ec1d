"""Softmax cross-entropy at the output, and the L2 weight penalty.

Softmax and cross-entropy are fused: apart they need a 10×10 Jacobian per digit,
together the gradient is just ``(p - y) / n``.  Not for hidden layers (see
``activations.py``).
"""

import numpy as np


def softmax(z):
    """Return the probabilities softmax(z), (n, classes), computed without overflow."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class SoftmaxCrossEntropy:
    """Mean cross-entropy of softmax(z) against integer labels."""

    def forward(self, z, y):
        """Return the mean loss -log p[y] over the batch; z (n, classes), y (n,) ints."""
        shifted = z - z.max(axis=1, keepdims=True)
        log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        log_p = shifted - log_sum
        self.p = np.exp(log_p)
        self.y = y
        return float(-log_p[np.arange(len(y)), y].mean())

    def backward(self):
        """Return dL/dz = (p - one_hot(y)) / n, (n, classes), for the last forward; a new array each call."""
        delta = self.p.copy()  # p stays as forward left it, so backward can be called again
        delta[np.arange(len(self.y)), self.y] -= 1
        delta /= len(self.y)
        return delta


class L2:
    """The penalty lam / (2 n) * sum(W^2) over weight matrices, n the training-set size.

    With n the whole training set this is the classic notebook's ``+ lam/m * W`` in
    full-batch mode (``classic.py``), and it stays the same penalty when training in mini-batches.
    """

    def __init__(self, lam, n):
        self.scale = lam / n

    def forward(self, weights):
        """Return the penalty for a list of weight matrices."""
        return 0.5 * self.scale * sum(float(np.vdot(W, W)) for W in weights)

    def backward(self, W, dW):
        """Add the penalty's gradient scale * W to dW in place."""
        if self.scale:
            dW += W.dtype.type(self.scale) * W
