"""The Weights page's numbers are right, and reading them never disturbs a network that is training."""

import threading

import numpy as np
import pytest

from nn.activations import ACTIVATIONS
from nn.data import load_dataset, make_splits
from nn.explain.inspection import (
    MAX_DIGITS,
    MAX_VALUES,
    forward_pass,
    grid_columns,
    health,
    histograms,
    initial_weights,
    robust_scale,
    sample_matrix,
    tile,
    unit,
)
from nn.network import Network
from nn.settings import TrainConfig
from nn.train import Trainer


@pytest.fixture(scope="module")
def splits():
    return make_splits(load_dataset("sample"), seed=0)


def test_initial_weights_are_the_ones_a_run_starts_from(splits):
    config = TrainConfig(hidden=(16, 8), init="xavier", dropout=0.2, seed=7, epochs=1, train_size=200)
    trainer = Trainer(splits, config)
    start = trainer.net.copy_weights()
    for _ in trainer.run():
        pass
    init = initial_weights(config)
    assert sorted(init) == sorted(start)
    for name in start:
        np.testing.assert_array_equal(init[name], start[name])
    assert not np.array_equal(trainer.net.dense[0].W, init["W1"])  # the run moved away from it


def test_tile_puts_each_image_in_its_cell_with_nan_between():
    images = np.arange(5 * 784, dtype=np.float32).reshape(5, 784)
    sheet = tile(images, cols=3)
    assert sheet.shape == (2 * 29 - 1, 3 * 29 - 1)
    np.testing.assert_array_equal(sheet[:28, 29:57], images[1].reshape(28, 28))
    np.testing.assert_array_equal(sheet[29:, 29:57], images[4].reshape(28, 28))
    assert np.isnan(sheet[28]).all() and np.isnan(sheet[:, 28]).all()  # the gaps
    assert np.isnan(sheet[29:, 58:]).all()  # the sixth cell has no image


@pytest.mark.parametrize(("count", "cols"), [(1, 1), (10, 4), (64, 8), (1024, 8)])
def test_grid_columns_make_a_near_square_at_most_eight_wide(count, cols):
    assert grid_columns(count) == cols


def test_robust_scale_ignores_a_single_outlier():
    w = np.random.default_rng(0).normal(0, 0.1, (784, 128)).astype(np.float32)
    w[0, 0] = 50.0
    assert 0.2 < robust_scale(w) < 0.4
    assert robust_scale(np.zeros((3, 3))) == 1.0  # an all-zero layer still gets a usable range


def test_sample_matrix_keeps_small_matrices_whole_and_shrinks_big_ones_evenly():
    rows, cols = sample_matrix(np.zeros((10, 784)), 60_000)
    np.testing.assert_array_equal(rows, np.arange(10))
    np.testing.assert_array_equal(cols, np.arange(784))
    rows, cols = sample_matrix(np.zeros((1024, 784)), 60_000)
    assert len(rows) * len(cols) <= 60_000
    assert (rows[0], rows[-1], cols[0], cols[-1]) == (0, 1023, 0, 783)  # both ends shown
    assert np.all(np.diff(rows) > 0) and np.all(np.diff(cols) > 0)
    assert abs(len(rows) / len(cols) - 1024 / 784) < 0.05  # the matrix keeps its shape


def test_histograms_share_bins_that_cover_both_distributions():
    rng = np.random.default_rng(0)
    now, before = rng.normal(0, 0.3, (50, 40)), rng.normal(0, 0.05, (50, 40))
    edges, c_now, c_before = histograms(now, before, bins=30)
    assert len(edges) == 31 and edges[0] <= min(now.min(), before.min()) and edges[-1] >= max(now.max(), before.max())
    assert c_now.sum() == c_before.sum() == now.size
    assert (c_now > 0).sum() > (c_before > 0).sum()  # the wider one spreads over more bins
    _, _, none = histograms(now)
    assert none is None


def test_histograms_of_weights_that_change_meanwhile_still_count_each_one():
    # A live run rewrites W in place while the page reads it: every value read must land in a bin.
    base = np.random.default_rng(0).normal(0, 0.1, (300, 256)).astype(np.float32)
    w = base.copy()
    done = threading.Event()

    def train():
        while not done.is_set():
            for s in (1, 3):
                np.multiply(base, s, out=w)

    worker = threading.Thread(target=train)
    worker.start()
    try:
        for _ in range(200):
            _, counts, _ = histograms(w)
            assert counts.sum() == w.size
    finally:
        done.set()
        worker.join()


def test_histograms_of_a_big_layer_read_a_sample():
    w = np.random.default_rng(0).normal(0, 1, (784, 1024)).astype(np.float32)
    _, counts, _ = histograms(w)
    assert MAX_VALUES <= counts.sum() < 2 * MAX_VALUES


