"""The Weights page's activation map: every layer of any network, one point per digit, the misread marked, and
the t-SNE map computed in the background to the end."""

import numpy as np
import pytest

from nn.explain import projection
from tests.helpers import figure, finished_run, session_with, show, values
from ui import session as state
from ui.activation_map import ActivationMap


@pytest.fixture
def open_weights(open_page):
    """Return open(me): an AppTest on the Weights page for the Session me, showing its map."""
    return lambda me: show(open_page("weights", session={"session": me}), "map")


def shown(fig):
    """Return (points (n, 2), labels (n,), misread points (k, 2)) of a map figure, from what it sends."""
    classes, misread = fig["data"][:10], fig["data"][10]
    assert [t["name"] for t in classes] == [str(d) for d in range(10)] and misread["name"] == "misread"
    points = np.concatenate([np.stack([values(t["x"]), values(t["y"])], axis=1) for t in classes])
    labels = np.concatenate([np.full(len(values(t["x"])), d) for d, t in enumerate(classes)])
    return points, labels, np.stack([values(misread["x"]), values(misread["y"])], axis=1)


def check_map(at, net, X, y, layer):
    """Assert the PCA map shows every map digit once, coloured by its label, with an x over exactly the misread."""
    index = projection.subset(len(y))
    fig = figure(at, "map_pca")
    points, labels, misread = shown(fig)
    assert len(points) == len(index) == min(len(y), projection.MAP_DIGITS)
    np.testing.assert_array_equal(np.sort(labels), np.sort(y[index]))
    # Misread, counted here from the network's own probabilities for those digits (not the page's frame).
    wrong = net.predict_proba(X[index]).argmax(axis=1) != y[index]
    assert len(misread) == wrong.sum() > 0
    # The points are the PCA of that layer (up to the turn that keeps a live map still).
    F = projection.views(net, X[index])[layer]
    Fc = F - F.mean(axis=0)
    s = np.linalg.svd(Fc, compute_uv=False)
    np.testing.assert_allclose((points**2).sum(), (s[:2] ** 2).sum(), rtol=1e-3)


def test_the_pretrained_models_map_has_every_layer(open_weights, dense_session):
    me = dense_session
    at = open_weights(me)
    net, splits = me.pretrained().net, state.shared_splits("sample")
    picker = at.selectbox(key="map_layer")
    assert picker.options == [
        "input pixels (784)", "hidden layer 1 (512 units)", "hidden layer 2 (256 units)", "output (10 probabilities)"]
    assert picker.value == 1  # the first hidden layer, whose map moves as a run learns
    check_map(at, net, splits.X_test, splits.y_test, 1)
    picker.set_value(0).run()
    check_map(at, net, splits.X_test, splits.y_test, 0)
    picker.set_value(2).run()
    assert not at.exception
    check_map(at, net, splits.X_test, splits.y_test, 2)
    assert "Click a point" in "".join(c.value for c in at.caption)


@pytest.mark.parametrize("hidden", [(24,), (20, 12)], ids=["one hidden layer", "two hidden layers"])
def test_a_runs_map_lists_its_layers_and_marks_its_mistakes(open_weights, hidden):
    run = finished_run(hidden=hidden)
    at = open_weights(session_with(run))
    picker = at.selectbox(key="map_layer")
    assert len(picker.options) == len(hidden) + 2  # the input, each hidden layer, the output
    splits = state.shared_splits("sample")
    for layer in range(len(hidden) + 2):
        picker.set_value(layer).run()
        assert not at.exception
        check_map(at, run.net, splits.X_test, splits.y_test, layer)


def test_the_tsne_map_is_computed_in_the_background_to_the_end(open_weights, wait_until, dense_session):
    me = dense_session
    me.activation_map = ActivationMap(size=150)  # a small map, so the test is quick
    at = open_weights(me)
    at.button(key="map_tsne_start").click().run()
    assert not at.exception
    job = me.activation_map.job
    assert job is not None and job.layer_name == "hidden layer 1 (512 units)"
    assert at.get("progress"), "no progress bar while it is computed"
    assert job.process.wait(600) == 0  # generous: niced, on a busy machine
    assert job.progress() == (1.0, "done")
    at.run()
    assert not at.exception
    points, labels, misread = shown(figure(at, "map_tsne"))
    assert points.shape == (150, 2) and np.isfinite(points).all()
    y = state.shared_splits("sample").y_test
    np.testing.assert_array_equal(np.sort(labels), np.sort(y[projection.subset(len(y), 150)]))
    assert not job.folder.exists()  # its temporary files are gone
    assert "Computed for bundled pretrained model" in "".join(c.value for c in at.caption)


def test_a_new_tsne_request_stops_the_last_and_a_finished_one_leaves_nothing(sample):
    from nn.network import Network

    maps, net = ActivationMap(size=60), Network((16,), seed=0)
    X, y = sample.x_test.reshape(len(sample.y_test), -1) / 255.0, sample.y_test
    first = maps.start_tsne(net, X, y, 1, "a test")
    second = maps.start_tsne(net, X, y, 2, "a test")
    assert first.process.poll() is not None and not first.folder.exists()  # stopped, its files gone
    assert maps.job is second and second.layer_name == "output (10 probabilities)"
    assert second.process.wait(600) == 0  # generous: niced, on a busy machine
    done = maps.tsne()
    assert done.frame.points.shape == (60, 2) and not second.folder.exists()
    np.testing.assert_array_equal(done.frame.predicted, net.predict(X[projection.subset(len(y), 60)]))
