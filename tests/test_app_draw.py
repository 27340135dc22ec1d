"""The Draw page: an empty canvas asks for a digit, the model switch says which model reads, teaching works.

Drawing itself needs a real browser (tests/browser/test_draw_browser.py); here the canvas stays empty.
"""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from nn.files.model_file import model_bytes
from nn.network import Network
from nn.settings import TrainConfig
from ui import session as state


def open_draw(**session):
    """Return an AppTest on the Draw page for a session holding these values (e.g. session=)."""
    at = AppTest.from_file("../app.py", default_timeout=60)
    for key, value in session.items():
        at.session_state[key] = value
    at.switch_page("pages/draw.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sidebar_text(at):
    """Return everything the sidebar says, as one string."""
    return " ".join(e.value for e in [*at.sidebar.markdown, *at.sidebar.caption])


def uploaded_session():
    """Return a Session whose model is an uploaded one, different from the pretrained model."""
    me = state.Session()
    me.use_model_file(model_bytes(Network(hidden=(16,), seed=5)), "my_model.npz")
    return me


def test_empty_canvas_asks_for_a_digit_and_predicts_nothing():
    at = open_draw()
    assert any("draw a digit" in e.value.lower() for e in at.info)
    assert not [m for m in at.metric if m.label == "Prediction"]
    assert at.button(key="draw_add").disabled
    assert at.button(key="draw_finetune").disabled  # no digits of mine yet


def test_model_switch_says_in_the_sidebar_which_model_reads():
    at = open_draw(session=uploaded_session())
    assert at.radio(key="draw_model").value == "Session model"
    assert "my_model.npz" in sidebar_text(at)
    assert "Draw page reads with the bundled pretrained model" not in sidebar_text(at)
    at.radio(key="draw_model").set_value("Pretrained model").run()
    assert not at.exception
    assert "Draw page reads with the bundled pretrained model" in sidebar_text(at)
    assert "my_model.npz" in sidebar_text(at)  # the session's model is still the uploaded one
    at.radio(key="draw_model").set_value("Session model").run()
    assert "Draw page reads with" not in sidebar_text(at)


def test_a_training_run_is_read_live_and_cannot_be_fine_tuned_meanwhile():
    me = state.Session()
    me.start_run(TrainConfig(hidden=(16,), epochs=1, train_size=300), paused=True)
    me.add_digit(np.eye(28), 1)
    try:
        at = open_draw(session=me)
        assert any("read again every second" in c.value for c in at.caption)
        assert at.button(key="draw_finetune").disabled
    finally:
        me.run.stop()
        me.run.join(30)


def test_fine_tuning_on_my_digits_makes_a_new_session_model_and_leaves_the_pretrained_alone():
    me = state.Session()
    splits = state.shared_splits("sample")
    for i in range(3):
        me.add_digit(splits.X_test[i], int(splits.y_test[i]))
    shared = state.pretrained().net
    before = shared.copy_weights()
    at = open_draw(session=me)
    at.radio(key="draw_model").set_value("Pretrained model").run()
    assert at.download_button(key="draw_download") is not None
    at.button(key="draw_finetune").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Fine-tuned on your 3 digits" in s.value for s in at.success)
    assert at.radio(key="draw_model").value == "Session model"
    assert "fine-tuned on 3 of your digits" in sidebar_text(at)
    lab = at.session_state["session"]
    assert lab.model().net is not shared
    for name, w in shared.copy_weights().items():
        np.testing.assert_array_equal(w, before[name])


@pytest.mark.parametrize("centre", [True, False])
def test_centring_switch_and_brush_render_without_a_drawing(centre):
    at = open_draw()
    at.toggle(key="draw_centre").set_value(centre).run()
    at.slider(key="draw_brush").set_value(8).run()
    at.button(key="draw_clear").click().run()
    assert not at.exception
    assert any("draw a digit" in e.value.lower() for e in at.info)
