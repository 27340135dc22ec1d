"""The Lab page with a one-layer, a two-layer and the fully connected pretrained model: what it shows is the broken
copy's numbers, computed again here from the raw weights; the session's model never changes; the long work runs on
the pool and ends in its chart; the Draw page says "not sure" under the threshold set here.
"""

import base64
import sys
from types import SimpleNamespace
from xml.etree import ElementTree

import numpy as np
import pytest

from nn.digits.augment import DAMAGES
from nn.digits.preprocess import preprocess
from nn.explain.lab import THRESHOLDS, Changes, broken, copy_of, coverage, logits, reading, unit_drops
from nn.explain.saliency import read
from nn.files.model_file import model_bytes
from nn.network import Network
from tests.helpers import Canvas, accuracy, figure, in_corner, manual_logits, snapshot, trained, values
from ui import lab as ui_lab
from ui import session as state
from ui.lab import Lab, compared
from ui.lesson import markdown_text

# The worker pool may have to start first, on a busy 2-core machine, and its workers are niced; the damage
# tests include the bundled convolutional model, whose curves alone take ~20 CPU-s on the sample.
JOB_SECONDS = 600
BREAK, DAMAGE, NOT_SURE = "🔧 Break it", "🌀 Damage tests", '🤷 "I don\'t know"'  # the Lab's tabs


@pytest.fixture(scope="module", params=[(32,), (32, 16), "pretrained"], ids=["one layer", "two layers", "pretrained"])
def model(request, splits):
    """Return the session's Model: a one-layer or two-layer net trained here, or the fully connected bundled one.

    The units-off and ranking checks below compute a dense network from its raw matrices.
    """
    if request.param == "pretrained":
        return state.pretrained("dense")
    return state.Model(trained(splits, request.param), "a test network", {}, "the sample's test digits")


def session_of(model):
    """Return a fresh Session whose model is this one: a bundled model chosen, else an upload."""
    me = state.Session()
    if model is state.pretrained("dense"):
        me.choose_bundled("dense")
    else:
        me.uploaded = model
    return me


def clean_accuracy(net, X, y):
    """Return net's accuracy on X, y: from its raw matrices if dense, else by the engine (tests/test_conv.py)."""
    return reading(net, X, y).accuracy if net.conv else accuracy(manual_logits(net, X), y)


def open_tab(at, tab):
    """Open the Lab's tab labelled tab, as a click on it does (the page reruns and draws only that tab)."""
    assert tab in [t.label for t in at.tabs]
    at.session_state["lab_section"] = tab
    at.run()
    assert not at.exception


def control(at, label):
    """Return the lab's slider or multiselect labelled label, as a person finds it (its key changes with resets)."""
    return next(w for w in [*at.slider, *at.multiselect] if w.label == label)


def broken_caption(at):
    """Return the line under the lab's controls that lists what the copy has had done to it."""
    return next(c.value for c in at.caption if c.value.startswith(("Broken so far", "Nothing broken")))


def metric(at, label):
    """Return the value of the metric labelled label."""
    return next(m.value for m in at.metric if m.label == label)


def shown_accuracy(at):
    """Return the Test accuracy metric as a number."""
    return float(metric(at, "Test accuracy").rstrip("%")) / 100


