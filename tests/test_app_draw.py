"""The Draw page: an empty canvas asks for a digit, a drawing is read, the model switch says which model reads,
teaching works.

Drawing with the mouse needs a real browser (tests/browser/test_draw_browser.py); here a stand-in canvas hands
the page its drawing.
"""

import sys
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image, ImageDraw

from nn.digits.preprocess import preprocess
from nn.explain.saliency import read
from nn.files.model_file import model_bytes
from nn.network import Network
from nn.settings import TrainConfig
from tests.helpers import Canvas, figure, in_corner, open_section, values
from ui import session as state
from ui.lesson import markdown_text


@pytest.fixture
def open_draw(open_page):
    """Return open(**session): an AppTest on the Draw page for a session holding these values (e.g. session=)."""
    return lambda **session: open_page("draw", session=session)


def step_titles(at):
    """Return the titles of the 'What the network sees' images."""
    return [img.caption for el in at.get("image") for img in el.proto.imgs]


def sidebar_text(at):
    """Return everything the sidebar says, as one string."""
    return " ".join(e.value for e in [*at.sidebar.markdown, *at.sidebar.caption])


def shown_probabilities(at):
    """Return the ten probabilities the page's bars show (10,)."""
    return values(figure(at, "draw_probs")["data"][0]["y"])


def uploaded_session():
    """Return a Session whose model is an uploaded one, different from the pretrained model."""
    me = state.Session()
    me.use_model_file(model_bytes(Network(hidden=(16,), seed=5)), "my_model.npz")
    return me


TEACH = "Teach it: label a misread digit, collect your digits, fine-tune on them"


def test_empty_canvas_asks_for_a_digit_and_predicts_nothing(open_draw):
    at = open_draw()
    assert any("draw a digit" in e.value.lower() for e in at.info)
    assert [m.value for m in at.metric if m.label == "Prediction"] == ["–"]  # no digit read yet
    assert [e.label for e in at.expander] == [TEACH]
    assert "draw_add" not in {b.key for b in at.button}  # the section is closed: none of its widgets drawn
    open_section(at, "draw_teach_open")
    assert at.button(key="draw_add").disabled
    assert at.button(key="draw_finetune").disabled  # no digits of mine yet


def test_model_switch_says_in_the_sidebar_which_model_reads(open_draw):
    at = open_draw(session=uploaded_session())
    assert at.radio(key="draw_model").value == "Session model"
    assert markdown_text("my_model.npz") in sidebar_text(at)  # as the sidebar's Markdown writes it
    assert "Draw page reads with the bundled pretrained model" not in sidebar_text(at)
    at.radio(key="draw_model").set_value("Pretrained model").run()
    assert not at.exception
    assert "Draw page reads with the bundled pretrained model" in sidebar_text(at)
    assert markdown_text("my_model.npz") in sidebar_text(at)  # the session's model is still the uploaded one
    at.radio(key="draw_model").set_value("Session model").run()
    assert "Draw page reads with" not in sidebar_text(at)


def test_what_an_uploaded_model_says_of_itself_shows_in_the_sidebar_as_written(open_page):
    me = state.Session()
    data = "my_*digits*_v2] $x$.npz"  # Markdown's marks, one that would end the sidebar's grey text, and maths
    me.use_model_file(model_bytes(Network(hidden=(16,), seed=1), {"data": data, "metrics": {"test_accuracy": 0.5}}),
                      "odd.npz")
    at = open_page(session={"session": me})
    tested = markdown_text(f"test digits of its training data ({data})")
    assert f":gray[:small[Test accuracy: 50.00% on {tested}]]" in at.sidebar.markdown[0].value
    me.use_model_file(model_bytes(Network(hidden=(16,), seed=1), {"metrics": {"test_accuracy": "very good"}}),
                      "odd.npz")
    at.run()
    assert not at.exception  # a file's own words for its accuracy are not a share: not measured, say so
    assert "Test accuracy: not measured yet" in at.sidebar.markdown[0].value


def told_apart(sample, conv, dense):
    """Return (canvas image, conv's probabilities, dense's) of the first sample digit the two models read differently.

    Differently: some probability differs by more than 1% (both read most digits 100% sure), so a page that reads
    with the wrong model is caught.
    """
    for digit in sample.x_test[:200]:
        image = in_corner(digit)
        x = preprocess(image).x
        by_conv, by_dense = read(conv.net, x).p, read(dense.net, x).p
        if np.abs(by_conv - by_dense).max() > 0.01:
            return image, by_conv, by_dense
    raise AssertionError("the two bundled models read every digit alike")


def test_both_bundled_models_are_offered_and_the_chosen_one_reads_the_drawing(open_draw, sample, monkeypatch):
    conv, dense = state.bundled_models()
    image, by_conv, by_dense = told_apart(sample, conv, dense)
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", SimpleNamespace(st_canvas=Canvas(image)))

    at = open_draw(session=uploaded_session())
    chooser = at.sidebar.radio(key="bundled_model")
    assert chooser.options == [f"convolutional ({conv.accuracy:.2%})", f"fully connected ({dense.accuracy:.2%})"]
    assert chooser.value == "conv"  # the convolutional one reads drawn digits best: the default
    at.radio(key="draw_model").set_value("Pretrained model").run()
    np.testing.assert_allclose(shown_probabilities(at), by_conv, rtol=1e-5, atol=1e-6)
    assert markdown_text("Draw page reads with the bundled pretrained model (convolutional)") in sidebar_text(at)

    at.sidebar.radio(key="bundled_model").set_value("dense").run()
    assert not at.exception
    assert at.session_state["session"].bundled == "dense"
    np.testing.assert_allclose(shown_probabilities(at), by_dense, rtol=1e-5, atol=1e-6)
    assert markdown_text("Draw page reads with the bundled pretrained model (fully connected)") in sidebar_text(at)
    assert markdown_text("my_model.npz") in sidebar_text(at)  # the session's own model is still the upload


