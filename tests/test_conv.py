"""The conv layers: gradients against central differences, values against a direct loop, a conv net end to end.

The direct convolution here is the textbook loop over every output pixel, written
independently of ``nn.conv``'s im2col; PyTorch, when installed, is a second reference.
"""

import json

import numpy as np
import pytest

from nn.conv import AvgPool2D, Conv2D, Flatten, MaxPool2D
from nn.files.model_file import load_model, model_bytes
from nn.network import Network, conv_features
from nn.optim import OPTIMIZERS
from nn.settings import TrainConfig
from tests.helpers import assert_gradient, away_from_zero

LENET = ((8, 5), (16, 5))


def direct_conv(x, W, b, padding):
    """Return the convolution (cross-correlation, as in every deep-learning library) of x by W, pixel by pixel."""
    k = W.shape[-1]
    if padding == "same":
        lo = (k - 1) // 2
        x = np.pad(x, ((0, 0), (0, 0), (lo, k - 1 - lo), (lo, k - 1 - lo)))
    n, _, h, w = x.shape
    out = np.zeros((n, len(W), h - k + 1, w - k + 1))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            patch = x[:, :, i:i + k, j:j + k]  # (n, c_in, k, k)
            out[:, :, i, j] = np.einsum("nchw,ochw->no", patch, W) + b
    return out


def conv_layer(padding, k=3, c_in=2, c_out=3, seed=0):
    """Return a float64 Conv2D with random non-zero biases."""
    rng = np.random.default_rng(seed)
    layer = Conv2D(c_in, c_out, k, rng, padding, dtype=np.float64)
    layer.b[:] = rng.standard_normal(c_out)
    return layer


@pytest.mark.parametrize("c_in", [1, 2])  # one channel (the digits) takes its own patch copy
@pytest.mark.parametrize("padding, k", [("valid", 3), ("same", 3), ("same", 4), ("valid", 1)])
def test_conv_forward_matches_the_direct_loop(padding, k, c_in):
    layer = conv_layer(padding, k, c_in)
    x = np.random.default_rng(1).standard_normal((2, c_in, 7, 6))
    z = layer.forward(x)
    np.testing.assert_allclose(z, direct_conv(x, layer.W, layer.b, padding), rtol=1e-12, atol=1e-12)
    assert z.shape[2:] == layer.output_size(7, 6)


@pytest.mark.parametrize("c_in", [1, 2])
@pytest.mark.parametrize("padding, k", [("valid", 3), ("same", 3), ("same", 2)])
def test_conv_gradients_for_weights_bias_and_input(padding, k, c_in):
    rng = np.random.default_rng(2)
    layer = conv_layer(padding, k, c_in)
    x = rng.standard_normal((2, c_in, 6, 5))
    upstream = rng.standard_normal((2, 3, *layer.output_size(6, 5)))

    def loss():
        return float(np.sum(layer.forward(x) * upstream))

    layer.forward(x, train=True)
    dx = layer.backward(upstream)
    dW, db = layer.dW.copy(), layer.db.copy()
    assert_gradient(loss, layer.W, dW, rng)
    assert_gradient(loss, layer.b, db, rng)
    assert_gradient(loss, x, dx, rng)
    # Against the loop: dL/dW[o, c, i, j] = sum over n, pixels of upstream * x shifted by (i, j).
    np.testing.assert_allclose(db, upstream.sum(axis=(0, 2, 3)), rtol=1e-12)


def test_first_conv_layer_skips_the_input_gradient_but_fills_its_own():
    layer = conv_layer("valid")
    layer.needs_dx = False
    x = np.random.default_rng(3).standard_normal((2, 2, 5, 5))
    layer.forward(x, train=True)
    assert layer.backward(np.ones((2, 3, 3, 3))) is None
    assert layer.dW.any() and layer.db.any()


