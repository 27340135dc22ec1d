"""The Train page offers the active model's run as a NumPy script and a notebook, and says when it cannot."""

import nbformat
import pytest

from nn.network import Network
from nn.settings import TrainConfig
from tests.test_app_weights import finished_run, session_with
from ui import session as state

KEYS = ("download_script", "download_notebook")


def buttons(at):
    """Return the page's take-home download buttons by key."""
    found = {el.proto.id.rsplit("-", 1)[-1]: el.proto for el in at.get("download_button")}
    return [found[key] for key in KEYS]


def test_a_finished_runs_script_and_notebook(open_page):
    run = finished_run(hidden=(16,), optimizer="momentum", lr=0.05)
    me = session_with(run)
    at = open_page("train", session={"session": me})
    for button in buttons(at):
        assert not button.disabled and button.deferred_file_id  # made when clicked, not on every rerun
    model = me.model()
    text = model.take_home("script").decode()
    compile(text, "mnist.py", "exec")
    assert "HIDDEN = [16]" in text and "OPTIMIZER = 'momentum'" in text and "LR = 0.05" in text
    assert f"{run.test_acc:.2%}" in text
    book = nbformat.reads(model.take_home("notebook").decode(), as_version=4)
    nbformat.validate(book)
    assert any("def backward_prop(" in cell.source for cell in book.cells)


def test_the_pretrained_models_script_says_it_leaves_augmentation_out(open_page, dense_session):
    at = open_page("train", session={"session": dense_session})
    assert not any(button.disabled for button in buttons(at))
    text = dense_session.pretrained().take_home("script").decode()
    assert "HIDDEN = [512, 256]" in text and "augmentation" in text


def test_the_default_bundled_model_is_convolutional_and_says_why_it_is_not_written_out(open_page):
    at = open_page("train")
    assert at.session_state["session"].model().net.conv
    for button in buttons(at):
        assert button.disabled and "fully connected networks only" in button.help


@pytest.mark.parametrize(("model", "why"), [
    (state.Model(Network((16,), conv=((4, 5),)), "uploaded conv.npz",
                 {"training": TrainConfig(hidden=(16,), conv=((4, 5),)).to_dict()}), "fully connected networks only"),
    (state.Model(Network((16,)), "uploaded bare.npz", {}), "does not record how it was trained"),
], ids=["conv", "no settings"])
def test_a_model_that_cannot_be_written_out_says_why(open_page, model, why):
    at = open_page("train", session={"session": session_with(uploaded=model)})
    for button in buttons(at):
        assert button.disabled and why in button.help
    if model.net.conv:
        assert any("fully connected networks" in c.value for c in at.caption)
