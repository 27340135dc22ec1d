"""A network for MNIST, fully connected or convolutional, built from the layers in this package.

It chains, per conv block, ``Conv2D -> MaxPool2D -> activation`` (``conv.py``), then
``Flatten``, then ``Dense -> activation [-> Dropout]`` per hidden layer and a final
``Dense`` whose logits go to softmax cross-entropy.  With no conv blocks (the default)
it is the fully connected net of the classic notebook.  Inputs are always rows of 784
pixels, (n, 784); a conv net sees them as (n, 1, 28, 28) images.  This is the one place
the layers are chained, both ways:

- ``forward(X, train=True)`` and ``gradients`` are training: the layers keep what
  backward needs, and backward fills every dW and db (it changes no weight: the
  optimiser does that);
- ``forward(X)``, ``trace(X)`` and ``input_gradient`` are inference and explanation:
  they keep nothing and fill nothing, so they may run on a network that another
  thread is training at the same moment (the app's pages do).

Speed trick (pool before activation): a block is conv, activation, 2×2 max pooling, but
every activation here never decreases, so max(act(z)) = act(max(z)): pooling first gives
the same numbers with the activation run on a quarter of the values.

``Network.from_config(config)`` is the one way to build a network from the settings.  Not
for anything the UI shows: it returns numbers and knows nothing of pages.
"""

import numpy as np

from nn.activations import ACTIVATIONS
from nn.conv import Conv2D, Flatten, MaxPool2D
from nn.layers import Dense, Dropout
from nn.losses import SoftmaxCrossEntropy, softmax

N_INPUT, N_CLASSES, SIDE = 784, 10, 28


def conv_features(conv):
    """Return (channels, side) of the image after conv blocks ((channels, kernel), ...): 'valid' conv, 2×2 pool each.

    Raise ValueError if a kernel no longer fits, e.g. ((8, 5), (16, 5)) gives (16, 4): 28 -> 24 -> 12 -> 8 -> 4.
    """
    channels, side = 1, SIDE
    for i, (c, k) in enumerate(conv, 1):
        if side - k + 1 < 2:
            raise ValueError(f"conv layer {i}: a {k}×{k} kernel does not fit the {side}×{side} image it gets "
                             "(each block shrinks it by kernel - 1, then halves it).")
        channels, side = c, (side - k + 1) // 2
    return channels, side


def describe(hidden, conv=()):
    """Return an architecture as people read it: '784-128-10'; with conv blocks 'conv8x5-conv16x5-256-128-10'."""
    channels, side = conv_features(conv)
    sizes = [channels * side * side, *hidden, N_CLASSES]
    return "-".join([f"conv{c}x{k}" for c, k in conv] + [str(s) for s in sizes])