def test_every_change_is_the_copys_and_the_model_stays_byte_for_byte(open_page, model, splits):
    me = session_of(model)
    net, X, y = model.net, splits.X_test, splits.y_test
    before = snapshot(net)
    at = open_page("lab", session={"session": me})
    assert shown_accuracy(at) == pytest.approx(accuracy(manual_logits(net, X), y), abs=0.00051)

    control(at, "Switch units off").set_value([0, 1, 2, 3, 4, 5, 6, 7]).run()
    off = {1: tuple(range(8))}
    assert me.lab.changes == Changes(off=off)
    assert shown_accuracy(at) == pytest.approx(accuracy(manual_logits(net, X, off), y), abs=0.0021)
    assert snapshot(net) == before

    last = f"W{len(net.sizes) - 1}"
    at.button_group(key="lab_knob").set_value("weights").run()
    at.selectbox(key="lab_weights").set_value(last).run()
    moves = (("weights", "Scale its weights", 0.3), ("weights", "Add noise to its weights", 1.5),
             ("prune", "Prune the smallest weights", 70), ("temperature", "Softmax temperature", 3.0))
    for kind, label, value in moves:
        at.button_group(key="lab_knob").set_value(kind).run()
        control(at, label).set_value(value).run()
        assert not at.exception
        assert shown_accuracy(at) == pytest.approx(reading(broken(net, me.lab.changes), X, y).accuracy, abs=5e-5)
        assert snapshot(net) == before, label
    assert me.lab.changes == Changes(off=off, scale={last: 0.3}, noise={last: 1.5}, prune=0.7, temperature=3.0)
    assert broken_caption(at) == (f"Broken so far: 8 units of hidden layer 1 off; {last} scaled ×0.3; noise 1.5 on "
                                  f"{last}; 70% of the weights pruned; temperature 3.")
    damaged = shown_accuracy(at)

    at.button(key="lab_reset").click().run()
    assert me.lab.changes == Changes()
    assert control(at, "Softmax temperature").value == 1.0  # the controls show the reset
    assert broken_caption(at) == "Nothing broken yet: the copy is the original."
    at.button_group(key="lab_knob").set_value("units").run()
    assert control(at, "Switch units off").value == []
    assert shown_accuracy(at) == pytest.approx(accuracy(manual_logits(net, X), y), abs=0.00051) != damaged
    assert snapshot(net) == before


def test_which_units_matter_runs_on_the_pool_and_ranks_by_the_accuracy_lost(open_page, model, splits, wait_until):
    me = session_of(model)
    net, X, y = model.net, splits.X_test, splits.y_test
    layer = len(net.sizes) - 2  # the last hidden layer: the fewest units, the quickest
    at = open_page("lab", session={"session": me})
    at.selectbox(key="lab_layer").set_value(layer).run()
    at.button_group(key="lab_knob").set_value("prune").run()  # the layer chosen stays chosen, out of sight
    assert at.button(key="lab_rank").label == f"Rank the units of hidden layer {layer}"
    at.button(key="lab_rank").click().run()
    assert not at.exception and me.lab.ranking[0] == layer
    assert wait_until(lambda: me.lab.ranking[1].done, JOB_SECONDS)
    at.run()
    assert not at.exception and me.lab.ranking[1].error is None
    drops = unit_drops(net, X, y, layer)
    order = np.argsort(-drops, kind="stable")[:30]
    bars = figure(at, "lab_drops")["data"][0]
    assert bars["x"] == [f"unit {j}" for j in order]
    np.testing.assert_allclose(values(bars["y"]), drops[order], atol=1e-9)
    j = int(order[0])  # the unit that matters most, checked from the raw weights
    assert drops[j] == pytest.approx(accuracy(manual_logits(net, X), y) - accuracy(manual_logits(net, X, {layer: [j]}),
                                                                                   y), abs=0.0021)


def test_damage_tests_draw_a_curve_per_model_from_the_clean_accuracy(open_page, model, splits, wait_until):
    me = session_of(model)
    X, y = splits.X_test, splits.y_test
    at = open_page("lab", session={"session": me})
    open_tab(at, DAMAGE)
    at.button(key="lab_damage").click().run()
    assert wait_until(lambda: me.lab.damage[1].done, JOB_SECONDS)
    at.run()
    assert not at.exception and me.lab.damage[1].error is None
    traces = figure(at, "lab_damage_curves")["data"]
    # The session's model, and beside it each bundled model (convolutional and fully connected) it is not.
    nets = {"session model": model.net}
    nets.update({f"pretrained ({m.architecture})": m.net for m in state.bundled_models() if m.net is not model.net})
    assert len(nets) == (2 if model is state.pretrained("dense") else 3)
    assert len(traces) == len(nets) * len(DAMAGES)
    for trace in traces:
        kind = DAMAGES_BY_AXIS[trace.get("xaxis", "x")]
        [net] = [net for name, net in nets.items() if trace["name"].startswith(name)]
        strengths, neutral, _ = DAMAGES[kind]
        curve = values(trace["y"])
        assert curve[list(strengths).index(neutral)] == pytest.approx(clean_accuracy(net, X, y), abs=0.0021)
        assert curve.min() < curve.max(), f"{kind} damaged nothing"
    captions = [img.caption for el in at.get("image") for img in el.proto.imgs]  # the damage tab's pictures alone
    assert [c.split(":")[0] for c in captions] == list(DAMAGES)  # one row of examples per damage


