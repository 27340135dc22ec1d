"""Reading one digit explains the answer truthfully and never disturbs a network that is training."""

import numpy as np
import pytest

from nn.activations import ACTIVATIONS
from nn.explain.saliency import read
from nn.losses import softmax
from nn.network import Network


def digit_like(seed=0):
    """Return a (784,) input in [0, 1] with some ink, like a preprocessed drawing."""
    x = np.zeros((28, 28))
    rng = np.random.default_rng(seed)
    x[6:22, 10:18] = rng.random((16, 8))
    return x.reshape(-1)


def net_with_biases(activation="relu", seed=1):
    """Return a float64 network with random, non-zero biases."""
    net = Network(hidden=(32, 16), activation=activation, seed=seed, dtype=np.float64)
    rng = np.random.default_rng(seed)
    for d in net.dense:
        d.b[...] = rng.normal(0, 0.1, d.b.shape)
    return net


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_gradient_matches_finite_differences(activation):
    net = net_with_biases(activation)
    x = digit_like()
    r = read(net, x, digit=3)
    logit = lambda v: net.forward(v[None])[0, 3]
    eps = 1e-6
    for i in (14 * 28 + 12, 10 * 28 + 15, 0, 783):
        step = np.zeros(784)
        step[i] = eps
        numeric = (logit(x + step) - logit(x - step)) / (2 * eps)
        assert r.gradient.reshape(-1)[i] == pytest.approx(numeric, rel=1e-5, abs=1e-8)


def test_input_times_gradient_adds_up_to_the_logit_of_a_bias_free_relu_net():
    # A ReLU net without biases is linear along the ray to x, so the pixels' shares sum to the logit exactly.
    net = Network(hidden=(32,), activation="relu", seed=2, dtype=np.float64)
    x = digit_like(3)
    r = read(net, x)
    assert r.saliency.sum() == pytest.approx(net.forward(x[None])[0, r.digit], rel=1e-9)


def test_the_reddest_pixels_are_the_ink_the_answer_rests_on(pretrained, splits):
    # What the map promises: rub out the pixels it shows reddest and the network's case for its answer
    # collapses; rub out as much ink chosen at random and it barely moves.
    net, _ = pretrained
    rng = np.random.default_rng(0)
    k, dropped_red, dropped_random = 30, [], []
    for x in splits.X_test[:10]:
        r = read(net, x)
        logit = lambda v, d=r.digit: float(net.forward(v[None])[0, d])
        reddest = np.argsort(r.saliency.reshape(-1))[::-1][:k]
        at_random = rng.choice(np.flatnonzero(x > 0), k, replace=False)
        for erased, dropped in ((reddest, dropped_red), (at_random, dropped_random)):
            v = x.copy()
            v[erased] = 0
            dropped.append(logit(x) - logit(v))
    assert all(red > random for red, random in zip(dropped_red, dropped_random)), (dropped_red, dropped_random)
    assert np.mean(dropped_red) > 2 * np.mean(dropped_random)


def test_probabilities_and_activations_match_the_network():
    net = net_with_biases("tanh")
    x = digit_like(4)
    r = read(net, x)
    expected = net.predict_proba(x[None])[0]
    np.testing.assert_allclose(r.p, expected, rtol=1e-12)
    assert r.digit == expected.argmax()
    assert r.confidence == pytest.approx(expected.max())
    net.forward(x[None], train=True)  # no dropout: the same pass, keeping its activations to compare
    for mine, act in zip(r.hidden, net.hidden_activations):
        np.testing.assert_allclose(mine, act.a[0], rtol=1e-12)
    assert [len(h) for h in r.hidden] == [32, 16]


def test_probabilities_are_exactly_the_network_forwards():
    net = Network(hidden=(32,), seed=5)  # float32, as the app trains
    x = digit_like(5)
    np.testing.assert_array_equal(read(net, x).p, softmax(net.forward(x[None].astype(np.float32)))[0])


def test_reading_leaves_caches_and_gradients_of_a_training_network_alone():
    net = Network(hidden=(16,), seed=3)
    X, y = np.random.default_rng(0).random((8, 784), dtype=np.float32), np.arange(8)
    net.gradients(X, y)  # as a worker thread would, mid-step
    caches = [(d.x, d.dW.copy(), d.db.copy()) for d in net.dense]
    a = net.hidden_activations[0].a.copy()
    weights = net.copy_weights()
    read(net, digit_like())
    for d, (x, dW, db) in zip(net.dense, caches):
        assert d.x is x
        np.testing.assert_array_equal(d.dW, dW)
        np.testing.assert_array_equal(d.db, db)
    np.testing.assert_array_equal(net.hidden_activations[0].a, a)
    for name, w in net.copy_weights().items():
        np.testing.assert_array_equal(w, weights[name])
