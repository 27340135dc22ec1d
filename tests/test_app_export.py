"""The Train page offers the active model's run as a NumPy script and a notebook, and says when it cannot."""

import nbformat
import pytest

from nn.network import Network
from nn.settings import TrainConfig
from tests.helpers import finished_run, open_section, session_with
from ui import session as state

KEYS = ("download_script", "download_notebook")


def buttons(at):
    """Open the page's Model files section; return its take-home download buttons by key."""
    open_section(at, "files_open")
    found = {el.proto.id.rsplit("-", 1)[-1]: el.proto for el in at.get("download_button")}
    return [found[key] for key in KEYS]


@pytest.mark.parametrize(("settings", "written"), [
    (dict(hidden=(16,), optimizer="momentum", lr=0.05), ["HIDDEN = [16]", "OPTIMIZER = 'momentum'", "LR = 0.05"]),
    (dict(conv=((4, 5),), hidden=(16,)), ["CONV = [[4, 5]]", "HIDDEN = [16]", "def conv_backward("]),
], ids=["dense", "conv"])
def test_a_finished_runs_script_and_notebook(open_page, settings, written):
    run = finished_run(**settings)
    me = session_with(run)
    at = open_page("train", session={"session": me})
    for button in buttons(at):
        assert not button.disabled and button.deferred_file_id  # made when clicked, not on every rerun
    model = me.model()
    text = model.take_home("script").decode()
    compile(text, "mnist.py", "exec")
    assert all(line in text for line in written)
    assert f"{run.test_acc:.2%}" in text
    book = nbformat.reads(model.take_home("notebook").decode(), as_version=4)
    nbformat.validate(book)
    for name in ("def backward_prop(", written[-1]):
        assert any(name in cell.source for cell in book.cells if cell.cell_type == "code")


def test_the_pretrained_models_script_says_it_leaves_augmentation_out(open_page, dense_session):
    at = open_page("train", session={"session": dense_session})
    assert not any(button.disabled for button in buttons(at))
    text = dense_session.pretrained().take_home("script").decode()
    assert "HIDDEN = [512, 256]" in text and "augmentation" in text


def test_the_default_bundled_model_is_convolutional_and_is_written_out_too(open_page):
    at = open_page("train")
    model = at.session_state["session"].model()
    assert model.net.conv
    assert not any(button.disabled for button in buttons(at))
    text = model.take_home("script").decode()
    assert "CONV = [[32, 5], [64, 5]]" in text and "augmentation" in text


def test_a_model_that_cannot_be_written_out_says_why(open_page):
    model = state.Model(Network((16,)), "uploaded bare.npz", {})
    at = open_page("train", session={"session": session_with(uploaded=model)})
    for button in buttons(at):
        assert button.disabled and "does not record how it was trained" in button.help


def test_an_uploaded_conv_models_buttons_are_on(open_page):
    config = TrainConfig(hidden=(16,), conv=((4, 5),))
    model = state.Model(Network.from_config(config), "uploaded conv.npz", {"training": config.to_dict()})
    at = open_page("train", session={"session": session_with(uploaded=model)})
    for button in buttons(at):
        assert not button.disabled
    assert "CONV = [[4, 5]]" in model.take_home("script").decode()
