"""Inference keeps nothing: forward without training, trace and input_gradient leave a training network's state alone.

The app's pages read a network that a worker thread is training at the same moment, so an
inference pass that wrote a layer's kept input, activation, mask or gradient would corrupt
the worker's next backward.  And the explanation's step-by-step pass is the same forward.
"""

import numpy as np
import pytest

from nn.activations import ACTIVATIONS
from nn.layers import Dropout
from nn.losses import softmax
from nn.network import Network


def kept_state(net):
    """Return a snapshot of everything a training pass leaves in net: kept inputs, activations, masks, gradients."""
    snapshot = {"loss_p": net.loss.p.copy()}
    for i, layer in enumerate(net.layers):
        for attr in ("x", "a", "mask", "dW", "db"):
            if hasattr(layer, attr):
                value = getattr(layer, attr)
                snapshot[f"{i}.{attr}"] = (value, value.copy())  # the object itself and its contents
    return snapshot


def assert_unchanged(net, snapshot):
    """Assert net's kept state is the same objects with the same contents as in snapshot."""
    now = kept_state(net)
    assert now.keys() == snapshot.keys()
    np.testing.assert_array_equal(now.pop("loss_p"), snapshot.pop("loss_p"))
    for key, (obj, contents) in snapshot.items():
        assert now[key][0] is obj, key
        np.testing.assert_array_equal(obj, contents, err_msg=key)


@pytest.fixture
def trained():
    """Return a network mid-training (a training pass done) and a different batch to read."""
    net = Network(hidden=(16, 8), dropout=0.2, seed=5)
    rng = np.random.default_rng(0)
    net.gradients(rng.random((6, 784), dtype=np.float32), np.arange(6))
    return net, rng.random((4, 784), dtype=np.float32)


def test_inference_forward_trace_and_input_gradient_keep_nothing(trained):
    net, X = trained
    snapshot = kept_state(net)
    assert any(isinstance(layer, Dropout) for layer in net.layers) and "2.mask" in snapshot
    net.forward(X)
    steps = net.trace(X)
    net.input_gradient(steps, np.ones((4, 10), dtype=np.float32))
    net.predict_proba(X)
    assert_unchanged(net, snapshot)


def test_a_training_forward_does_keep_state(trained):
    # The other side of the test above: it would notice a change.
    net, X = trained
    snapshot = kept_state(net)
    net.forward(X, train=True)
    with pytest.raises(AssertionError):
        assert_unchanged(net, snapshot)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_trace_is_the_forward_step_by_step(activation):
    net = Network(hidden=(16, 8), activation=activation, dropout=0.3, seed=6)
    for d in net.dense:
        d.b[...] = np.random.default_rng(7).normal(0, 0.1, d.b.shape)
    X = np.random.default_rng(1).random((5, 784), dtype=np.float32)
    steps = net.trace(X)
    assert [z.shape for z, _ in steps] == [(5, 16), (5, 8), (5, 10)]
    np.testing.assert_array_equal(steps[-1][0], net.forward(X))
    np.testing.assert_array_equal(steps[-1][1], softmax(net.forward(X)))
    a = X
    for (z, out), dense, act in zip(steps, net.dense, net.hidden_activations):
        np.testing.assert_allclose(z, a @ dense.W + dense.b, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(out, act.forward(z))
        a = out