DAMAGES_BY_AXIS = {("x" if i == 0 else f"x{i + 1}"): kind for i, kind in enumerate(DAMAGES)}


def test_a_run_is_damage_tested_beside_both_bundled_models_and_a_convolutional_upload():
    bundled = state.bundled_models()
    conv_pre, dense_pre = bundled
    assert conv_pre.net.conv and not dense_pre.net.conv
    run_model = state.Model(Network(hidden=(8,)), "a run", {})
    conv = state.Model(Network(hidden=(8,), conv=((2, 5),)), "an upload", {})
    nets = compared(run_model, bundled, conv)
    assert list(nets.values()) == [run_model.net, conv_pre.net, dense_pre.net, conv.net]
    assert f"pretrained ({conv_pre.architecture})" in nets and f"pretrained ({dense_pre.architecture})" in nets
    assert list(compared(conv, bundled, conv).values()) == [conv.net, conv_pre.net, dense_pre.net]  # the upload's
    assert list(compared(dense_pre, bundled, None).values()) == [dense_pre.net, conv_pre.net]  # each model once


def test_choosing_the_other_bundled_model_starts_the_lab_over_when_it_broke_the_bundled_one():
    me = state.Session()
    me.lab.switch_off(1, [0, 1])
    me.choose_bundled("conv")  # the one it has: nothing changes
    assert me.lab.changes == Changes(off={1: (0, 1)})
    me.choose_bundled("dense")
    assert me.lab.changes == Changes() and me.model() is state.pretrained("dense")
    me.uploaded = state.Model(Network(hidden=(8,)), "an upload", {})  # the lab breaks the upload now
    me.lab.switch_off(1, [3])
    me.choose_bundled("conv")
    assert me.lab.changes == Changes(off={1: (3,)})
    with pytest.raises(ValueError, match="no bundled model called 'big'"):
        me.choose_bundled("big")
    assert me.bundled == "conv"


def unsure_drawing(net, sample):
    """Return (canvas image, the digit net reads, its confidence) of the first sample digit it reads < 95% sure."""
    for digit in sample.x_test[:300]:
        image = in_corner(digit)
        reading_ = read(net, preprocess(image).x)
        if reading_.confidence < 0.95:
            return image, reading_.digit, reading_.confidence
    raise AssertionError("every digit is read more than 95% sure")


SVG = "{http://www.w3.org/2000/svg}"


def coverage_picture(at):
    """Return the Lab page's accuracy–coverage curve, an SVG picture, as an XML tree."""
    [url] = [img.url for el in at.get("image") for img in el.proto.imgs if img.url.startswith("data:image/svg+xml")]
    return ElementTree.fromstring(base64.b64decode(url.split(",", 1)[1]))


