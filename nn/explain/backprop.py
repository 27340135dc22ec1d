"""The backward pass of one digit, layer by layer, and one gradient-descent step on a copy.

For the Weights page's "backward pass" section: the numbers behind each equation of
backpropagation in the classic notebook's notation (``nn/classic.py``), for any network the
engine builds.  With one digit, m = 1, so no 1/m appears.  The dense layers, last to first:

    dZ_L = A_L - Y            dW_L = dZ_L A_{L-1}^T      db_L = dZ_L
    dA_{L-1} = W_L^T dZ_L     dZ_{L-1} = dA_{L-1} ∘ f'(Z_{L-1})      ...down to dW_1 = dZ_1 X^T

In a conv net the first dense layer reads F, the last block's maps flattened, so dF = W_1^T dZ_1
goes on, unflattened, into the conv blocks (conv, 2×2 max pooling, activation), last to first:

    dZ_conv = unpool(dA_conv ∘ f')          each window's gradient goes to its largest value
    dK = dZ_conv ⋆ A_prev                   each kernel weight: dZ times the input pixel it met, summed
    db_conv = Σ dZ_conv                     over every pixel of a channel's map
    dA_prev = dZ_conv ∗ rot180(K)           the full convolution, on into the block before

Every number comes from the engine itself: the forward is ``Network.trace``, the deltas
between layers are the layers' ``input_gradient`` and the activation's ``backward``, dW, dK and
db are what the engine's own backward (``Network.gradients``) fills, and the step is the engine's
``GradientDescent``.  That backward writes into the network it runs on, so everything here
works on a ``Stepper``'s private copy, never on the session's model (which may be training
on another thread).  Dense vectors are 1-D per digit: Z, A, dZ (units,); dW is stored as the
engine stores W, (n_in, units), the notebook's dW transposed.  The L2 penalty and dropout of
a run are left out: they belong to training batches, not to one digit's explanation.

Not for drawing: ``ui.figures.weights`` draws these numbers.
"""

from dataclasses import dataclass

import numpy as np

from nn.conv import Flatten
from nn.network import Network
from nn.optim import GradientDescent


@dataclass
class Layer:
    """One dense layer j of the backward pass for one digit (1-based j, as W_j)."""

    j: int
    Z: np.ndarray  # (units,) pre-activation
    A: np.ndarray  # (units,) activation; softmax probabilities for the last layer
    dZ: np.ndarray  # (units,) dL/dZ_j
    dW: np.ndarray  # (n_in, units) dL/dW_j, the engine's layout
    db: np.ndarray  # (units,) dL/db_j
    dA_prev: np.ndarray | None  # (n_in,) dL/dA_{j-1} = W_j^T dZ_j; for the first layer dF in a conv net, else None


@dataclass
class ConvBlock:
    """One conv block i of the backward pass for one digit (1-based i, as conv_i): c channels of K×K kernels."""

    i: int
    Z: np.ndarray  # (c, Ho, Wo) the convolution's output
    A: np.ndarray  # (c, Ho // 2, Wo // 2) the block's output: pooled, then the activation
    dA: np.ndarray  # (c, Ho // 2, Wo // 2) dL/dA_i, from the layer above
    dZ: np.ndarray  # (c, Ho, Wo) dL/dZ_i: dA through the activation, then to each window's largest value
    dK: np.ndarray  # (c, c_in, K, K) dL/dK_i, the engine's conv{i}.dW
    db: np.ndarray  # (c,) dL/db_i, the sum of each channel's dZ


@dataclass
class Backward:
    """The backward pass of one digit: its loss, probabilities (10,), label, dense layers and conv blocks first to last.

    ``conv`` is empty for a fully connected network; in a conv net the first dense layer's
    ``dA_prev`` is dF, the gradient of the flattened features.
    """

    loss: float
    p: np.ndarray
    label: int
    layers: list
    conv: list


def backward_pass(net, x, label):
    """Return the Backward of digit x (784,) with its label; fills net's dW and db.

    Pass a copy (``Stepper``), never a model that is shown or trained elsewhere.
    """
    X, y = np.asarray(x, dtype=net.dtype)[None, :], np.array([int(label)])
    steps = net.trace(X)
    loss, _ = net.gradients(X, y)  # the engine's own backward fills every dW and db
    n_conv = len(net.conv)
    dense_steps = steps[n_conv:]
    p = steps[-1][1]
    dz = p.copy()
    dz[0, y[0]] -= 1  # dZ_L = A_L - Y: the fused softmax cross-entropy's gradient for one digit
    layers = []
    for j in range(len(net.dense), 0, -1):
        dense = net.dense[j - 1]
        z, a = dense_steps[j - 1]
        dA_prev = dense.input_gradient(dz) if j > 1 or n_conv else None  # a conv net goes on into its blocks
        layers.append(Layer(j, z[0], a[0], dz[0], dense.dW.copy(), dense.db.copy(),
                            None if dA_prev is None else dA_prev[0]))
        if j > 1:
            dz = net.hidden_activations[j - 2].backward(dA_prev, dense_steps[j - 2][1])  # dA ∘ f'(Z), f' from A
    blocks = []
    if n_conv:
        dA = Flatten.input_gradient(dA_prev, steps[n_conv - 1][1].shape)  # dF, unflattened to the last block's maps
        for i in range(n_conv, 0, -1):
            conv, z, a = net.conv[i - 1], *steps[i - 1]
            dZ = net.pools[i - 1].input_gradient(net.conv_activations[i - 1].backward(dA, a), z)
            blocks.append(ConvBlock(i, z[0], a[0], dA[0], dZ[0], conv.dW.copy(), conv.db.copy()))
            if i > 1:
                dA = conv.input_gradient(dZ, steps[i - 2][1].shape)
    return Backward(loss, p[0], int(label), layers[::-1], blocks[::-1])


def strongest_units(dW1, k=8):
    """Return the k first-layer units whose gradient image dW1[:, unit] (784,) is largest, strongest first."""
    norms = np.linalg.norm(dW1, axis=0)
    return np.argsort(-norms, kind="stable")[:k]


class Stepper:
    """A private, dropout-free copy of a network that gradient descent steps on one digit at a time.

    ``source`` is the network it was copied from; the copy shares no array with it, so the
    source stays byte-identical however often the copy steps.
    """

    def __init__(self, net):
        self.source = net
        self.net = Network(net.sizes[1:-1], net.activation, net.init, 0.0, dtype=net.dtype, conv=net.conv_spec)
        self.net.set_weights(net.copy_weights())
        self.steps = 0  # updates applied so far

    def explain(self, x, label):
        """Return the Backward of digit x (784,) for the copy as it is now."""
        return backward_pass(self.net, x, label)

    def step(self, x, label, lr, apply=True):
        """Take one gradient-descent step W -= lr dW on digit x; return (Backward before, Backward after).

        apply=False only looks: the copy goes back to its weights before the step.
        """
        before = self.explain(x, label)  # fills the copy's dW and db, which the step uses
        kept = None if apply else self.net.copy_weights()
        GradientDescent(self.net.params()).step(lr)
        after = self.explain(x, label)
        if apply:
            self.steps += 1
        else:
            self.net.set_weights(kept)
        return before, after
