"""Every backward pass agrees with central differences of its forward pass, in float64.

Each check perturbs parameters one at a time by EPS and differentiates a scalar
loss numerically; for big matrices a random subset of entries is checked.
Inputs stay away from ReLU's kink at 0, where the derivative jumps.
"""

import numpy as np
import pytest

from nn.activations import ACTIVATIONS
from nn.layers import Dense, Dropout
from nn.losses import L2, SoftmaxCrossEntropy
from nn.network import Network
from tests.helpers import assert_gradient, away_from_zero


def cross_entropy(z, y):
    """Return the mean -log softmax(z)[y], written out independently of nn.losses."""
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(y)), y].mean()


def test_dense_gradients_for_weights_bias_and_input():
    rng = np.random.default_rng(0)
    layer = Dense(7, 5, rng, init="xavier", dtype=np.float64)
    layer.b[:] = rng.standard_normal(5)
    x, upstream = rng.standard_normal((4, 7)), rng.standard_normal((4, 5))

    def loss():
        return float(np.sum(upstream * layer.forward(x, train=True)))

    loss()
    dx = layer.backward(upstream.copy())
    assert_gradient(loss, layer.W, layer.dW.copy(), rng)
    assert_gradient(loss, layer.b, layer.db.copy(), rng)
    assert_gradient(loss, x, dx, rng)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_gradient(name):
    rng = np.random.default_rng(1)
    act = ACTIVATIONS[name]()
    z, upstream = away_from_zero(rng, (6, 9)), rng.standard_normal((6, 9))

    def loss():
        return float(np.sum(upstream * act.forward(z, train=True)))

    act.forward(z, train=True)
    dz = act.backward(upstream)
    assert_gradient(loss, z, dz, rng)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_forward_and_backward_leave_their_arguments_alone(name):
    rng = np.random.default_rng(8)
    act = ACTIVATIONS[name]()
    z, upstream = away_from_zero(rng, (5, 7)), rng.standard_normal((5, 7))
    z_before, upstream_before = z.copy(), upstream.copy()
    a = act.forward(z, train=True)
    a_before = a.copy()
    dz = act.backward(upstream)
    np.testing.assert_array_equal(z, z_before)
    np.testing.assert_array_equal(upstream, upstream_before)
    np.testing.assert_array_equal(a, a_before)
    assert dz is not upstream
    np.testing.assert_array_equal(act.backward(upstream), dz)  # twice, the same


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_backward_with_a_given_output_ignores_what_training_kept(name):
    rng = np.random.default_rng(9)
    act = ACTIVATIONS[name]()
    z, other, upstream = away_from_zero(rng, (4, 6)), away_from_zero(rng, (4, 6)), rng.standard_normal((4, 6))
    expected = act.backward(upstream, act.forward(z))  # inference forward: nothing kept, a passed explicitly
    act.forward(other, train=True)  # what a training thread would leave behind
    kept = act.a.copy()
    np.testing.assert_array_equal(act.backward(upstream, act.forward(z)), expected)
    np.testing.assert_array_equal(act.a, kept)
    act.forward(z, train=True)
    np.testing.assert_array_equal(act.backward(upstream), expected)


def test_softmax_cross_entropy_value_and_gradient():
    rng = np.random.default_rng(2)
    z, y = 3 * rng.standard_normal((6, 10)), rng.integers(0, 10, 6)
    ce = SoftmaxCrossEntropy()
    assert ce.forward(z, y) == pytest.approx(cross_entropy(z, y), rel=1e-12)
    dz = ce.backward()
    assert_gradient(lambda: ce.forward(z, y), z, dz, rng)


def test_softmax_cross_entropy_backward_twice_gives_the_same():
    rng = np.random.default_rng(10)
    z, y = rng.standard_normal((5, 10)), rng.integers(0, 10, 5)
    ce = SoftmaxCrossEntropy()
    ce.forward(z, y)
    first = ce.backward().copy()
    np.testing.assert_array_equal(ce.backward(), first)
    np.testing.assert_allclose(first.sum(axis=1), 0, atol=1e-15)  # p - one_hot sums to 0: the 1 was taken once


def test_dropout_gradient_with_a_fixed_mask():
    rng = np.random.default_rng(3)
    layer = Dropout(0.4, None)
    a, upstream = rng.standard_normal((8, 10)), rng.standard_normal((8, 10))

    def loss():
        layer.rng = np.random.default_rng(7)  # the same mask on every call
        return float(np.sum(upstream * layer.forward(a, train=True)))

    loss()
    assert (layer.mask == 0).any() and np.allclose(layer.mask[layer.mask > 0], 1 / 0.6)
    da = layer.backward(upstream.copy())
    assert_gradient(loss, a, da, rng)
    assert layer.forward(a, train=False) is a  # no dropout when predicting


def check_network(net, X, y, lam=0.0, n=1):
    """Assert every parameter's gradient from ``net.gradients`` matches central differences of the loss."""
    rng = np.random.default_rng(4)
    l2 = L2(lam, n) if lam else None

    def fix_masks():
        for layer in net.layers:
            if isinstance(layer, Dropout):
                layer.rng = np.random.default_rng(11)  # the same masks on every call

    def loss():
        fix_masks()
        penalty = lam / (2 * n) * sum(np.sum(d.W**2) for d in net.dense)
        return cross_entropy(net.forward(X, train=True), y) + penalty

    expected = loss()
    fix_masks()
    value, _ = net.gradients(X, y, l2)
    assert value == pytest.approx(expected, rel=1e-10)
    grads = {name: g.copy() for name, _, g in net.params()}
    for name, p, _ in net.params():
        assert_gradient(loss, p, grads[name], rng)


def batch(seed=5, n=5):
    """Return a small random batch: X (n, 784) float64, y (n,) labels."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 784)), rng.integers(0, 10, n)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_network_with_two_hidden_layers(activation):
    net = Network(hidden=(12, 9), activation=activation, init="xavier", seed=1, dtype=np.float64)
    for d in net.dense:
        d.b[:] = 0.1 * np.random.default_rng(6).standard_normal(d.b.shape)
    check_network(net, *batch())


def test_l2_penalty_through_network_gradients():
    net = Network(hidden=(12, 9), seed=2, dtype=np.float64)
    check_network(net, *batch(), lam=3.0, n=50)


def test_network_with_dropout():
    net = Network(hidden=(12, 9), dropout=0.3, seed=3, dtype=np.float64)
    check_network(net, *batch())


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_input_gradient_matches_central_differences_of_the_inference_forward(activation):
    net = Network(hidden=(12, 9), activation=activation, init="xavier", dropout=0.3, seed=4, dtype=np.float64)
    for d in net.dense:
        d.b[:] = 0.1 * np.random.default_rng(12).standard_normal(d.b.shape)
    X, _ = batch(13, n=3)
    upstream = np.random.default_rng(14).standard_normal((3, 10))
    dX = net.input_gradient(net.trace(X), upstream)
    assert_gradient(lambda: float(np.sum(upstream * net.forward(X))), X, dX, np.random.default_rng(15))