@pytest.mark.parametrize("pool", [MaxPool2D(2), AvgPool2D(2), MaxPool2D(3)], ids=["max2", "avg2", "max3"])
@pytest.mark.parametrize("side", [6, 7])  # 7: an odd edge row and column that pooling drops
def test_pool_gradients(pool, side):
    rng = np.random.default_rng(4)
    x = away_from_zero(rng, (2, 3, side, side))  # distinct values: no ties in a max window
    out = pool.forward(x, train=True)
    assert out.shape == (2, 3, side // pool.size, side // pool.size)
    upstream = rng.standard_normal(out.shape)
    dx = pool.backward(upstream)

    def loss():
        return float(np.sum(pool.forward(x) * upstream))

    assert_gradient(loss, x, dx, rng, most=60)


def test_pools_match_a_direct_loop_and_keep_pixel_major_layout():
    x = np.random.default_rng(5).standard_normal((2, 6, 5, 3)).transpose(0, 3, 1, 2)  # (2, 3, 6, 5), NHWC memory
    direct_max = np.array([[[[x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2].max() for j in range(2)] for i in range(3)]
                            for c in range(3)] for n in range(2)])
    pooled = MaxPool2D(2).forward(x)
    np.testing.assert_array_equal(pooled, direct_max)
    assert pooled.transpose(0, 2, 3, 1).flags.c_contiguous  # no copy back to NCHW memory
    mean = x[:, :, :6, :4].reshape(2, 3, 3, 2, 2, 2).mean(axis=(3, 5))
    np.testing.assert_allclose(AvgPool2D(2).forward(x), mean, rtol=1e-12)


def test_flatten_round_trip():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    f = Flatten()
    flat = f.forward(x, train=True)
    assert flat.shape == (2, 60) and flat[1, 0] == x[1, 0, 0, 0] and flat[0, 5] == x[0, 0, 1, 0]  # NCHW order
    np.testing.assert_array_equal(f.backward(flat), x)


def test_inference_forward_keeps_nothing():
    layer, pool, flat = conv_layer("valid"), MaxPool2D(), Flatten()
    x = np.random.default_rng(6).standard_normal((1, 2, 6, 6))
    flat.forward(pool.forward(layer.forward(x)))
    kept = [(layer, "patches"), (pool, "x"), (pool, "out"), (flat, "x_shape")]
    assert not any(hasattr(obj, name) for obj, name in kept)


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    layer = conv_layer("valid", k=5, c_in=3, c_out=4)
    x, upstream = rng.standard_normal((2, 3, 12, 12)), rng.standard_normal((2, 4, 4, 4))
    xt = torch.tensor(x, requires_grad=True)
    Wt = torch.tensor(layer.W, requires_grad=True)
    bt = torch.tensor(layer.b, requires_grad=True)
    zt = torch.nn.functional.max_pool2d(torch.nn.functional.conv2d(xt, Wt, bt), 2)
    (zt * torch.tensor(upstream)).sum().backward()
    pool = MaxPool2D(2)
    z = pool.forward(layer.forward(x, train=True), train=True)
    dx = layer.backward(pool.backward(upstream))
    np.testing.assert_allclose(z, zt.detach().numpy(), rtol=1e-10, atol=1e-12)
    for mine, theirs in [(dx, xt.grad), (layer.dW, Wt.grad), (layer.db, bt.grad)]:
        np.testing.assert_allclose(mine, theirs.numpy(), rtol=1e-10, atol=1e-12)


def conv_net(seed=0, dtype=np.float64, **kw):
    """Return a small conv net: 28 -> 24 -> 12 -> 10 -> 5 with 3 then 4 channels, a hidden layer of 12."""
    return Network((12,), conv=((3, 5), (4, 3)), seed=seed, dtype=dtype, **kw)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_conv_network_gradients_for_every_parameter_and_the_input(activation):
    rng = np.random.default_rng(8)
    net = conv_net(activation=activation)
    for name, p, _ in net.params():
        if name.endswith(".b") or name.startswith("b"):
            p[:] = rng.uniform(0.05, 0.2, p.shape)  # non-zero, and units away from ReLU's kink
    X, y = rng.random((3, 784)), np.array([1, 7, 3])
    net.gradients(X, y)
    for _, p, g in net.params():
        assert_gradient(lambda: net.loss.forward(net.forward(X), y), p, g.copy(), rng, most=25)
    steps = net.trace(X)
    dx = net.input_gradient(steps, np.eye(10)[y])
    assert dx.shape == (3, 784)
    assert_gradient(lambda: float(net.forward(X)[np.arange(3), y].sum()), X, dx, rng, most=30)


def test_ties_in_a_max_window_send_the_gradient_once():
    """A digit's blank margin gives every conv output there the bias alone: four equal values in each pool window."""
    rng = np.random.default_rng(9)
    net = conv_net(activation="relu")
    for name, p, _ in net.params():
        if name.endswith(".b"):
            p[:] = rng.uniform(0.05, 0.2, p.shape)  # positive: the ReLU after the pool lets the tied values through
    X, y = np.zeros((2, 28, 28)), np.array([4, 9])
    X[:, 8:20, 9:19] = rng.random((2, 12, 10))  # ink in the middle only, as in MNIST
    X = X.reshape(2, 784)
    net.gradients(X, y)
    for _, p, g in net.params():
        assert_gradient(lambda: net.loss.forward(net.forward(X), y), p, g.copy(), rng, most=25)
    pool = MaxPool2D(2)
    dx = pool.input_gradient(np.ones((1, 1, 1, 1)), np.full((1, 1, 2, 2), 0.3))
    assert dx.sum() == 1 and dx[0, 0, 0, 0] == 1  # the first of four equal values takes it


