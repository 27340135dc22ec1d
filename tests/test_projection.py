"""The activation map's PCA is the real one, its axes hold still between frames, and the layers are the network's."""

import numpy as np
import pytest

from nn.explain import projection
from nn.network import Network


def svd_projection(F):
    """Return (points (n, 2), variance shares (2,)) of F on its first two principal axes, by a plain SVD."""
    Fc = F - F.mean(axis=0)
    _, s, Vt = np.linalg.svd(Fc, full_matrices=False)
    return Fc @ Vt[:2].T, s[:2] ** 2 / (s**2).sum()


def same_up_to_sign(a, b, **tol):
    """Assert points a and b (n, 2) are equal, each column up to its sign."""
    for k in range(2):
        sign = np.sign(a[:, k] @ b[:, k])
        np.testing.assert_allclose(a[:, k], sign * b[:, k], **tol)


@pytest.fixture(scope="module")
def activations():
    """Return features (400, 30) with three well separated spreads, like a hidden layer's."""
    rng = np.random.default_rng(3)
    return rng.normal(size=(400, 30)) * np.r_[5.0, 3.0, 1.5, np.ones(27) * 0.3] + rng.normal(size=30)


@pytest.mark.parametrize("shape", [(400, 30), (20, 50)], ids=["more digits than units", "more units than digits"])
def test_pca_is_the_svd_projection(shape):
    rng = np.random.default_rng(0)
    F = rng.normal(size=shape) * np.linspace(4, 0.5, shape[1])
    got = projection.pca(F)
    want, share = svd_projection(F)
    same_up_to_sign(got.points, want, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got.explained, share, rtol=1e-6)
    np.testing.assert_allclose(got.axes.T @ got.axes, np.eye(2), atol=1e-10)  # orthonormal axes
    Fc = F - F.mean(axis=0)
    np.testing.assert_allclose(Fc @ got.axes, got.points, atol=1e-8)  # the points are the data on those axes


def test_a_small_change_moves_the_points_little_and_flips_no_axis(activations):
    rng = np.random.default_rng(1)
    last = projection.pca(activations)
    for _ in range(20):
        # A training step's worth of change: every activation moves a little, the classes stay.
        moved = activations + rng.normal(scale=0.05, size=activations.shape)
        now = projection.pca(moved, last)
        shift = np.linalg.norm(now.points - last.points, axis=1)
        assert shift.max() < 0.5, shift.max()  # the spread is ±10: no point jumps across the map
        assert np.all(np.sum(now.points * last.points, axis=0) > 0)  # neither axis flipped
        # Still the exact PCA: the same plane as the SVD's, only turned.
        same_plane = svd_projection(moved)[0]
        np.testing.assert_allclose(np.linalg.norm(now.points, axis=1), np.linalg.norm(same_plane, axis=1),
                                   rtol=1e-6)
        last = now


@pytest.mark.parametrize("angle", [0.7, 2.5, -1.2])
@pytest.mark.parametrize("flip", [False, True])
def test_a_frame_takes_the_turn_of_the_last_one_whatever_it_was(activations, angle, flip):
    # Whatever turn or mirror the solver gave the last frame, the next one is laid the same way.
    c, s = np.cos(angle), np.sin(angle)
    R = np.array([[c, -s], [s, c]]) @ (np.diag([1.0, -1.0]) if flip else np.eye(2))
    first = projection.pca(activations)
    last = projection.Projection(first.points @ R, first.axes @ R, first.explained)
    moved = activations + np.random.default_rng(4).normal(scale=0.05, size=activations.shape)
    now = projection.pca(moved, last)
    assert np.abs(now.points - last.points).max() < 0.5
    np.testing.assert_allclose(now.axes.T @ now.axes, np.eye(2), atol=1e-10)


def test_the_first_frame_is_the_same_every_time(activations):
    a = projection.pca(activations)
    b = projection.pca(activations[:, ::-1].copy()[:, ::-1])  # the same numbers, another memory layout
    np.testing.assert_allclose(a.points, b.points, atol=1e-9)


def test_views_are_the_input_each_layer_and_the_probabilities():
    net = Network((12, 7), seed=0)
    X = np.random.default_rng(0).random((9, 784)).astype(np.float32)
    names = projection.layer_names(net)
    layers = projection.views(net, X)
    assert names == ["input pixels (784)", "hidden layer 1 (12 units)", "hidden layer 2 (7 units)",
                     "output (10 probabilities)"]
    assert [F.shape for F in layers] == [(9, 784), (9, 12), (9, 7), (9, 10)]
    np.testing.assert_allclose(layers[-1], net.predict_proba(X), rtol=1e-5)
    relu1 = np.maximum(X @ net.dense[0].W + net.dense[0].b, 0)
    np.testing.assert_allclose(layers[1], relu1, rtol=1e-5, atol=1e-6)


def test_a_conv_nets_blocks_are_layers_too():
    net = Network((8,), conv=((3, 5),), seed=0)
    layers = projection.views(net, np.zeros((4, 784), np.float32))
    assert projection.layer_names(net)[1] == "conv block 1 (3 channels)"
    assert [F.shape for F in layers] == [(4, 784), (4, 3 * 12 * 12), (4, 8), (4, 10)]


def test_the_subset_is_fixed_and_within_range():
    a, b = projection.subset(10_000), projection.subset(10_000)
    assert len(a) == 2000 and len(set(a)) == 2000 and a.max() < 10_000
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(projection.subset(1000), np.arange(1000))  # fewer digits: all of them