def test_the_threshold_gives_the_coverage_shown_and_the_draw_page_says_not_sure(open_page, model, splits, sample,
                                                                                 monkeypatch):
    me = session_of(model)
    X, y = splits.X_test, splits.y_test
    image, digit, confidence = unsure_drawing(model.net, sample)
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", SimpleNamespace(st_canvas=Canvas(image)))
    at = open_page("lab", session={"session": me})
    open_tab(at, NOT_SURE)
    assert metric(at, "Answers") == "100.0% of the test digits"

    p = manual_logits(model.net, X)
    p = np.exp(p - p.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    at.slider(key="lab_threshold").set_value(0.9).run()
    keep = p.max(axis=1) >= 0.9
    assert metric(at, "Answers") == f"{keep.mean():.1%} of the test digits"
    assert metric(at, "Right on those") == f"{accuracy(p[keep], y[keep]):.2%}"
    answered, right = coverage(reading(model.net, X, y).p, y, THRESHOLDS)
    last = np.flatnonzero(~np.isnan(right))[-1]  # the most confident threshold that still answers a digit
    curve = coverage_picture(at)
    x_of = {t.text: float(t.get("x", "nan")) for t in curve.iter(SVG + "text")}  # the coverage axis's ticks among them
    x = [float(p.split(",")[0]) for p in curve.find(SVG + "polyline").get("points").split()]
    assert answered[0] == 1 and x[0] == x_of["100%"]  # at threshold 0 every digit is answered
    assert len(x) == last + 1 and x[-1] == pytest.approx(x_of["0%"] + answered[last] * (x_of["100%"] - x_of["0%"]),
                                                          abs=0.1)  # and at the last, the share answered that sure
    assert "your threshold 0.90" in [t.text for t in curve.iter(SVG + "text")]

    at.slider(key="lab_threshold").set_value(round(confidence - 0.005, 2)).run()  # just under its confidence
    draw = open_page("draw", session={"session": me})
    assert [m.value for m in draw.metric if m.label == "Prediction"] == [str(digit)]
    at.slider(key="lab_threshold").set_value(round(confidence + 0.005, 2)).run()  # just over
    draw.run()
    assert [m.value for m in draw.metric if m.label == "Prediction"] == ["not sure"]
    assert any(f"best guess {digit}" in c.value and "under the" in c.value for c in draw.caption)

    open_tab(at, BREAK)  # the lab reads the Draw page's last drawing too, with the same network
    assert metric(at, "Reads your last drawing as") == str(digit)


def test_only_the_open_tab_is_drawn(open_page, dense_session):
    at = open_page("lab", session={"session": dense_session})
    assert [t.label for t in at.tabs] == [BREAK, DAMAGE, NOT_SURE]
    drawn = lambda: ({b.key for b in at.button}, {s.key for s in at.slider}, len(at.image))  # noqa: E731
    buttons, sliders, _ = drawn()
    assert "lab_reset" in buttons and "lab_damage" not in buttons and not sliders  # units first: no slider yet
    assert [m.label for m in at.multiselect] == ["Switch units off"]
    at.button_group(key="lab_knob").set_value("weights").run()  # one kind of damage at a time
    assert {s.label for s in at.slider} == {"Scale its weights", "Add noise to its weights"} and not at.multiselect
    open_tab(at, DAMAGE)
    buttons, sliders, images = drawn()
    assert "lab_damage" in buttons and "lab_reset" not in buttons and "lab_threshold" not in sliders
    assert images == len(DAMAGES)  # a row of damaged examples per damage, and no confusion matrix
    open_tab(at, NOT_SURE)
    buttons, sliders, _ = drawn()
    assert sliders == {"lab_threshold"} and not buttons & {"lab_reset", "lab_damage"}


def test_the_lab_reads_again_when_the_model_learns_or_the_changes_change(splits):
    net = copy_of(state.pretrained("dense").net)
    X, y = splits.X_test, splits.y_test
    lab = Lab()
    original, now = lab.read(net, X, y)
    assert original.accuracy == now.accuracy == reading(net, X, y).accuracy
    lab.switch_off(1, range(0, 512, 2))
    lab.set_temperature(2.0)
    _, now = lab.read(net, X, y)
    assert now.accuracy == reading(broken(net, lab.changes), X, y).accuracy < original.accuracy
    np.testing.assert_allclose(now.p, reading(broken(net, lab.changes), X, y, 2.0).p, atol=1e-6)
    net.dense[-1].W *= -1  # as a training step would, in place
    original, now = lab.read(net, X, y)
    assert original.accuracy == reading(net, X, y).accuracy < 0.5
    assert now.accuracy == reading(broken(net, lab.changes), X, y).accuracy


def test_a_new_sessions_lab_reads_a_model_another_read_without_a_forward_pass(splits, monkeypatch):
    net = copy_of(state.pretrained("dense").net)
    X, y = splits.X_test, splits.y_test
    passes = []
    monkeypatch.setattr(ui_lab, "logits", lambda net_, X_: passes.append(net_) or logits(net_, X_))
    monkeypatch.setattr(ui_lab, "_SHARED", type(ui_lab._SHARED)())  # nothing read before this test
    first, copy = Lab().read(net, X, y)
    assert passes == [net]  # nothing broken: the copy reads as the original, without a pass of its own
    second, _ = Lab().read(net, X, y)  # another session, on the same model: it reads what the first computed
    assert passes == [net] and second.accuracy == first.accuracy == copy.accuracy == reading(net, X, y).accuracy
    np.testing.assert_array_equal(second.confusion, first.confusion)
    net.dense[-1].W *= -1  # as a training step would: the model reads anew
    assert Lab().read(net, X, y)[0].accuracy == reading(net, X, y).accuracy < 0.5 and len(passes) == 2


def test_a_convolutional_model_can_be_broken_too(open_page, splits):
    me = state.Session()
    me.use_model_file(model_bytes(Network(hidden=(16,), conv=((4, 5),), seed=3)), "my_conv.npz")
    net = me.model().net
    before = snapshot(net)
    at = open_page("lab", session={"session": me})
    at.button_group(key="lab_knob").set_value("weights").run()
    assert at.selectbox(key="lab_weights").options == ["conv1.W", "W1", "W2"]
    control(at, "Scale its weights").set_value(0.0).run()  # every filter gives 0: only the biases are left
    assert not at.exception and me.lab.changes.scale == {"conv1.W": 0.0}
    assert shown_accuracy(at) == pytest.approx(reading(broken(net, me.lab.changes), splits.X_test, splits.y_test)
                                               .accuracy, abs=5e-5)
    assert snapshot(net) == before


def test_a_switch_of_model_shows_its_controls_afresh_too(open_page, dense_session):
    at = open_page("lab", session={"session": dense_session})
    at.button_group(key="lab_knob").set_value("prune").run()
    [prune] = at.slider
    prune.set_value(60).run()
    assert broken_caption(at) == "Broken so far: 60% of the weights pruned."
    at.radio(key="lab_model").set_value("Pretrained model").run()  # the lab starts over on another model
    assert broken_caption(at) == "Nothing broken yet: the copy is the original."
    assert [s.value for s in at.slider] == [0]  # and so does the slider


def test_the_name_of_uploaded_data_shows_as_written(open_page, dense_session):
    name = "my_*digits*] $x$.npz"  # an upload's file name: Markdown's marks, one that ends the grey text, and maths
    dense_session.data_name = name
    at = open_page("lab", session={"session": dense_session})
    assert any(f"test digits of the {markdown_text(name)}." in c.value for c in at.caption)
    assert at.sidebar.markdown[-1].value.endswith(f":gray[:small[{markdown_text(name)}]]")


def test_a_layer_chosen_for_a_deeper_model_is_not_ranked_on_a_shallower_one(open_page):
    me = state.Session()
    me.use_model_file(model_bytes(Network(hidden=(16, 8), seed=1)), "deep.npz")
    at = open_page("lab", session={"session": me})
    at.selectbox(key="lab_layer").set_value(2).run()
    at.button_group(key="lab_knob").set_value("prune").run()  # the layer choice is out of sight, and kept
    assert at.button(key="lab_rank").label == "Rank the units of hidden layer 2"
    me.use_model_file(model_bytes(Network(hidden=(16,), seed=2)), "shallow.npz")
    at.run()
    assert not at.exception
    assert at.button(key="lab_rank").label == "Rank the units of hidden layer 1"


class Pending:
    """Stands in for a Dask future: not done until told, then holding its result."""

    def __init__(self, result):
        self.result_, self.finished = result, False

    def done(self):
        return self.finished

    @property
    def status(self):
        return "finished" if self.finished else "pending"

    def result(self):
        return self.result_


def test_a_long_job_shows_its_progress_then_its_chart(open_page, monkeypatch, dense_session):
    futures = []

    def submit(X, y, tasks):
        futures.extend(Pending(np.full(len(task[-1]), 0.01 * i)) for i, task in enumerate(tasks))
        return futures

    monkeypatch.setattr("ui.lab._submit", submit)
    me = dense_session
    at = open_page("lab", session={"session": me})
    at.button(key="lab_rank").click().run()
    assert len(futures) == 512 // 32
    futures[0].finished = True
    at.run()
    assert [p.proto.text for p in at.get("progress")] == ["Switching off each unit of hidden layer 1… 6%"]
    assert "lab_drops" not in {el.proto.id.rsplit("-", 1)[-1] for el in at.get("plotly_chart")}
    for f in futures:
        f.finished = True
    at.run()
    assert not at.get("progress")
    assert figure(at, "lab_drops")["data"][0]["x"][0] == "unit 480"  # the last task's units lost the most
