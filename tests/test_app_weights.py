"""The Weights page draws any model the session has (pretrained, a run's, deep or wide) and its pickers work."""

import time

import numpy as np
import pytest

from nn.network import Network
from nn.settings import TrainConfig
from tests.helpers import TINY, charts, figure, finished_run, session_with, show, values, values_2d
from ui import session as state
from ui.lesson import markdown_text
from ui.runs.handle import RunHandle


@pytest.fixture
def open_weights(open_page):
    """Return open(me=None, section=None): an AppTest on the Weights page for the Session ``me`` (a fresh one if
    None), showing that section (the first, the neurons, if None)."""
    return lambda me=None, section=None: show(open_page("weights", session={"session": me} if me is not None
                                                        else None), section)


def captions(at):
    """Return every caption's text, joined."""
    return "\n".join(c.value for c in at.caption)


def pictures(at):
    """Return the captions of the pictures on the page (a conv layer's channels, one digit)."""
    return [img.caption for el in at.get("image") for img in el.proto.imgs]


def trace_names(fig):
    """Return the names of a figure's traces."""
    return [t.get("name") for t in fig["data"]]


def test_pretrained_model_is_shown_before_any_training(open_weights, dense_session):
    at = open_weights(dense_session)
    n = dense_session.pretrained().net.sizes[1]
    assert "pretrained" in at.info[0].value
    assert at.radio(key="weights_section").options == ["Neurons", "One digit, forward and back",
                                                       "Weights and biases", "Training health",
                                                       "Digits as each layer sees them"]
    assert charts(at) == {"weights_grid", "weights_unit_image", "weights_top", "weights_by_digit"}  # one section
    assert f"Units 0–{min(n, 64) - 1} of {n:,}" in captions(at)
    assert [m.label for m in at.metric] == ["Bias b1[0]"]
    assert {"weights_input", "weights_probs", "weights_backprop_probs"} <= charts(show(at, "digit"))
    assert "weights_grid" not in charts(at)
    assert {"weights_matrix", "weights_bias", "weights_hist"} == charts(show(at, "weights"))
    assert "at initialisation" in trace_names(figure(at, "weights_hist"))  # the file records its settings
    assert "fill in while this session trains" in captions(show(at, "health"))


def test_the_sidebar_chooses_which_bundled_model_the_page_shows(open_weights):
    conv, dense = state.bundled_models()
    at = open_weights()
    assert at.sidebar.radio(key="bundled_model").value == "conv"
    info = at.info[0].value
    assert conv.architecture in info and markdown_text("pretrained model (convolutional)") in info
    c, k = conv.net.conv_spec[0]
    assert f"{c} filters of {k}×{k} weights" in pictures(at) and "weights_grid" not in charts(at)  # its filters
    assert "choose the fully connected one under Bundled model" in captions(at)

    at.sidebar.radio(key="bundled_model").set_value("dense").run()
    assert not at.exception
    info = at.info[0].value
    assert dense.architecture in info and markdown_text("pretrained model (fully connected)") in info
    assert "weights_grid" in charts(at) and not pictures(at)  # its neurons as 28×28 pictures, not filters
    assert f"Units 0–63 of {dense.net.sizes[1]:,}" in captions(at)
    at.switch_page("pages/draw.py").run()
    assert at.sidebar.radio(key="bundled_model").value == "dense"  # the choice holds on every page
    at.sidebar.radio(key="bundled_model").set_value("conv").run()
    at.switch_page("pages/weights.py").run()
    assert f"{c} filters of {k}×{k} weights" in pictures(at) and at.session_state["session"].bundled == "conv"


def test_a_short_runs_model_with_its_training_health(open_weights):
    run = finished_run(hidden=(24,))
    at = open_weights(session_with(run))
    assert f"run {run.id[:6]}" in at.info[0].value and "step" in at.info[0].value
    assert "Units 0–23 of 24" in captions(at)
    assert {"weights_health_grad", "weights_health_ratio", "weights_health_dead"} <= charts(show(at, "health"))
    grad = figure(at, "weights_health_grad")
    assert trace_names(grad) == ["W1", "W2"]
    assert "at initialisation" in trace_names(figure(show(at, "weights"), "weights_hist"))


