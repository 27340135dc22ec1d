"""Activation functions for hidden layers, each with its backward beside its forward.

Each activation is a layer with no parameters: ``forward`` keeps what ``backward``
needs, ``backward`` turns dL/da into dL/dz.  Not for the output layer: softmax is
fused with cross-entropy in ``losses.py``, where its gradient is simply ``p - y``.
Shapes are batch-first, ``(n, units)``.  Only a training forward (``train=True``)
keeps anything, so inference from another thread never disturbs a run.
"""

import numpy as np


class ReLU:
    """Rectified linear unit, a = max(0, z)."""

    name = "relu"

    def forward(self, z, train=False):
        """Return max(0, z), (n, units); overwrites z, which nothing else needs."""
        a = np.maximum(z, 0, out=z)
        if train:
            self.a = a
        return a

    def backward(self, da):
        """Return dL/dz = dL/da where the unit was active, 0 elsewhere."""
        np.multiply(da, self.a > 0, out=da)
        return da


class LeakyReLU:
    """Leaky ReLU, a = z for z > 0 and alpha * z below: a dead unit can still learn."""

    name = "leaky_relu"

    def __init__(self, alpha=0.01):
        self.alpha = alpha

    def forward(self, z, train=False):
        """Return z where positive, alpha * z elsewhere, (n, units)."""
        positive = z > 0
        a = np.where(positive, z, z * z.dtype.type(self.alpha))
        if train:
            self.positive, self.a = positive, a
        return a

    def backward(self, da):
        """Return dL/dz = dL/da times 1 or alpha."""
        return np.where(self.positive, da, da * da.dtype.type(self.alpha))


class Sigmoid:
    """Logistic sigmoid, a = 1 / (1 + exp(-z))."""

    name = "sigmoid"

    def forward(self, z, train=False):
        """Return 1 / (1 + exp(-z)), (n, units)."""
        with np.errstate(over="ignore"):  # exp(-z) overflows to inf for very negative z: a = 0, as it should
            a = 1 / (1 + np.exp(-z))
        if train:
            self.a = a
        return a

    def backward(self, da):
        """Return dL/dz = dL/da * a * (1 - a)."""
        return da * self.a * (1 - self.a)


class Tanh:
    """Hyperbolic tangent, a = tanh(z)."""

    name = "tanh"

    def forward(self, z, train=False):
        """Return tanh(z), (n, units)."""
        a = np.tanh(z)
        if train:
            self.a = a
        return a

    def backward(self, da):
        """Return dL/dz = dL/da * (1 - a^2)."""
        return da * (1 - self.a * self.a)


ACTIVATIONS = {cls.name: cls for cls in (ReLU, LeakyReLU, Sigmoid, Tanh)}


def apply(name, z):
    """Return activation ``name`` of z without touching z, for inspection outside training."""
    return ACTIVATIONS[name]().forward(z.copy())
