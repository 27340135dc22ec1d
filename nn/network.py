"""A fully connected network for MNIST, built from the layers in this package.

It chains ``Dense -> activation [-> Dropout]`` per hidden layer and a final
``Dense`` whose logits go to softmax cross-entropy.  This is the one place the
layers are chained, both ways:

- ``forward(X, train=True)`` and ``gradients`` are training: the layers keep what
  backward needs, and backward fills every dW and db (it changes no weight: the
  optimiser does that);
- ``forward(X)``, ``trace(X)`` and ``input_gradient`` are inference and explanation:
  they keep nothing and fill nothing, so they may run on a network that another
  thread is training at the same moment (the app's pages do).

Not for convolutions, nor for anything the UI shows: it returns numbers and knows
nothing of pages.
"""

import numpy as np

from nn.activations import ACTIVATIONS
from nn.layers import Dense, Dropout
from nn.losses import SoftmaxCrossEntropy, softmax

N_INPUT, N_CLASSES = 784, 10


class Network:
    """Layers of sizes ``[784, *hidden, 10]``; inputs (n, 784) float, labels (n,) ints."""

    def __init__(self, hidden=(128,), activation="relu", init="he", dropout=0.0, seed=0, dtype=np.float32):
        self.sizes = [N_INPUT, *hidden, N_CLASSES]
        self.activation, self.init, self.dropout = activation, init, dropout
        self.dtype = np.dtype(dtype)
        rng = np.random.default_rng(seed)
        self.dense = [Dense(n_in, n_out, rng, init, self.dtype) for n_in, n_out in zip(self.sizes, self.sizes[1:])]
        self.dense[0].needs_dx = False
        self.hidden_activations = [ACTIVATIONS[activation]() for _ in hidden]
        self.layers = []
        for dense, act in zip(self.dense, self.hidden_activations):
            self.layers += [dense, act] + ([Dropout(dropout, rng)] if dropout else [])
        self.layers.append(self.dense[-1])
        self.loss = SoftmaxCrossEntropy()

    def spec(self):
        """Return the architecture as plain values, enough to build the same network again."""
        return {"sizes": self.sizes, "activation": self.activation, "init": self.init, "dropout": self.dropout}

    def params(self):
        """Return (name, parameter, gradient) triples, named W1, b1, W2, ... as in the classic notebook."""
        out = []
        for i, d in enumerate(self.dense, 1):
            out += [(f"W{i}", d.W, d.dW), (f"b{i}", d.b, d.db)]
        return out

    def forward(self, X, train=False):
        """Return the logits z, (n, 10), for inputs X, (n, 784).

        train=True applies dropout and lets every layer keep what backward needs;
        train=False (inference) keeps nothing.
        """
        a = X
        for layer in self.layers:
            a = layer.forward(a, train)
        return a

    def trace(self, X):
        """Return [(z, a)] per dense layer for inputs X (n, 784), keeping nothing: an inference forward, step by step.

        z = a_prev W + b, (n, units); a is its activation, softmax for the last layer, so
        the last pair is (logits, probabilities), (n, 10).  Dropout is left out, as in any
        inference forward.
        """
        a = np.asarray(X, dtype=self.dtype)  # the weights' own precision, as training uses
        steps = []
        for dense, act in zip(self.dense, self.hidden_activations):
            z = dense.forward(a)
            a = act.forward(z)
            steps.append((z, a))
        z = self.dense[-1].forward(a)
        steps.append((z, softmax(z)))
        return steps

    def input_gradient(self, steps, dz):
        """Return dL/dX, (n, 784), for dL/dlogits dz (n, 10), back through ``trace``'s steps; keeps and fills nothing.

        The same backward formulas as training, given the traced activations instead
        of the ones a training forward kept; dropout is the identity at inference.
        """
        delta = self.dense[-1].input_gradient(dz)
        for dense, act, (_, a) in zip(self.dense[-2::-1], self.hidden_activations[::-1], steps[-2::-1]):
            delta = dense.input_gradient(act.backward(delta, a))
        return delta

    def gradients(self, X, y, l2=None):
        """Fill every dW and db for the batch; return (loss, logits).  ``l2`` is an ``losses.L2`` or None."""
        z = self.forward(X, train=True)
        loss = self.loss.forward(z, y)
        delta = self.loss.backward()
        for layer in reversed(self.layers):
            delta = layer.backward(delta)
        if l2 is not None:
            loss += l2.forward([d.W for d in self.dense])
            for d in self.dense:
                l2.backward(d.W, d.dW)
        return loss, z

    def predict_proba(self, X, batch=4096):
        """Return class probabilities, (n, 10), in batches so large sets stay small in memory."""
        return np.concatenate([softmax(self.forward(X[i:i + batch])) for i in range(0, max(len(X), 1), batch)])

    def predict(self, X):
        """Return the predicted digit for each input, (n,)."""
        return self.predict_proba(X).argmax(axis=1)

    def evaluate(self, X, y, batch=4096):
        """Return (mean cross-entropy, accuracy) on X, y, without dropout."""
        p = self.predict_proba(X, batch)
        loss = float(-np.log(np.maximum(p[np.arange(len(y)), y], 1e-12)).mean())
        return loss, float((p.argmax(axis=1) == y).mean())

    def copy_weights(self):
        """Return a copy of every parameter by name, e.g. to roll back after divergence."""
        return {name: p.copy() for name, p, _ in self.params()}

    def set_weights(self, weights):
        """Copy parameters by name into the network, checking shapes."""
        for name, p, _ in self.params():
            if weights[name].shape != p.shape:
                raise ValueError(f"{name} has shape {weights[name].shape}, the network needs {p.shape}.")
            p[...] = weights[name]