def test_a_two_hidden_layer_model_shows_every_layer(open_weights):
    run = finished_run(hidden=(20, 12), activation="tanh")
    at = open_weights(session_with(run), "digit")
    assert {"weights_layer_bars_1", "weights_layer_bars_2"} <= charts(at)
    latex = [x.value.strip("$\n") for x in at.latex]
    assert r"Z_1 = W_1\,X + b_1" in latex and r"A_2 = \mathrm{tanh}(Z_2)" in latex
    assert r"Z_3 = W_3\,A_2 + b_3" in latex and r"A_3 = \mathrm{softmax}(Z_3)" in latex
    show(at, "health")
    assert "weights_health_dead" not in charts(at) and "no unit can die" in captions(at)  # tanh never dies
    layers = show(at, "weights").radio(key="weights_layer")
    assert len(layers.options) == 3
    layers.set_value(1).run()
    assert "W2: one row per unit" in figure(at, "weights_matrix")["layout"]["title"]["text"]
    assert len(figure(at, "weights_bias")["data"][0]["x"]["bdata"]) > 0
    assert "xaxis3" in figure(at, "weights_hist")["layout"]  # one histogram per layer


def test_picking_a_neuron_and_a_digit(open_weights, dense_session):
    at = open_weights(dense_session)
    at.number_input(key="weights_unit").set_value(5).run()
    assert not at.exception
    assert [m.label for m in at.metric] == ["Bias b1[5]"]
    assert figure(at, "weights_unit_image")["layout"]["title"]["text"].startswith("Unit 5")
    box = figure(at, "weights_grid")["layout"]["shapes"][0]  # the picked unit is framed in the grid
    assert (box["x0"], box["y0"]) == (5 % 8 * 29 - 0.5, -0.5)

    splits = state.shared_splits("sample")
    show(at, "digit").number_input(key="weights_digit").set_value(42).run()
    assert f"Its label: **{splits.y_test[42]}**" in captions(at)
    shown = values(figure(at, "weights_probs")["data"][0]["y"])  # the bars: what the model says of that digit
    want = dense_session.pretrained().net.predict_proba(splits.X_test[42:43])[0]
    np.testing.assert_allclose(shown, want, rtol=1e-5, atol=1e-6)
    at.button(key="weights_random_digit").click().run()
    assert not at.exception
    digit = at.number_input(key="weights_digit").value
    assert 0 <= digit < len(splits.y_test)
    show(at, "units")
    assert at.number_input(key="weights_unit").value == 5  # each section's choices are kept while another shows
    assert show(at, "digit").number_input(key="weights_digit").value == digit


def test_what_a_unit_learned_is_its_weights_minus_their_start(open_weights, dense_session):
    at = open_weights(dense_session)
    before = figure(at, "weights_unit_image")["data"][0]["z"]
    at.toggle(key="weights_learned").set_value(True).run()
    assert not at.exception
    learned = figure(at, "weights_unit_image")
    assert "learned" in learned["layout"]["title"]["text"]
    assert learned["data"][0]["z"] != before


def test_a_wide_layer_is_paged_and_pickers_follow_a_smaller_model(open_weights):
    wide = state.Model(Network((300,), seed=1), "uploaded wide.npz", {})
    me = session_with(uploaded=wide)
    at = open_weights(me)
    assert at.toggle(key="weights_learned").disabled  # no known start to take away
    assert "file does not say how it started" in captions(show(at, "weights"))
    show(at, "units")
    tiles = figure(at, "weights_grid")["data"][0]["z"]
    assert tiles["dtype"] == "u1"  # one byte per cell
    at.slider(key="weights_page").set_value(5).run()
    assert "Units 256–299 of 300" in captions(at)
    at.number_input(key="weights_unit").set_value(299).run()
    me.uploaded = state.Model(Network((10,), seed=2), "uploaded small.npz", {})
    at.run()
    assert not at.exception
    assert at.number_input(key="weights_unit").value == 9
    assert not at.slider  # ten units fit on one page
    assert "Units 0–9 of 10" in captions(at)


def test_a_live_run_shows_the_step_and_the_weights_it_has_now(open_weights):
    # The redraw every 2 s itself is seen in a real browser (tests/browser/test_weights_browser.py).
    run = RunHandle.start(TrainConfig(hidden=(16,), **TINY), data_name="bundled sample", paused=True)
    try:  # alive, and holding still so the test is quick and steady
        run.step(3)
        while run.step_count < 3 or not run.history or run.history[-1]["step"] < 3:
            time.sleep(0.05)
        at = open_weights(session_with(run))
        assert "redrawn every 2 s" in at.info[0].value and "step 3 of" in at.info[0].value
        unit = values(figure(at, "weights_unit_image")["data"][0]["z"])
        np.testing.assert_allclose(unit, run.net.dense[0].W[:, 0], rtol=1e-6)  # unit 0's weights after step 3
        assert "weights_grid" in charts(at) and "weights_health_grad" in charts(show(at, "health"))
    finally:
        run.stop()
        run.join(30)


