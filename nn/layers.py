"""Layers with parameters or randomness: fully connected and dropout.

``forward`` keeps what ``backward`` needs; ``backward`` fills the gradients
(``dW``, ``db``) and returns dL/dx.  It never changes the weights: the optimiser
(``optim.py``) does, so gradients stay readable after a step.  Batch-first:
inputs are ``(n, n_in)``, so a dense layer computes ``z = x @ W + b``.  Only a training
forward keeps anything, so inference from another thread never disturbs a run; and
``Dense.input_gradient`` reads only the weights, so an explanation can differentiate
through a layer that is training.
"""

import numpy as np

from nn.init import INITS


class Dense:
    """Fully connected layer, z = x @ W + b with W (n_in, n_out) and b (n_out,)."""

    def __init__(self, n_in, n_out, rng, init="he", dtype=np.float32):
        self.W = INITS[init](rng, n_in, n_out, dtype)
        self.b = np.zeros(n_out, dtype=dtype)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        # The first layer's input is the data: nobody needs dL/dx there, and
        # skipping it saves a third of the layer's backward work.
        self.needs_dx = True

    def forward(self, x, train=False):
        """Return z = x @ W + b, (n, n_out); keep x for backward only when training."""
        if train:
            self.x = x
        z = x @ self.W
        z += self.b
        return z

    def backward(self, dz):
        """Fill dW = x^T dz and db = sum of dz; return dL/dx = dz W^T, (n, n_in), or None for the first layer."""
        np.matmul(self.x.T, dz, out=self.dW)
        np.sum(dz, axis=0, out=self.db)
        return self.input_gradient(dz) if self.needs_dx else None

    def input_gradient(self, dz):
        """Return dL/dx = dz W^T, (n, n_in), for dL/dz dz (n, n_out); reads only W, keeps and fills nothing."""
        return dz @ self.W.T


class Dropout:
    """Inverted dropout: in training each unit is zeroed with probability p, the rest scaled by 1/(1-p)."""

    def __init__(self, p, rng):
        self.p = p
        self.rng = rng

    def forward(self, a, train=False):
        """Return a with a random share p of units zeroed when training, a unchanged otherwise."""
        if not train or self.p == 0:
            return a
        keep = self.rng.random(a.shape, dtype=a.dtype) >= self.p
        self.mask = keep * a.dtype.type(1 / (1 - self.p))
        return a * self.mask

    def backward(self, da):
        """Return dL/da through the same mask the last training forward used."""
        return da * self.mask if self.p else da