class Network:
    """Conv blocks ``conv`` ((channels, kernel), ...), then dense layers of sizes ``[features, *hidden, 10]``.

    features is 784 with no conv blocks, else channels × side² of the last block's output
    (``conv_features``).  Inputs (n, 784) float, labels (n,) ints.
    """

    def __init__(self, hidden=(128,), activation="relu", init="he", dropout=0.0, seed=0, dtype=np.float32, conv=()):
        self.conv_spec = tuple((int(c), int(k)) for c, k in conv)
        channels, side = conv_features(self.conv_spec)
        self.sizes = [channels * side * side, *hidden, N_CLASSES]
        self.activation, self.init, self.dropout = activation, init, dropout
        self.dtype = np.dtype(dtype)
        rng = np.random.default_rng(seed)
        c_in = 1
        self.conv = []
        for c, k in self.conv_spec:
            self.conv.append(Conv2D(c_in, c, k, rng, "valid", init, self.dtype))
            c_in = c
        self.pools = [MaxPool2D(2) for _ in self.conv]
        self.conv_activations = [ACTIVATIONS[activation]() for _ in self.conv]
        self.dense = [Dense(n_in, n_out, rng, init, self.dtype) for n_in, n_out in zip(self.sizes, self.sizes[1:])]
        (self.conv or self.dense)[0].needs_dx = False
        self.hidden_activations = [ACTIVATIONS[activation]() for _ in hidden]
        self.layers = []
        for conv_layer, pool, act in zip(self.conv, self.pools, self.conv_activations):
            self.layers += [conv_layer, pool, act]  # pool before activation: see the module docstring
        if self.conv:
            self.layers.append(Flatten())
        for dense, act in zip(self.dense, self.hidden_activations):
            self.layers += [dense, act] + ([Dropout(dropout, rng)] if dropout else [])
        self.layers.append(self.dense[-1])
        self.loss = SoftmaxCrossEntropy()

    @classmethod
    def from_config(cls, config, dtype=np.float32):
        """Return the network a TrainConfig describes, with its seed's first weights.

        The one way to build a network from settings (runs, checkpoints, the Weights page's start).
        """
        return cls(config.hidden, config.activation, config.init, config.dropout, config.seed, dtype, config.conv)

    @classmethod
    def from_spec(cls, spec, dtype=np.float32):
        """Return a network of the architecture ``spec()`` describes, with seed 0's weights.

        A spec without ``conv`` (from before conv layers) is fully connected.
        """
        conv = spec.get("conv", ())
        return cls(spec["sizes"][1:-1], spec["activation"], spec["init"], spec["dropout"], 0, dtype, conv)

    def spec(self):
        """Return the architecture as plain values, enough to build the same network again."""
        return {"sizes": self.sizes, "activation": self.activation, "init": self.init, "dropout": self.dropout,
                "conv": [list(ck) for ck in self.conv_spec]}

    def describe(self):
        """Return the architecture as people read it (see ``describe``)."""
        return describe(self.sizes[1:-1], self.conv_spec)

    def params(self):
        """Return (name, parameter, gradient) triples: conv1.W, conv1.b, ..., then the classic notebook's W1, b1, ..."""
        out = []
        for i, c in enumerate(self.conv, 1):
            out += [(f"conv{i}.W", c.W, c.dW), (f"conv{i}.b", c.b, c.db)]
        for i, d in enumerate(self.dense, 1):
            out += [(f"W{i}", d.W, d.dW), (f"b{i}", d.b, d.db)]
        return out

    def weights(self):
        """Return {name: W} of the weight arrays alone, the live ones: conv1.W (c, c_in, K, K), ..., W1 (784, h1), ...

        The biases are left out: what histograms, pruning and noise are about.
        """
        return {name: p for name, p, _ in self.params() if name.endswith("W") or name.startswith("W")}

    def forward(self, X, train=False):
        """Return the logits z, (n, 10), for inputs X, (n, 784).

        train=True applies dropout and lets every layer keep what backward needs;
        train=False (inference) keeps nothing.
        """
        a = self._images(X)
        for layer in self.layers:
            a = layer.forward(a, train)
        return a

    def _images(self, X):
        """Return inputs X (n, 784) as the first layer takes them: (n, 1, 28, 28) for a conv net, else as they are."""
        return X.reshape(len(X), 1, SIDE, SIDE) if self.conv else X

    def trace(self, X):
        """Return [(z, a)] per conv block, then per dense layer, for inputs X (n, 784), keeping nothing.

        An inference forward, step by step.  A conv block's z is the conv output
        (n, channels, Ho, Wo) and a the block's output after pooling and activation,
        (n, channels, Ho // 2, Wo // 2); the first ``len(self.conv)`` steps are these.  A dense
        layer's z = a_prev W + b, (n, units); a is its activation, softmax for the last
        layer, so the last pair is (logits, probabilities), (n, 10).  Dropout is left out,
        as in any inference forward.
        """
        a = self._images(np.asarray(X, dtype=self.dtype))  # the weights' own precision, as training uses
        steps = []
        for conv, pool, act in zip(self.conv, self.pools, self.conv_activations):
            z = conv.forward(a)
            a = act.forward(pool.forward(z))
            steps.append((z, a))
        a = a.reshape(len(a), -1)
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
        if not self.conv:
            return delta
        conv_steps = steps[:len(self.conv)]
        delta = Flatten.input_gradient(delta, conv_steps[-1][1].shape)
        input_shapes = [(len(dz), 1, SIDE, SIDE)] + [a.shape for _, a in conv_steps[:-1]]
        blocks = zip(self.conv, self.pools, self.conv_activations, conv_steps, input_shapes)
        for conv, pool, act, (z, a), x_shape in reversed(list(blocks)):
            delta = conv.input_gradient(pool.input_gradient(act.backward(delta, a), z), x_shape)
        return delta.reshape(len(dz), N_INPUT)

    def gradients(self, X, y, l2=None):
        """Fill every dW and db for the batch; return (loss, logits).  ``l2`` is an ``losses.L2`` or None."""
        z = self.forward(X, train=True)
        loss = self.loss.forward(z, y)
        delta = self.loss.backward()
        for layer in reversed(self.layers):
            delta = layer.backward(delta)
        if l2 is not None:
            weights = [*self.conv, *self.dense]
            loss += l2.forward([layer.W for layer in weights])
            for layer in weights:
                l2.backward(layer.W, layer.dW)
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