def test_a_conv_model_shows_its_filters_feature_maps_and_one_pixel_written_out(open_weights, channels):
    run = finished_run(conv=((4, 5), (6, 3)), hidden=(16,))
    at = open_weights(session_with(run))
    assert not at.exception
    assert "conv4x5-conv6x3-150-16-10" in at.info[0].value
    assert pictures(at) == ["4 filters of 5×5 weights"]
    np.testing.assert_array_equal(channels["weight"][-1], run.net.conv[0].W[:, 0])  # the first layer's kernels
    assert "weights_grid" not in charts(at)  # single 28×28 neurons are for dense nets
    assert "4 small 5×5 filters" in captions(at) and "fully connected" in captions(at)
    assert at.radio(key="weights_section").options[0] == "Filters"
    assert "weights_health_grad" in charts(show(at, "health"))
    assert {"weights_matrix", "weights_bias", "weights_hist"} <= charts(show(at, "weights"))
    assert "at initialisation" in trace_names(figure(at, "weights_hist"))  # its start is rebuilt from its settings
    assert len(at.radio(key="weights_layer").options) == 2  # the dense layers W1 (150 × 16) and W2
    show(at, "digit")

    # The forward pass: each block's maps, the flattened features, then the dense layers reading F.
    eqs = [x.value.strip("$\n") for x in at.latex]
    assert r"Z_{\mathrm{conv}1} = K_1 \ast X + b_{\mathrm{conv}1}" in eqs
    assert r"Z_{\mathrm{conv}2} = K_2 \ast A_{\mathrm{conv}1} + b_{\mathrm{conv}2}" in eqs
    assert r"F = \mathrm{flatten}(A_{\mathrm{conv}2})" in eqs and r"Z_1 = W_1\,F + b_1" in eqs
    assert [c for c in pictures(at) if c[1:6] == " conv"] == [
        "Z conv1: what each filter finds", "A conv1: pooled, then ReLU", "Z conv2: what each filter finds",
        "A conv2: pooled, then ReLU"]
    assert [m.shape for m in channels["Z"] + channels["A"]] == [(4, 24, 24), (6, 10, 10), (4, 12, 12), (6, 5, 5)]
    assert {"dZ conv2: one map per filter", "dZ conv1: one map per filter", "dK1 of the 4 filters"} <= set(pictures(at))
    assert "150 numbers for the dense layers" in captions(at)
    assert "weights_probs" in charts(at)

    # One pixel of the first convolution: the brightest of the chosen filter's map, its sum written out.
    splits = state.shared_splits("sample")
    x = splits.X_test[at.number_input(key="weights_digit").value]
    at.number_input(key="weights_conv_channel").set_value(2).run()
    z1 = run.net.trace(x[None])[0][0][0, 2]  # the engine's own map of filter 2
    r, c = np.unravel_index(np.argmax(z1), z1.shape)
    pixel = figure(at, "weights_conv_pixel")
    patch, kernel, products = (values_2d(t["z"]) for t in pixel["data"])
    np.testing.assert_allclose(patch, x.reshape(28, 28)[r:r + 5, c:c + 5], rtol=1e-6)
    np.testing.assert_allclose(kernel, run.net.conv[0].W[2, 0], rtol=1e-6)
    np.testing.assert_allclose(products, patch * kernel, rtol=1e-5, atol=1e-7)
    sums = [e for e in [x.value.strip("$\n") for x in at.latex] if e.startswith("=")]
    assert sums and sums[0].endswith(f"= {z1.max():.3f}")  # the written-out sum is the map's brightest pixel
    assert f"row {r}, column {c}" in captions(at)


def test_a_conv_runs_kernels_have_their_histogram_and_training_health(open_weights):
    run = finished_run(conv=((4, 5), (6, 3)), hidden=(16,))
    at = open_weights(session_with(run), "weights")
    hist = figure(at, "weights_hist")["layout"]
    assert [hist[f"xaxis{n}"]["title"]["text"] for n in ("", 2, 3, 4)] == [
        "weights of conv1", "weights of conv2", "weights of W1", "weights of W2"]
    assert "xaxis5" not in hist  # the biases have none
    show(at, "health")
    grad, ratio, dead = (figure(at, f"weights_health_{key}") for key in ("grad", "ratio", "dead"))
    assert trace_names(grad) == trace_names(ratio) == ["conv1", "conv2", "W1", "W2"]
    assert trace_names(dead) == ["conv1", "conv2", "hidden 1"]
    for fig in (grad, ratio):
        for trace in fig["data"][:2]:  # the conv layers' lines: a number at every report, dashed
            assert (values(trace["y"]) > 0).all() and trace["line"]["dash"] == "dash"
    last = run.history[-1]
    np.testing.assert_allclose(values(grad["data"][0]["y"])[-1], last["conv_grad_norm"][0], rtol=1e-6)
    np.testing.assert_allclose(values(dead["data"][1]["y"])[-1], 100 * last["conv_dead_relu"][1], rtol=1e-6)
    assert "a unit is a channel" in captions(at)