def test_unit_finds_the_digits_that_excite_it_most(splits):
    net = Network((32,), seed=3)
    X, y = splits.X_test, splits.y_test
    u = unit(net, 5, X, y, k=6)
    a = np.maximum(X[:MAX_DIGITS] @ net.dense[0].W[:, 5] + net.dense[0].b[5], 0)
    assert u.searched == min(len(X), MAX_DIGITS)
    np.testing.assert_allclose(u.top_a, np.sort(a)[::-1][:6], rtol=1e-5)
    np.testing.assert_allclose(a[u.top], u.top_a, rtol=1e-5)
    assert u.bias == net.dense[0].b[5]
    for d in range(10):
        assert u.by_digit[d] == pytest.approx(a[y[:MAX_DIGITS] == d].mean(), rel=1e-4)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_forward_pass_gives_the_networks_own_answer(activation, splits):
    net = Network((24, 12), activation=activation, seed=1)
    for d in net.dense:
        d.b[...] = np.random.default_rng(2).normal(0, 0.1, d.b.shape)
    x = splits.X_test[3]
    steps = forward_pass(net, x)
    assert [len(z) for z, _ in steps] == [24, 12, 10]
    z1, a1 = steps[0]
    np.testing.assert_allclose(z1, x @ net.dense[0].W + net.dense[0].b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a1, ACTIVATIONS[activation]().forward(z1.copy()), rtol=1e-6)
    p = steps[-1][1]
    assert p.sum() == pytest.approx(1, abs=1e-5)
    np.testing.assert_allclose(p, net.predict_proba(x[None])[0], rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(steps[-1][0], net.forward(x[None])[0])  # the engine's own forward, exactly


def test_reading_a_network_leaves_its_training_state_alone(splits):
    net = Network((16,), seed=0)
    X, y = splits.X_train[:64], splits.y_train[:64]
    net.gradients(X, y)
    kept = [net.dense[0].x, net.hidden_activations[0].a.copy(), net.dense[0].dW.copy()]
    unit(net, 2, splits.X_test, splits.y_test)
    forward_pass(net, splits.X_test[0])
    assert net.dense[0].x is kept[0]
    np.testing.assert_array_equal(net.hidden_activations[0].a, kept[1])
    np.testing.assert_array_equal(net.dense[0].dW, kept[2])


def test_health_tabulates_the_metrics_per_layer():
    history = [
        {"step": 10, "grad_norm": [1.0, 2.0], "dead_relu": [0.1]},  # an early report without update ratios
        {"step": 20, "grad_norm": [0.5, 1.5], "update_ratio": [1e-3, 2e-3], "dead_relu": [0.2]},
    ]
    h = health(history)
    np.testing.assert_array_equal(h["step"], [10, 20])
    np.testing.assert_array_equal(h["grad_norm"], [[1.0, 2.0], [0.5, 1.5]])
    assert np.isnan(h["update_ratio"][0]).all()
    np.testing.assert_allclose(h["update_ratio"][1], [1e-3, 2e-3])
    np.testing.assert_allclose(h["dead_relu"][:, 0], [0.1, 0.2])
    assert h["names"] == {"grad_norm": ["W1", "W2"], "update_ratio": ["W1", "W2"], "dead_relu": ["hidden 1"]}


def test_health_puts_conv_layers_first_and_names_them():
    history = [
        {"step": 10, "grad_norm": [1.0, 2.0], "dead_relu": [0.1]},  # recorded before conv layers were
        {"step": 20, "conv_grad_norm": [3.0, 4.0], "grad_norm": [0.5, 1.5], "conv_update_ratio": [1e-2, 2e-2],
         "update_ratio": [1e-3, 2e-3], "conv_dead_relu": [0.25, 0.0], "dead_relu": [0.2]},
    ]
    h = health(history)
    assert h["names"] == {"grad_norm": ["conv1", "conv2", "W1", "W2"], "update_ratio": ["conv1", "conv2", "W1", "W2"],
                          "dead_relu": ["conv1", "conv2", "hidden 1"]}
    np.testing.assert_array_equal(h["grad_norm"], [[np.nan, np.nan, 1.0, 2.0], [3.0, 4.0, 0.5, 1.5]])
    np.testing.assert_allclose(h["update_ratio"][1], [1e-2, 2e-2, 1e-3, 2e-3])
    np.testing.assert_allclose(h["dead_relu"], [[np.nan, np.nan, 0.1], [0.25, 0.0, 0.2]])


def test_health_of_a_run_without_relus_has_no_dead_column():
    h = health([{"step": 1, "grad_norm": [1.0, 1.0], "update_ratio": [0.1, 0.1], "dead_relu": []}])
    assert h["dead_relu"].shape == (1, 0)
    assert health([])["step"].shape == (0,)
