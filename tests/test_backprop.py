"""The backward pass of one digit (nn/explain/backprop.py) gives the gradients of the maths, and steps only a copy."""

import numpy as np
import pytest

from nn import classic
from nn.explain.backprop import Stepper, backward_pass, strongest_units
from nn.network import Network


@pytest.fixture(scope="module")
def digit(splits):
    """Return one real test digit (784,) float64 and its label."""
    return splits.X_test[7].astype(np.float64), int(splits.y_test[7])


def with_biases(net, seed=4):
    """Give net's layers non-zero biases (a fresh net's are all 0, which would hide a db mistake); return net."""
    rng = np.random.default_rng(seed)
    for d in net.dense:
        d.b[:] = 0.1 * rng.standard_normal(d.b.shape)
    return net


def loss_of(net, x, label):
    """Return -log p[label] of digit x, by the inference forward only."""
    return float(-np.log(net.predict_proba(x[None, :])[0, label]))


def test_one_hidden_layer_matches_the_classic_notebooks_backward_prop(digit):
    x, label = digit
    net = with_biases(Network((10,), dtype=np.float64, seed=3))
    first, last = net.dense
    W1, b1, W2, b2 = first.W.T.copy(), first.b[:, None].copy(), last.W.T.copy(), last.b[:, None].copy()
    X, Y = x[:, None], np.array([label])
    Z1, A1, Z2, A2 = classic.forward_prop(W1, b1, W2, b2, X)
    dW1, db1, dW2, db2 = classic.backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y)

    shown = backward_pass(Stepper(net).net, x, label)
    one, two = shown.layers
    assert (one.j, two.j) == (1, 2) and shown.label == label
    np.testing.assert_allclose(shown.p, A2[:, 0], rtol=1e-12)
    assert shown.loss == pytest.approx(-np.log(A2[label, 0]), rel=1e-12)
    np.testing.assert_allclose(two.dZ, A2[:, 0] - classic.one_hot(Y)[:, 0], atol=1e-15)  # dZ2 = A2 - Y
    np.testing.assert_allclose(two.dW, dW2.T, rtol=1e-12, atol=1e-15)  # stored (n_in, units): the notebook's transposed
    np.testing.assert_allclose(two.db, db2[:, 0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(two.dA_prev, W2.T @ two.dZ, rtol=1e-12, atol=1e-15)  # dA1 = W2^T dZ2
    np.testing.assert_allclose(one.dZ, (W2.T.dot(A2 - classic.one_hot(Y)) * classic.ReLU_deriv(Z1))[:, 0],
                               rtol=1e-12, atol=1e-15)  # dZ1 = dA1 ∘ ReLU'(Z1)
    np.testing.assert_allclose(one.dW, dW1.T, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(one.db, db1[:, 0], rtol=1e-12, atol=1e-15)
    assert one.dA_prev is None  # nobody needs dL/dX
    np.testing.assert_allclose(one.Z, Z1[:, 0], rtol=1e-12)
    np.testing.assert_allclose(two.A, A2[:, 0], rtol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "leaky_relu"])
def test_two_hidden_layers_match_finite_differences_and_the_engines_gradients(digit, activation):
    x, label = digit
    net = with_biases(Network((12, 8), activation, "xavier", dtype=np.float64, seed=5))
    shown = backward_pass(Stepper(net).net, x, label)
    assert [layer.j for layer in shown.layers] == [1, 2, 3]

    engine = Network((12, 8), activation, dtype=np.float64)  # a second network, same weights: its own backward
    engine.set_weights(net.copy_weights())
    loss, _ = engine.gradients(x[None, :], np.array([label]))
    assert shown.loss == pytest.approx(loss, rel=1e-12)
    for layer, d in zip(shown.layers, engine.dense):
        np.testing.assert_allclose(layer.dW, d.dW, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(layer.db, d.db, rtol=1e-12, atol=1e-15)

    rng = np.random.default_rng(0)  # an independent check: nudge single weights and watch the loss
    h = 1e-6
    for layer, d in zip(shown.layers, net.dense):
        for _ in range(4):
            i, k = rng.integers(d.W.shape[0]), rng.integers(d.W.shape[1])
            if layer.j == 1:
                i = int(np.argmax(x))  # an inked pixel: an empty one has a zero gradient whatever the maths
            keep = d.W[i, k]
            d.W[i, k] = keep + h
            up = loss_of(net, x, label)
            d.W[i, k] = keep - h
            down = loss_of(net, x, label)
            d.W[i, k] = keep
            assert layer.dW[i, k] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-9)
        k = rng.integers(len(d.b))
        d.b[k] += h
        up = loss_of(net, x, label)
        d.b[k] -= 2 * h
        down = loss_of(net, x, label)
        d.b[k] += h
        assert layer.db[k] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-9)
        assert layer.dZ == pytest.approx(layer.db)  # one digit: db = dZ


def test_an_update_moves_only_the_copy_by_minus_lr_times_the_gradient(digit, pretrained):
    x, label = digit
    net, _ = pretrained  # float32, trained with dropout: the copy must leave both alone
    original = {name: p.tobytes() for name, p, _ in net.params()}
    stepper = Stepper(net)
    before, look = stepper.step(x, label, 0.05, apply=False)
    assert stepper.steps == 0
    np.testing.assert_array_equal(stepper.net.dense[0].W, net.dense[0].W)  # a look changes nothing
    again, after = stepper.step(x, label, 0.05)
    assert stepper.steps == 1 and after.loss == pytest.approx(look.loss, rel=1e-6)
    assert after.loss < before.loss
    for layer, d, src in zip(before.layers, stepper.net.dense, net.dense):
        np.testing.assert_allclose(d.W, src.W - np.float32(0.05) * layer.dW, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(d.b, src.b - np.float32(0.05) * layer.db, rtol=1e-6, atol=1e-7)
    for _ in range(3):
        stepper.step(x, label, 0.05)
    assert stepper.steps == 4 and stepper.explain(x, label).p[label] > before.p[label]
    assert {name: p.tobytes() for name, p, _ in net.params()} == original  # the real model, byte for byte
    assert stepper.net.dropout == 0 and not any(name == "Dropout" for name in map(type, stepper.net.layers))


def test_the_units_drawn_are_those_with_the_largest_gradient_images():
    dW1 = np.zeros((784, 5))
    dW1[:, 3], dW1[:, 1], dW1[0, 4] = 2.0, -1.0, 0.5
    assert list(strongest_units(dW1, 3)) == [3, 1, 4]


def test_a_conv_network_is_refused_in_plain_words(digit):
    with pytest.raises(ValueError, match="fully connected"):
        backward_pass(Network((8,), conv=((2, 5),)), *digit)