def test_conv_network_sizes_follow_the_blocks():
    assert conv_features(LENET) == (16, 4)
    net = Network((128,), conv=LENET)
    assert net.sizes == [256, 128, 10] and net.describe() == "conv8x5-conv16x5-256-128-10"
    assert [p.shape for _, p, _ in net.params()][:4] == [(8, 1, 5, 5), (8,), (16, 8, 5, 5), (16,)]
    assert net.forward(np.zeros((2, 784), np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="does not fit"):
        Network((16,), conv=((4, 9), (4, 9), (4, 3)))


def test_weights_are_the_live_kernels_and_matrices_without_biases():
    net = Network((32,), conv=LENET)
    weights = net.weights()
    assert list(weights) == ["conv1.W", "conv2.W", "W1", "W2"]
    assert weights["conv2.W"] is net.conv[1].W and weights["W2"] is net.dense[1].W  # live: a change is the network's


def test_trace_and_input_gradient_keep_nothing_and_agree_with_forward():
    rng = np.random.default_rng(9)
    net = conv_net(dtype=np.float32)
    X = rng.random((2, 784), dtype=np.float32)
    steps = net.trace(X)
    assert [a.shape for _, a in steps] == [(2, 3, 12, 12), (2, 4, 5, 5), (2, 12), (2, 10)]
    np.testing.assert_allclose(steps[-1][0], net.forward(X), rtol=1e-5)
    net.input_gradient(steps, np.ones((2, 10), np.float32))
    assert not any(hasattr(layer, "patches") or hasattr(layer, "x") for layer in net.layers)


def test_a_tiny_batch_is_learned_by_heart(sample):
    X, y = sample.x_train[:32].reshape(32, -1).astype(np.float32) / 255, sample.y_train[:32].astype(np.int64)
    net = Network((32,), conv=((4, 5),), seed=1)
    adam = OPTIMIZERS["adam"](net.params())
    for _ in range(150):
        loss, _ = net.gradients(X, y)
        adam.step(0.01)
    assert loss < 0.01 and (net.predict(X) == y).all()


def test_model_file_round_trip_keeps_the_conv_architecture():
    net = conv_net(dtype=np.float32, seed=4)
    loaded, meta = load_model(model_bytes(net))
    assert loaded.spec() == net.spec() and meta["architecture"]["conv"] == [[3, 5], [4, 3]]
    X = np.random.default_rng(10).random((5, 784), dtype=np.float32)
    np.testing.assert_array_equal(loaded.forward(X), net.forward(X))


def test_model_file_from_before_conv_layers_still_loads(files):
    net = Network((16,), seed=2)
    arrays = files.model_arrays(net)
    meta = json.loads(str(arrays["metadata"]))
    del meta["architecture"]["conv"]  # as files saved before conv layers existed
    arrays["metadata"] = np.array(json.dumps(meta))
    loaded, _ = load_model(files.npz(**arrays))
    assert loaded.conv == [] and loaded.sizes == [784, 16, 10]


def test_model_file_with_a_conv_that_does_not_fit_is_refused(files):
    net = conv_net(dtype=np.float32)
    arrays = files.model_arrays(net)
    meta = json.loads(str(arrays["metadata"]))
    meta["architecture"]["conv"] = [[3, 5], [4, 5]]  # 4 × 4² features, not the file's 4 × 5²
    arrays["metadata"] = np.array(json.dumps(meta))
    with pytest.raises(ValueError, match="64 features from its conv layers"):
        load_model(files.npz(**arrays))


def test_settings_carry_conv_layers_through_json():
    config = TrainConfig(conv=[[8, 5], (16, 5)], hidden=(64,))
    assert config.conv == LENET
    again = TrainConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config and Network.from_config(again).sizes == [256, 64, 10]
    for bad, words in [([(8, 5)] * 4, "at most 3"), ([(0, 5)], "channels"), ([(8, 1)], "kernel"),
                       ([(4, 9), (4, 9), (4, 3)], "does not fit")]:
        with pytest.raises(ValueError, match=words):
            TrainConfig(conv=bad)
