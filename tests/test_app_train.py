"""The home and Train pages through Streamlit's AppTest: navigation, a short run, its buttons, uploads, errors.

Each run trains on a tiny slice of the bundled sample so the whole file takes seconds.  The last
test checks the numbers behind the Results section (``nn/explain/scorecard.py``).
"""

import json
import time
from functools import partial

import numpy as np
import pytest

from nn import data as nn_data
from nn.explain.scorecard import scorecard
from nn.files.model_file import build_metadata, model_bytes
from nn.network import Network
from nn.settings import TrainConfig
from tests.helpers import open_section
from ui import figures
from ui import session as state
from ui.lesson import markdown_text
from ui.runs import store
from ui.train_controls import duration as state_duration

MORE = "set_more_open"  # the More settings section's open state
TINY = {"set_train_size": 300, "set_epochs": 2}
LONG = {"set_train_size": 300, "set_epochs": 5000}  # a run that lasts until it is stopped


@pytest.fixture(autouse=True)
def empty_cache_and_checked_figures(tmp_path, monkeypatch):
    """Point the MNIST cache at an empty folder, and check every figure the pages draw against Plotly's schema."""
    monkeypatch.setenv("MNIST_PLAYGROUND_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(figures.base, "VALIDATE", True)


@pytest.fixture
def train_page(open_page):
    """Return an AppTest on the Train page (its runs are stopped afterwards)."""
    return open_page("train")


def start(at, values, button="start"):
    """Set number inputs by key (opening More settings for those in it), press the button that starts a run.

    Returns the session's run.
    """
    if not set(values) <= {w.key for w in at.number_input}:
        open_section(at, MORE)
    for k, v in values.items():
        at.number_input(key=k).set_value(v)
    at.button(key=button).click().run()
    return at.session_state["session"].run


def settle(at, timeout=60):
    """Wait until the session's run has ended, or holds after its asked-for steps, then redraw the page."""
    me = at.session_state["session"]
    target = me.step_target[1] if me.step_target else 0

    def busy():
        run = me.run
        reported = run.history[-1]["step"] if run.history else 0
        return run.alive and (run.status != "paused" or reported < target)

    deadline = time.monotonic() + timeout
    while busy() and time.monotonic() < deadline:
        time.sleep(0.1)
    at.run()
    assert not at.exception
    return me.run


def metrics(at):
    """Return the page's metrics as {label: value}."""
    return {m.label: m.value for m in at.metric}


def errors(at):
    """Return the texts of the page's error boxes."""
    return [e.value for e in at.error]


def test_home_says_what_this_is_and_links_every_page(open_page):
    at = open_page()
    assert at.title[0].value == "MNIST Playground"
    assert [link.proto.page for link in at.get("page_link")] == ["train", "weights", "draw", "lab"]
    assert at.get("image"), "a strip of sample digits"
    styles = " ".join(h.proto.body for h in at.get("html") if h.proto.body.startswith("<style>"))
    for rule in (".modebar-container", ".st-key-train_layout", ".st-key-draw_reader"):  # touch screens, phones
        assert rule in styles, rule
    block = " ".join(m.value for m in at.sidebar.markdown)  # the active-model block is on every page
    assert block.startswith("### Model\n") and "Test accuracy: 99" in block and "### Data" in block


def test_train_page_opens_with_its_settings_and_buttons(train_page):
    at = train_page
    assert at.title[0].value == "Train"
    assert [b.label for b in at.button] == ["Start training", "Pause", "Resume", "Step", "Stop", "Reset"]
    assert [e.label for e in at.expander] == [  # all closed, their contents not drawn yet
        "More settings: Initialisation, Schedule, L2 penalty, Dropout, Training digits, Augment, Seed",
        "Model files: download, upload, take the code home",
        "Tune: try many settings, pick the best on the validation set"]
    assert setting_labels(at) == {"Conv layers (how many)", "Hidden layers (how many)", "Layer 1 width", "Activation",
                                  "Optimiser", "Learning rate", "Batch size", "Epochs"}
    assert not at.download_button and not at.get("file_uploader")
    open_section(at, MORE)
    more = {"Initialisation", "Schedule", "L2 penalty", "Dropout", "Training digits", "Augment", "Seed"}
    assert more <= setting_labels(at)
    assert all(w.help for w in at.selectbox), "every setting says what it does to learning"
    open_section(at, "files_open")
    assert [b.label for b in at.download_button] == ["Download the model (.npz)", "Download as a script (.py)",
                                                     "Download as a notebook (.ipynb)"]


def setting_labels(at):
    """Return the labels of the settings widgets the page drew."""
    return {w.label for kind in ("number_input", "selectbox", "checkbox") for w in at.get(kind)
            if w.key.startswith("set_")}


def test_a_setting_in_the_closed_more_section_keeps_its_value_and_goes_into_the_run(train_page):
    at = open_section(train_page, MORE)
    at.number_input(key="set_dropout").set_value(0.2)
    at.number_input(key="set_train_size").set_value(300).run()
    at.session_state[MORE] = False  # closed: its widgets are gone, their values kept
    at.run()
    assert "set_dropout" not in {w.key for w in at.number_input}
    assert at.query_params["dropout"] == "0.2"  # still in the page's address
    run = start(at, {"set_epochs": 1})
    assert (run.config.dropout, run.config.train_size) == (0.2, 300)
    assert open_section(at, MORE).number_input(key="set_dropout").value == 0.2


def test_a_short_run_shows_metrics_a_chart_and_its_results(train_page):
    at = train_page
    start(at, TINY)
    run = settle(at)
    assert run.status == "done"
    assert run.steps_per_epoch == 300 // 64 + 1  # 300 training digits in batches of 64
    shown = metrics(at)
    assert shown["Epoch"] == "2.0 / 2"
    assert float(shown["Train loss"]) > 0
    assert shown["Validation accuracy"].endswith("%")
    assert shown["Test accuracy"] == f"{run.test_acc:.2%}"
    curves = json.loads(next(c for c in at.get("bidi_component") if c.key == "curves").proto.json)["figure"]
    assert [t["name"] for t in curves["data"]][:3] == ["train", "validation", "learning rate"]
    assert len(at.get("plotly_chart")) == 1  # the runs compared
    pictures = [img.caption for el in at.get("image") for img in el.proto.imgs]
    assert pictures[0] == "Confusion matrix of the 1,000 test digits" and len(pictures) > 1  # then the misread ones
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 1  # the table of runs
    assert [a.value for a in at.success] == [f"Done: 2 epochs in {state_duration(run.seconds)}."]
    assert not errors(at), "a healthy run gets no diagnosis"
    assert at.dataframe[0].value["test acc"][0] == f"{run.test_acc:.1%}"
    tested = markdown_text("the bundled sample's 1,000 test digits")  # as the sidebar's Markdown writes it
    assert f"Test accuracy: {run.test_acc:.2%} on {tested}" in sidebar_text(at)
    assert at.button(key="step").label == "Step a new run"  # Step after a finished run says what it does
    assert "starts a new run" in at.button(key="step").help


def sidebar_text(at):
    """Return the sidebar's captions and markdown as one text."""
    return " ".join(c.value for c in [*at.sidebar.caption, *at.sidebar.markdown])


def test_stop_ends_the_run_and_keeps_its_weights(train_page):
    at = train_page
    run = start(at, LONG)
    assert at.dataframe[0].value["test acc"][0] == "–"  # not a literal None while it trains
    assert at.button(key="stop").disabled is False
    at.button(key="stop").click().run()
    settle(at)
    assert run.status == "stopped"
    assert 0 < run.step_count < run.total_steps
    assert "Test accuracy" in metrics(at)
    assert at.button(key="start").disabled is False


def test_reset_forgets_the_run_but_keeps_it_in_the_table(train_page):
    at = train_page
    run = start(at, LONG)
    at.button(key="reset").click().run()
    me = at.session_state["session"]
    assert me.run is None and me.runs == [run]
    run.join(10)
    assert not run.alive
    assert me.model() is me.pretrained()  # the other pages fall back to the session's bundled model
    at.run()
    assert "Test accuracy" not in metrics(at)
    assert len(at.dataframe[0].value) == 1


def test_step_takes_one_batch_then_one_epoch(train_page):
    at = train_page
    start(at, TINY, button="step")
    run = settle(at)
    assert run.status == "paused" and run.step_count == 1
    at.button_group(key="step_size").set_value("epoch").run()
    at.button(key="step").click().run()
    settle(at)
    assert run.step_count == 1 + run.steps_per_epoch
    assert at.button(key="resume").disabled is False


def test_the_saved_runs_list_says_how_a_run_is_now_not_at_its_last_checkpoint(train_page, wait_until):
    at = train_page
    run = start(at, LONG)
    assert wait_until(lambda: store.load(run.id, with_arrays=False) is not None, 60)  # checkpointed while running
    at.button(key="pause").click().run()
    settle(at)
    assert store.load(run.id, with_arrays=False)[1]["status"] in ("ready", "running")  # what the checkpoint says
    saved = at.selectbox(key="saved_run").options[0]
    assert saved.startswith(f"{run.id[:6]} · paused · ") and f"epoch {run.epoch:.1f} of 5000" in saved, saved


def test_a_new_session_of_the_same_browser_reattaches_its_run_that_has_not_ended(train_page, open_page, wait_until):
    at = train_page
    run = start(at, LONG)
    browser = at.session_state["session"].browser
    assert wait_until(lambda: store.load(run.id, with_arrays=False) is not None, 60)
    again = open_page("train", query={"b": browser})  # no run in the address
    assert again.session_state["session"].run is run
    assert again.query_params["run"] == run.id
    stranger = open_page("train")
    assert stranger.session_state["session"].run is None and not stranger.session_state["session"].saved_runs()


def test_speed_is_slow_motion_until_full_speed_is_chosen(train_page):
    at = train_page
    lab = at.session_state["session"]
    assert at.button_group(key="speed").value == "🐢 slow motion" and lab.pace == state.SLOW_MOTION_SECONDS
    run = start(at, LONG)
    at.button_group(key="speed").set_value("⚡ full speed").run()
    assert lab.pace is None and run.alive


def test_learning_rate_changes_a_running_run(train_page):
    at = train_page
    run = start(at, LONG)
    at.selectbox(key="set_lr").set_value(0.01).run()
    assert run._read()["lr"] == 0.01
    deadline = time.monotonic() + 30
    while not any(m["lr"] == pytest.approx(0.01) for m in run.history) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert any(m["lr"] == pytest.approx(0.01) for m in run.history), "the chart's lr line shows the change"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflows that make the loss NaN
def test_a_loss_that_blows_up_stops_the_run_and_says_why(train_page):
    at = train_page
    at.selectbox(key="set_optimizer").set_value("gd")
    at.selectbox(key="set_lr").set_value(10.0)
    start(at, {"set_train_size": 300, "set_epochs": 50, "set_l2": 100.0})
    run = settle(at)
    assert run.status == "diverged"
    assert any("learning rate may be too high" in e for e in errors(at))
    assert all(w.dtype.kind == "f" for w in run.net.copy_weights().values())
    assert "Test accuracy" in metrics(at)


def test_a_run_that_ends_without_learning_says_what_went_wrong(train_page):
    at = train_page
    at.selectbox(key="set_lr").set_value(10.0)
    run = start(at, {"set_epochs": 2})  # the whole sample
    assert settle(at).status == "done"  # nothing became NaN...
    assert not at.success, "...but it is no success"
    assert any("did not learn" in w.value for w in at.warning)
    shown = errors(at)
    assert any(e.startswith("The training diverged") and "learning rate 10 is too high" in e for e in shown), shown
    assert any(e.startswith("The network is dead") for e in shown), shown
    assert run.history[-1]["val_acc"] < 0.2


def test_a_bad_model_file_says_why_and_keeps_the_model(train_page):
    at = open_section(train_page, "files_open")
    before = at.session_state["session"].model().source
    at.file_uploader(key="model_upload").upload("model.npz", b"this is not a model", "application/octet-stream").run()
    assert any("not a model file" in e for e in errors(at))
    me = at.session_state["session"]
    assert me.uploaded is None and me.model().source == before


def test_an_uploaded_model_becomes_active_and_can_be_trained_on(train_page):
    at = open_section(train_page, "files_open")
    net = Network((16,), seed=3)
    data = model_bytes(net, build_metadata(TrainConfig(hidden=(16,)), {"test_accuracy": 0.5}, "test"))
    at.file_uploader(key="model_upload").upload("mine.npz", data, "application/octet-stream").run()
    assert not errors(at)
    me = at.session_state["session"]
    assert me.model().source == "uploaded mine.npz"
    at.checkbox(key="continue_uploaded").check()
    start(at, TINY)
    run = settle(at)
    assert run.net.sizes == [784, 16, 10] and run.config.hidden == (16,)
    assert (me.uploaded.net.dense[0].W == net.dense[0].W).all(), "the upload itself is not trained in place"


def test_a_bad_dataset_file_says_why_and_keeps_the_sample(train_page):
    at = train_page
    at.radio(key="set_data").set_value("upload").run()
    at.file_uploader(key="data_upload").upload("digits.csv", b"a,b\n1,2\n", "text/csv").run()
    assert any("no column 'label'" in e for e in errors(at))
    me = at.session_state["session"]
    assert me.data_source == "sample" and me.data_name.startswith("bundled sample")


DOWNLOAD_FAILURES = {"no network": "Could not reach 127.0.0.1", "slow network": "timed out",
                     "wrong checksum": "checksum mismatch"}


def download_from(url, sha256, monkeypatch):
    """Make the page's download button fetch url (a local server), expecting sha256, with a short timeout."""
    monkeypatch.setattr("ui.train_controls.download_mnist",
                        partial(nn_data.download_mnist, url, sha256=sha256, timeout=0.5))


@pytest.mark.parametrize("failure", list(DOWNLOAD_FAILURES))
def test_a_failed_download_says_why_and_the_sample_still_trains(train_page, serve, sample_npz, free_port,
                                                                 monkeypatch, failure):
    payload, sha = sample_npz
    if failure == "no network":
        url = f"http://127.0.0.1:{free_port}/mnist.npz"
    elif failure == "slow network":
        _, url = serve(payload, mode="stall_body")
    else:
        _, url = serve(payload[:1000] + bytes([payload[1000] ^ 1]) + payload[1001:])  # one bit flipped
    download_from(url, sha, monkeypatch)
    at = train_page
    at.radio(key="set_data").set_value("mnist").run()
    assert at.session_state["session"].data_source == "sample"  # not downloaded yet
    at.button(key="download_mnist").click().run()
    shown = errors(at)
    assert len(shown) == 1 and DOWNLOAD_FAILURES[failure] in shown[0], shown
    assert "bundled sample" in shown[0]
    assert at.radio(key="set_data").value == "sample"
    assert not nn_data.mnist_path().exists()  # no broken file left behind
    run = start(at, TINY)
    assert run.data_name.startswith("bundled sample")
    assert settle(at).status == "done"


def test_the_download_brings_the_full_mnist_to_the_page(train_page, serve, sample_npz, sample, monkeypatch):
    payload, sha = sample_npz  # real digits in the full MNIST's file layout, from a server on 127.0.0.1
    _, url = serve(payload)
    download_from(url, sha, monkeypatch)
    at = train_page
    at.radio(key="set_data").set_value("mnist").run()
    at.button(key="download_mnist").click().run()
    assert not errors(at)
    assert nn_data.mnist_path().read_bytes() == payload
    me = at.session_state["session"]
    assert me.data_source == "mnist" and me.data_name == "full MNIST"
    assert "full MNIST" in " ".join(c.value for c in [*at.sidebar.caption, *at.sidebar.markdown])
    run = start(at, TINY)  # and the next run trains on it
    assert run.data_name == "full MNIST" and settle(at).status == "done"
    np.testing.assert_array_equal(me.splits().X_test, sample.x_test.reshape(-1, 784) / np.float32(255))


def test_scorecard_counts_mistakes_and_puts_the_surest_first():
    y = np.array([0, 1, 2, 2, 3])
    proba = np.full((5, 10), 0.01)
    proba[[0, 1, 2, 3, 4], [0, 7, 2, 5, 8]] = [0.9, 0.6, 0.9, 0.95, 0.7]  # three misread: 1->7, 2->5, 3->8
    card = scorecard(proba, y, limit=2)
    assert card.confusion.sum() == 5 and card.confusion[2, 2] == 1 and card.confusion[1, 7] == 1
    assert card.misread == 3
    assert card.wrong.tolist() == [3, 4] and card.said.tolist() == [5, 8]
    assert card.confidence.tolist() == pytest.approx([0.95, 0.7])


def test_conv_layers_are_set_on_the_page_and_a_conv_run_steps_and_finishes(train_page):
    at = train_page
    at.number_input(key="set_conv_count").set_value(1).run()
    at.number_input(key="set_conv_0_channels").set_value(4).run()
    assert at.number_input(key="set_conv_0_kernel").value == 5  # LeNet's kernel by default
    start(at, TINY, button="step")
    run = settle(at)
    assert run.config.conv == ((4, 5),) and run.status == "paused" and run.step_count == 1
    assert run.net.describe() == "conv4x5-576-128-10"
    at.button(key="resume").click().run()
    run = settle(at)
    assert run.status == "done" and run.history and 0 < run.test_acc <= 1
    assert metrics(at)["Test accuracy"] == f"{run.test_acc:.2%}"