def test_without_a_run_or_upload_the_session_model_is_the_chosen_bundled_one(open_draw, sample, monkeypatch):
    conv, dense = state.bundled_models()
    image, by_conv, by_dense = told_apart(sample, conv, dense)
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", SimpleNamespace(st_canvas=Canvas(image)))
    at = open_draw()
    assert at.radio(key="draw_model").value == "Session model"
    assert conv.architecture in sidebar_text(at)
    np.testing.assert_allclose(shown_probabilities(at), by_conv, rtol=1e-5, atol=1e-6)
    at.sidebar.radio(key="bundled_model").set_value("dense").run()
    assert dense.architecture in sidebar_text(at) and conv.architecture not in sidebar_text(at)
    np.testing.assert_allclose(shown_probabilities(at), by_dense, rtol=1e-5, atol=1e-6)
    assert "Draw page reads with" not in sidebar_text(at)  # the page reads with the session's model


def test_a_training_run_is_read_live_and_cannot_be_fine_tuned_meanwhile(open_draw):
    me = state.Session()
    me.start_run(TrainConfig(hidden=(16,), epochs=1, train_size=300), paused=True)
    me.add_digit(np.eye(28), 1)
    try:
        at = open_draw(session=me, draw_teach_open=True)
        assert any("read again every second" in c.value for c in at.caption)
        assert at.button(key="draw_finetune").disabled
    finally:
        me.run.stop()
        me.run.join(30)


def test_fine_tuning_on_my_digits_makes_a_new_session_model_and_leaves_the_pretrained_alone(open_draw):
    me = state.Session()
    splits = state.shared_splits("sample")
    for i in range(3):
        me.add_digit(splits.X_test[i], int(splits.y_test[i]))
    shared = state.pretrained().net
    before = shared.copy_weights()
    at = open_draw(session=me, draw_teach_open=True)
    at.radio(key="draw_model").set_value("Pretrained model").run()
    assert at.download_button(key="draw_download") is not None
    at.button(key="draw_finetune").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Fine-tuned on your 3 digits" in s.value for s in at.success)
    assert at.radio(key="draw_model").value == "Session model"
    assert markdown_text("fine-tuned on 3 of your digits") in sidebar_text(at)
    me = at.session_state["session"]
    assert me.model().net is not shared
    for name, w in shared.copy_weights().items():
        np.testing.assert_array_equal(w, before[name])


def test_a_small_digit_drawn_in_a_corner_is_read_and_the_controls_reach_the_canvas(open_draw, sample, monkeypatch):
    digit, label = sample.x_test[0], int(sample.y_test[0])
    canvas = Canvas(in_corner(digit))
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", SimpleNamespace(st_canvas=canvas))
    at = open_draw()
    assert [m.value for m in at.metric if m.label == "Prediction"] == [str(label)]
    assert any("read after stroke 2" in c.value for c in at.caption)
    assert step_titles(at) == ["Your drawing", "Cropped to ink", "Longer side 20 px", "Centred in 28×28"]

    at.toggle(key="draw_centre").set_value(False).run()  # the usual demos' whole-canvas resize
    assert step_titles(at) == ["Your drawing", "Whole canvas (no crop)", "Canvas at 20×20", "Canvas at 28×28"]
    assert [m.label for m in at.metric] == ["Prediction"]

    at.slider(key="draw_brush").set_value(8).run()
    assert canvas.calls[-1]["stroke_width"] == 8  # the next strokes are drawn 8 px wide
    before = canvas.calls[-1]["key"]
    at.button(key="draw_clear").click().run()
    assert canvas.calls[-1]["key"] != before  # a new, empty canvas


def test_a_digit_drawn_with_a_thin_brush_is_widened_and_read(open_draw, monkeypatch):
    image = Image.new("RGBA", (280, 280))
    pen = ImageDraw.Draw(image)
    pen.line([(70, 60), (200, 60), (120, 230)], fill="white", width=3)  # a 7, 3 px wide: 0.35 px in the 20-px box
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", SimpleNamespace(st_canvas=Canvas(np.asarray(image))))
    at = open_draw()
    assert step_titles(at) == ["Your drawing", "Cropped, strokes widened", "Longer side 20 px", "Centred in 28×28"]
    assert any("widened to MNIST's thinnest" in c.value for c in at.caption)
    assert [m.value for m in at.metric if m.label == "Prediction"] == ["7"]


def test_a_conv_model_reads_a_drawing_and_explains_it(open_draw, sample, monkeypatch):
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", SimpleNamespace(st_canvas=Canvas(in_corner(
        sample.x_test[0]))))
    me = state.Session()
    me.use_model_file(model_bytes(Network(hidden=(16,), conv=((4, 5),), seed=5)), "my_conv.npz")
    at = open_draw(session=me)
    assert not at.exception
    assert [m.label for m in at.metric] == ["Prediction"]
    charts = {el.proto.id.rsplit("-", 1)[-1] for el in at.get("plotly_chart")}
    assert {"draw_saliency", "draw_hidden_1"} <= charts and "draw_hidden_2" not in charts  # dense layers only
