"""Activation functions for hidden layers, each with its backward beside its forward.

Each activation is a layer with no parameters: ``forward`` turns z into a, ``backward``
turns dL/da into dL/dz.  Both are pure: they never write into their arguments.  Not for
the output layer: softmax is fused with cross-entropy in ``losses.py``, where its
gradient is simply ``p - y``.  Shapes are batch-first, ``(n, units)``.

Only a training forward (``train=True``) keeps its output ``a`` for backward.  Every
derivative here is written in terms of a, so ``backward(da, a)`` with a given
explicitly uses nothing kept: that is how an explanation differentiates a network
that another thread is training (``Network.input_gradient``).
"""

import numpy as np


class Activation:
    """What every activation shares: keep a when training, and find the a that backward uses."""

    name = ""
    silent_below_zero = False  # True where a unit outputs (about) nothing for z < 0: it "fires" only when a > 0

    def forward(self, z, train=False):
        """Return the activation of z, (n, units); keep it for backward only when training."""
        a = self.f(z)
        if train:
            self.a = a
        return a

    def backward(self, da, a=None):
        """Return dL/dz for dL/da, (n, units); a is this layer's output (default: the last training forward's)."""
        return self.df(self.a if a is None else a, da)


class ReLU(Activation):
    """Rectified linear unit, a = max(0, z)."""

    name = "relu"
    silent_below_zero = True

    def f(self, z):
        """Return max(0, z)."""
        return np.maximum(z, 0)

    def df(self, a, da):
        """Return dL/da where the unit was active (a > 0), 0 elsewhere."""
        return da * (a > 0)


class LeakyReLU(Activation):
    """Leaky ReLU, a = z for z > 0 and alpha * z below: a dead unit can still learn."""

    name = "leaky_relu"
    silent_below_zero = True

    def __init__(self, alpha=0.01):
        self.alpha = alpha

    def f(self, z):
        """Return z where positive, alpha * z elsewhere."""
        return np.where(z > 0, z, z * z.dtype.type(self.alpha))

    def df(self, a, da):
        """Return dL/da times 1 where a > 0 (exactly where z > 0, alpha being positive) or alpha."""
        return np.where(a > 0, da, da * da.dtype.type(self.alpha))


class Sigmoid(Activation):
    """Logistic sigmoid, a = 1 / (1 + exp(-z))."""

    name = "sigmoid"

    def f(self, z):
        """Return 1 / (1 + exp(-z))."""
        with np.errstate(over="ignore"):  # exp(-z) overflows to inf for very negative z: a = 0, as it should
            return 1 / (1 + np.exp(-z))

    def df(self, a, da):
        """Return dL/da * a * (1 - a)."""
        return da * a * (1 - a)


class Tanh(Activation):
    """Hyperbolic tangent, a = tanh(z)."""

    name = "tanh"

    def f(self, z):
        """Return tanh(z)."""
        return np.tanh(z)

    def df(self, a, da):
        """Return dL/da * (1 - a^2)."""
        return da * (1 - a * a)


ACTIVATIONS = {cls.name: cls for cls in (ReLU, LeakyReLU, Sigmoid, Tanh)}
