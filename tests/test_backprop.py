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


def slope(net, x, label, array, at, h=1e-6):
    """Return dL/d array[at] by central differences: nudge that one parameter both ways and watch the loss."""
    keep = array[at]
    array[at] = keep + h
    up = loss_of(net, x, label)
    array[at] = keep - h
    down = loss_of(net, x, label)
    array[at] = keep
    return (up - down) / (2 * h)


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
    for layer, d in zip(shown.layers, net.dense):
        for _ in range(4):
            i, k = rng.integers(d.W.shape[0]), rng.integers(d.W.shape[1])
            if layer.j == 1:
                i = int(np.argmax(x))  # an inked pixel: an empty one has a zero gradient whatever the maths
            assert layer.dW[i, k] == pytest.approx(slope(net, x, label, d.W, (i, k)), rel=1e-5, abs=1e-9)
        k = rng.integers(len(d.b))
        assert layer.db[k] == pytest.approx(slope(net, x, label, d.b, k), rel=1e-5, abs=1e-9)
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


def conv_net(seed=6):
    """Return a float64 net with two conv blocks and non-zero biases everywhere (x: 28 -> 24 -> 12 -> 10 -> 5)."""
    net = with_biases(Network((8,), "tanh", dtype=np.float64, seed=seed, conv=((3, 5), (4, 3))))
    rng = np.random.default_rng(seed)
    for c in net.conv:
        c.b[:] = 0.1 * rng.standard_normal(c.b.shape)
    return net


def test_a_conv_networks_blocks_match_the_engine_and_finite_differences(digit):
    x, label = digit
    net = conv_net()
    shown = backward_pass(Stepper(net).net, x, label)
    assert [b.i for b in shown.conv] == [1, 2] and [layer.j for layer in shown.layers] == [1, 2]
    assert [b.dZ.shape for b in shown.conv] == [(3, 24, 24), (4, 10, 10)]
    assert [b.dA.shape for b in shown.conv] == [(3, 12, 12), (4, 5, 5)]

    engine = conv_net()  # a second network, same weights: the engine's own backward on the batch of one
    loss, _ = engine.gradients(x[None, :], np.array([label]))
    assert shown.loss == pytest.approx(loss, rel=1e-12)
    for block, c in zip(shown.conv, engine.conv):
        np.testing.assert_allclose(block.dK, c.dW, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(block.db, c.db, rtol=1e-12, atol=1e-15)

    rng = np.random.default_rng(1)  # independent: nudge single kernel weights and biases
    for block, c in zip(shown.conv, net.conv):
        for _ in range(4):
            at = tuple(int(rng.integers(n)) for n in c.W.shape)
            assert block.dK[at] == pytest.approx(slope(net, x, label, c.W, at), rel=1e-5, abs=1e-9)
        for k in range(len(c.b)):  # every bias: the blank margin's tied pooling windows reach each of them
            assert block.db[k] == pytest.approx(slope(net, x, label, c.b, k), rel=1e-5, abs=1e-9)


def test_a_conv_networks_equations_hold_with_their_numbers(digit):
    """Each equation the page writes for a conv block, checked with direct loops over its numbers."""
    x, label = digit
    net = conv_net()
    shown = backward_pass(Stepper(net).net, x, label)
    one, two = shown.conv
    np.testing.assert_allclose(two.dA.ravel(), shown.layers[0].dA_prev, rtol=1e-12)  # dA_conv2 = unflatten(dF)
    assert shown.layers[0].dA_prev.shape == (4 * 5 * 5,)
    for block in shown.conv:
        np.testing.assert_allclose(block.db, block.dZ.sum(axis=(1, 2)), rtol=1e-10, atol=1e-15)  # db = Σ dZ
        c, h, w = block.dA.shape  # unpool: each window's gradient reaches only its largest Z, as dA ∘ f'
        windows = block.Z[:, :2 * h, :2 * w].reshape(c, h, 2, w, 2)
        grads = block.dZ[:, :2 * h, :2 * w].reshape(c, h, 2, w, 2)
        largest = windows == windows.max(axis=(2, 4), keepdims=True)
        assert not grads[~largest].any()
        through = block.dA * (1 - block.A ** 2)  # tanh'(pooled Z) = 1 - A²
        np.testing.assert_allclose(grads.sum(axis=(2, 4)), through, rtol=1e-10, atol=1e-15)
    image = x.reshape(28, 28)
    k = one.dK.shape[-1]
    for c in range(one.dK.shape[0]):  # dK1 = dZ_conv1 ⋆ X: each weight, dZ times the pixel it met, summed
        direct = [[(one.dZ[c] * image[i:i + 24, j:j + 24]).sum() for j in range(k)] for i in range(k)]
        np.testing.assert_allclose(one.dK[c, 0], direct, rtol=1e-10, atol=1e-15)
    K2 = net.conv[1].W  # dA_conv1 = dZ_conv2 ∗ rot180(K2): each input pixel gathers from the outputs it fed
    dA1 = np.zeros_like(one.dA)
    for ci in range(3):
        for r in range(12):
            for s in range(12):
                dA1[ci, r, s] = sum(two.dZ[co, r - i, s - j] * K2[co, ci, i, j] for co in range(4)
                                    for i in range(3) for j in range(3) if 0 <= r - i < 10 and 0 <= s - j < 10)
    np.testing.assert_allclose(one.dA, dA1, rtol=1e-10, atol=1e-15)


def test_a_conv_networks_update_moves_only_the_copy(digit):
    x, label = digit
    net = conv_net()
    original = {name: p.tobytes() for name, p, _ in net.params()}
    stepper = Stepper(net)
    before, after = stepper.step(x, label, 0.05)
    assert after.loss < before.loss and stepper.steps == 1
    for block, c, src in zip(before.conv, stepper.net.conv, net.conv):
        np.testing.assert_allclose(c.W, src.W - 0.05 * block.dK, rtol=1e-12, atol=1e-15)  # K ← K − α dK
    assert {name: p.tobytes() for name, p, _ in net.params()} == original
